"""OFFLINE VERIFICATION ONLY - gazelle's go_deps extension: placeholder repos from go.mod."""

def _repo_name(module_path):
    """github.com/yuin/gopher-lua -> com_github_yuin_gopher_lua (gazelle's naming)."""
    parts = module_path.split("/")
    host = parts[0].split(".")
    host = [host[i] for i in range(len(host) - 1, -1, -1)]
    name = "_".join(host + parts[1:])
    out = ""
    for c in name.elems():
        out += c if c.isalnum() else "_"
    return out.lower()

def _target_names(module_path):
    parts = module_path.split("/")
    last = parts[-1]
    names = [last]
    if len(parts) > 1 and last.startswith("v") and last[1:].isdigit():
        names.append(parts[-2])
    return names

def _placeholder_repo_impl(rctx):
    lines = [
        "# OFFLINE VERIFICATION ONLY - placeholder for Go module %s (sources: GOMODCACHE)." % rctx.attr.module_path,
        'load("@rules_go//go:def.bzl", "go_library")',
        "",
    ]
    for name in rctx.attr.targets + ["go_default_library"]:
        lines.append('go_library(name = "%s", importpath = "%s", visibility = ["//visibility:public"])' % (
            name,
            rctx.attr.module_path,
        ))
    rctx.file("BUILD.bazel", "\n".join(lines) + "\n")

_placeholder_repo = repository_rule(
    implementation = _placeholder_repo_impl,
    attrs = {
        "module_path": attr.string(),
        "targets": attr.string_list(),
    },
)

def _requires(go_mod_text):
    """Module paths of every `require` line (single and block form)."""
    out = []
    in_block = False
    for raw in go_mod_text.split("\n"):
        line = raw.split("//")[0].strip()
        if in_block:
            if line == ")":
                in_block = False
            elif line:
                out.append(line.split(" ")[0])
        elif line.startswith("require ("):
            in_block = True
        elif line.startswith("require "):
            out.append(line.split(" ")[1])
    return out

def _go_deps_impl(module_ctx):
    paths = []
    for mod in module_ctx.modules:
        for tag in mod.tags.from_file:
            paths.extend(_requires(module_ctx.read(tag.go_mod)))
        for tag in mod.tags.module:
            paths.append(tag.path)
    seen = {}
    for path in paths:
        name = _repo_name(path)
        if name not in seen:
            seen[name] = True
            _placeholder_repo(name = name, module_path = path, targets = _target_names(path))

go_deps = module_extension(
    implementation = _go_deps_impl,
    tag_classes = {
        "from_file": tag_class(attrs = {"go_mod": attr.label()}),
        "module": tag_class(attrs = {
            "path": attr.string(),
            "sum": attr.string(),
            "version": attr.string(),
        }),
    },
)

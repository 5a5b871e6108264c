"""OFFLINE VERIFICATION ONLY - not rules_go.

go_library / go_test / go_binary with the attribute subset luau-embed uses, built by the
`go` command itself (`go test -c` / `go build`) inside one Bazel action:

* go_library only collects: its sources, the sources of its in-repo deps, and the CcInfo
  of its cdeps (cgo). Nothing is compiled per library.
* go_test / go_binary run `go` in the package directory of the execution root, with the
  module's go.mod/go.sum, every collected source, and CGO_CFLAGS / CGO_LDFLAGS built from
  the merged CcInfo (include dirs, defines, static archives, link flags).
* The result runs from the package directory of the runfiles tree, as `go test` does.

Not hermetic: uses `go` and the C compiler from PATH, GOMODCACHE for external modules
(GOPROXY=off, -mod=readonly), and the --@rules_go//go/config:tags build tags.
"""

load("@rules_cc//cc/common:cc_common.bzl", "cc_common")
load("@rules_cc//cc/common:cc_info.bzl", "CcInfo")

GoShimInfo = provider(
    doc = "What a stand-in go_library contributes to the final `go` invocation.",
    fields = {
        "cc_infos": "list of CcInfo from cdeps, transitively",
        "importpath": "import path of this package",
        "srcs": "depset of Go (and cgo C) source files, transitively",
    },
)

_StringListSettingInfo = provider(doc = "Value of a string_list build setting.", fields = ["value"])

def _string_list_setting_impl(ctx):
    return [_StringListSettingInfo(value = ctx.build_setting_value)]

string_list_setting = rule(
    implementation = _string_list_setting_impl,
    build_setting = config.string_list(flag = True),
)

def _collect(ctx):
    srcs = [depset(ctx.files.srcs)]
    cc_infos = [d[CcInfo] for d in ctx.attr.cdeps]
    for d in ctx.attr.deps + getattr(ctx.attr, "embed", []):
        if GoShimInfo in d:
            srcs.append(d[GoShimInfo].srcs)
            cc_infos.extend(d[GoShimInfo].cc_infos)
    return depset(transitive = srcs), cc_infos

def _go_library_impl(ctx):
    srcs, cc_infos = _collect(ctx)
    return [
        GoShimInfo(srcs = srcs, cc_infos = cc_infos, importpath = ctx.attr.importpath),
        DefaultInfo(files = depset(ctx.files.srcs)),
    ]

def _cgo_env(cc_infos):
    """CGO_CFLAGS / CGO_LDFLAGS (with $EXECROOT left for the shell) and the inputs."""
    if not cc_infos:
        return "", "", [], depset()
    cc_info = cc_common.merge_cc_infos(cc_infos = cc_infos)
    comp = cc_info.compilation_context
    dirs = comp.includes.to_list() + comp.quote_includes.to_list() + comp.system_includes.to_list()
    cflags = ["-I$EXECROOT/" + d for d in dirs if d not in ("", ".")] + ["-I$EXECROOT"]
    cflags.extend(["-D" + d for d in comp.defines.to_list()])
    archives = []
    link_flags = []
    for linker_input in cc_info.linking_context.linker_inputs.to_list():
        link_flags.extend(linker_input.user_link_flags)
        for lib in linker_input.libraries:
            a = lib.pic_static_library or lib.static_library
            if a:
                archives.append(a)
    ldflags = ["-Wl,--start-group"] + ["$EXECROOT/" + a.path for a in archives] + ["-Wl,--end-group"]
    ldflags.extend(link_flags)
    return " ".join(cflags), " ".join(ldflags), archives, comp.headers

def _go_build(ctx, test):
    srcs, cc_infos = _collect(ctx)
    cflags, ldflags, archives, headers = _cgo_env(cc_infos)
    pkg_dir = ctx.label.package
    binary = ctx.actions.declare_file(ctx.label.name + (".test.bin" if test else ".bin"))
    tags = ctx.attr._tags[_StringListSettingInfo].value
    go_args = ["test", "-c", "-vet=off"] if test else ["build"]
    if tags:
        go_args.append("-tags=" + ",".join(tags))
    script = "\n".join([
        "set -eu",
        "EXECROOT=$PWD",
        "export HOME=$(mktemp -d)",
        "export GOPATH=$HOME/go",
        "export GOCACHE=${LUAW_OFFLINE_GOCACHE:-$HOME/gocache}",
        "export GOMODCACHE=${LUAW_OFFLINE_GOMODCACHE:-$GOPATH/pkg/mod}",
        "export GOTOOLCHAIN=local GOPROXY=off GOWORK=off GOFLAGS=-mod=readonly CGO_ENABLED=1",
        "export CGO_CFLAGS=\"%s\"" % cflags,
        "export CGO_LDFLAGS=\"%s\"" % ldflags,
        # //go:embed refuses symlinks, and sandbox inputs are symlinks: embed copies.
        "for f in %s; do [ -L \"$f\" ] && cp --remove-destination \"$(readlink -f \"$f\")\" \"$f\"; done; true" %
        " ".join([_shell_quote(f.path) for f in ctx.files.embedsrcs]),
        "cd \"%s\"" % (pkg_dir or "."),
        "go %s -o \"$EXECROOT/%s\" ." % (" ".join(go_args), binary.path),
        # `go test -c` writes nothing for a package without test files (`go test` says so).
        "[ -e \"$EXECROOT/%s\" ] || printf '#!/bin/sh\\necho \"[no test files]\"\\n' > \"$EXECROOT/%s\"" % (binary.path, binary.path),
        "chmod +x \"$EXECROOT/%s\"" % binary.path,
    ])
    ctx.actions.run_shell(
        command = script,
        # go.mod/go.sum of a nested module (listed in data) are build inputs too.
        inputs = depset(
            ctx.files._go_module_files + archives + ctx.files.embedsrcs +
            [f for f in ctx.files.data if f.basename in ("go.mod", "go.sum")],
            transitive = [srcs, headers],
        ),
        outputs = [binary],
        use_default_shell_env = True,
        mnemonic = "GoShimTest" if test else "GoShimBuild",
        progress_message = "go %s %%{label} (offline stand-in)" % go_args[0],
    )

    # Run from the package directory, as `go test` / `go run` do.
    launcher = ctx.actions.declare_file(ctx.label.name)
    env_lines = ["export %s=%s" % (k, _shell_quote(v)) for k, v in ctx.attr.env.items()]
    ctx.actions.write(
        launcher,
        "\n".join([
            "#!/usr/bin/env bash",
            "set -eu",
            "bin=\"$PWD/%s\"" % binary.short_path,
        ] + env_lines + [
            "cd \"%s\"" % (pkg_dir or "."),
            "exec \"$bin\" \"$@\"",
            "",
        ]),
        is_executable = True,
    )
    runfiles = ctx.runfiles(files = [binary] + ctx.files.data)
    for d in ctx.attr.data:
        runfiles = runfiles.merge(d[DefaultInfo].default_runfiles)
    return [DefaultInfo(executable = launcher, files = depset([launcher, binary]), runfiles = runfiles)]

def _shell_quote(s):
    return "'" + s.replace("'", "'\\''") + "'"

def _go_test_impl(ctx):
    return _go_build(ctx, test = True)

def _go_binary_impl(ctx):
    return _go_build(ctx, test = False)

_COMMON_ATTRS = {
    "cdeps": attr.label_list(providers = [CcInfo]),
    "cgo": attr.bool(),
    "data": attr.label_list(allow_files = True),
    "deps": attr.label_list(),
    "importpath": attr.string(),
    "srcs": attr.label_list(allow_files = [".go", ".c", ".h", ".s"]),
}

_BUILD_ATTRS = dict(_COMMON_ATTRS)
_BUILD_ATTRS.update({
    "embed": attr.label_list(providers = [GoShimInfo]),
    # Files //go:embed reads (rules_go's embedsrcs): inputs of the `go` action at their
    # source paths, where the go command finds them.
    "embedsrcs": attr.label_list(allow_files = True),
    "env": attr.string_dict(),
    "_go_module_files": attr.label(default = "@@//:go_module_files", allow_files = True),
    "_tags": attr.label(default = "//go/config:tags"),
})

go_library = rule(
    implementation = _go_library_impl,
    attrs = _COMMON_ATTRS,
    doc = "OFFLINE VERIFICATION ONLY: collects sources and cdeps for go_test/go_binary.",
)

go_test = rule(
    implementation = _go_test_impl,
    attrs = _BUILD_ATTRS,
    test = True,
    doc = "OFFLINE VERIFICATION ONLY: `go test -c` of the package, run from its directory.",
)

go_binary = rule(
    implementation = _go_binary_impl,
    attrs = _BUILD_ATTRS,
    executable = True,
    doc = "OFFLINE VERIFICATION ONLY: `go build` of the package.",
)

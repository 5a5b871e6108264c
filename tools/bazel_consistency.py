#!/usr/bin/env python3
"""Keeps the Bazel build in step with the native build (part of `make bazel-check`).

Checks, on the repository given by --root (default: this checkout):

  coverage   every C/C++, Go and Rust source or test file, and every file of the shared
             test matrix (tests/matrix/), belongs to a Bazel target: it is named, or
             matched by a glob, in the BUILD file of its own package (the nearest
             directory with a BUILD.bazel), except for the listed Cargo-only files.
  luau-pin   MODULE.bazel's http_archive of Luau uses exactly the luau0-src .crate that
             Cargo.lock pins: same sha256 as Cargo.lock's checksum, same version in url and
             strip_prefix.
  cargo      crate.from_cargo(manifests) lists the root Cargo.toml and every workspace
             member's Cargo.toml (crate_universe requires all of them); Cargo.lock stays
             at `version = 3`, the newest format the offline lane's cargo-bazel reads.
  go-deps    every direct requirement of go.mod is brought in by use_repo(go_deps, ...)
             under gazelle's repository name (what `bazel mod tidy` would write).
  cgo        #cgo LDFLAGS / pkg-config that link the native build's archive (target/native,
             luau-embed.pc) sit in files tagged `//go:build !luau_bazel`: Bazel links
             //luau:wrapper via cdeps and sets that tag (.bazelrc).

Prints one line per problem and exits 1 if there is any; prints a summary and exits 0
otherwise. Parses BUILD/MODULE files as Starlark-compatible Python (no Bazel needed).
"""

import argparse
import ast
import fnmatch
import os
import re
import subprocess
import sys

try:
    import tomllib
except ImportError:  # Python < 3.11
    tomllib = None

# Files that belong to a target kind Bazel does not need, with the reason.
EXEMPT = {
    "rust/*/build.rs": "Cargo-only build script: under Bazel the crate depends on //luau:wrapper",
    "rust/bench-mlua/*": "the mlua peer of the Rust benchmarks: mlua-sys builds its own copy of Luau "
                         "from a Cargo build script; Cargo only (tools/bench/rust_bench.sh)",
    "tools/package/*": "the outside-the-repository tests (make package-test): a Go program and a Rust "
                       "crate built from the packaged module/crates in temp dirs, never in this workspace",
}

SOURCE_SUFFIXES = (".c", ".cc", ".cpp", ".cxx", ".h", ".hh", ".hpp", ".go", ".rs")
MATRIX_DIR = "tests/matrix/"
BUILD_NAMES = ("BUILD.bazel", "BUILD")
# Attributes whose string values name files of the package.
FILE_ATTRS = {"srcs", "hdrs", "textual_hdrs", "data", "crate_root", "compile_data", "embedsrcs",
              "additional_compiler_inputs", "exports_files"}
LUAU_REPO = "luau_src"
LUAU_CRATE = "luau0-src"
SUPPORTED_LOCK_VERSION = 3


# ---------------------------------------------------------------------------------------
# repository files

def read_text(path):
    with open(path, errors="replace") as f:
        return f.read()


def repo_files(root):
    """Tracked and untracked-but-not-ignored files, relative paths."""
    try:
        out = subprocess.run(
            ["git", "-C", root, "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
            check=True, capture_output=True).stdout.decode()
        files = [f for f in out.split("\0") if f]
    except (OSError, subprocess.CalledProcessError):
        files = []
        for d, dirs, names in os.walk(root):
            dirs[:] = [x for x in dirs if x not in (".git", "target") and not x.startswith("bazel-")]
            files += [os.path.relpath(os.path.join(d, n), root) for n in names]
    return sorted(f for f in files if os.path.isfile(os.path.join(root, f)))


def bazel_ignored(root):
    path = os.path.join(root, ".bazelignore")
    if not os.path.exists(path):
        return []
    lines = [l.strip().rstrip("/") for l in read_text(path).splitlines()]
    return [l for l in lines if l and not l.startswith("#")]


def under(path, prefix):
    return path == prefix or path.startswith(prefix + "/")


# ---------------------------------------------------------------------------------------
# Starlark (BUILD / MODULE) parsing

def parse_starlark(path):
    try:
        return ast.parse(read_text(path), filename=path)
    except SyntaxError as e:
        raise SystemExit("bazel-consistency: cannot parse %s: %s" % (path, e))


def str_list(node):
    """String literals of a list/tuple/str node (ignores anything computed)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, (ast.List, ast.Tuple)):
        return [e.value for e in node.elts if isinstance(e, ast.Constant) and isinstance(e.value, str)]
    return []


def call_name(call):
    f = call.func
    return f.id if isinstance(f, ast.Name) else f.attr if isinstance(f, ast.Attribute) else None


class BuildFile:
    """What a BUILD file says about the files of its package."""

    def __init__(self, path):
        self.literals = set()   # package-relative paths named literally in file attributes
        self.globs = []         # (include patterns, exclude patterns, allow_empty)
        for node in ast.walk(parse_starlark(path)):
            if not isinstance(node, ast.Call):
                continue
            name = call_name(node)
            if name == "glob":
                include = str_list(node.args[0]) if node.args else []
                exclude = []
                for kw in node.keywords:
                    if kw.arg == "include":
                        include = str_list(kw.value)
                    elif kw.arg == "exclude":
                        exclude = str_list(kw.value)
                self.globs.append((include, exclude))
            if name == "exports_files" and node.args:
                self.literals.update(str_list(node.args[0]))
            for kw in node.keywords:
                if kw.arg in FILE_ATTRS:
                    for sub in ast.walk(kw.value):
                        self.literals.update(str_list(sub))
        self.literals = {l.lstrip(":") for l in self.literals if not l.startswith(("@", "//"))}


def glob_match(pattern, rel):
    """Bazel glob semantics: '*' stays within a path segment, '**' spans segments."""
    regex = ""
    i = 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            regex += "(?:.*/)?"
            i += 3
        elif pattern.startswith("**", i):
            regex += ".*"
            i += 2
        elif pattern[i] == "*":
            regex += "[^/]*"
            i += 1
        elif pattern[i] == "?":
            regex += "[^/]"
            i += 1
        else:
            regex += re.escape(pattern[i])
            i += 1
    return re.fullmatch(regex, rel) is not None


# ---------------------------------------------------------------------------------------
# checks

def check_coverage(root, files, problems):
    ignored = bazel_ignored(root)
    packages = {os.path.dirname(f) for f in files if os.path.basename(f) in BUILD_NAMES}
    parsed = {}
    checked = 0
    for f in files:
        if not (f.endswith(SOURCE_SUFFIXES) or f.startswith(MATRIX_DIR)):
            continue
        if os.path.basename(f) in BUILD_NAMES:
            continue
        if any(fnmatch.fnmatch(f, pat) for pat in EXEMPT):
            continue
        checked += 1
        if any(under(f, ig) for ig in ignored):
            problems.append("coverage: %s is in a .bazelignore'd directory, so no Bazel target can use it" % f)
            continue
        pkg = os.path.dirname(f)
        while pkg and pkg not in packages:
            pkg = os.path.dirname(pkg)
        if pkg not in packages:
            problems.append("coverage: %s has no BUILD.bazel in its directory or above it" % f)
            continue
        if pkg not in parsed:
            name = next(n for n in BUILD_NAMES if os.path.exists(os.path.join(root, pkg, n)))
            parsed[pkg] = BuildFile(os.path.join(root, pkg, name))
        build = parsed[pkg]
        rel = f[len(pkg) + 1:] if pkg else f
        # A glob never enters a subpackage; the nearest package is `pkg` by construction.
        covered = rel in build.literals or any(
            any(glob_match(p, rel) for p in inc) and not any(glob_match(p, rel) for p in exc)
            for inc, exc in build.globs)
        if not covered:
            problems.append("coverage: %s is not in any target of //%s (add it to %s)" % (
                f, pkg + (":" if not pkg else ""), os.path.join(pkg, "BUILD.bazel")))
    return checked


def module_calls(root):
    return [n for n in ast.walk(parse_starlark(os.path.join(root, "MODULE.bazel"))) if isinstance(n, ast.Call)]


def kwargs(call):
    return {kw.arg: kw.value for kw in call.keywords}


def lock_packages(root):
    text = read_text(os.path.join(root, "Cargo.lock"))
    version = re.search(r"^version = (\d+)", text, re.M)
    pkgs = []
    for block in text.split("[[package]]")[1:]:
        pkg = dict(re.findall(r'^(\w+) = "([^"]*)"', block, re.M))
        pkg["dependencies"] = re.findall(r'^ "([^"]+)",?$', block, re.M)
        pkgs.append(pkg)
    return (int(version.group(1)) if version else None), pkgs


def check_luau_pin(root, problems):
    _, pkgs = lock_packages(root)
    luau = [p for p in pkgs if p.get("name") == LUAU_CRATE]
    if len(luau) > 1:
        # A benchmark peer (mlua-sys) may pin another luau0-src; the pin is luau-embed's own
        # (Cargo.lock then names it with its version in luau-embed's dependencies).
        wanted = {d.split(" ")[1] for p in pkgs if p.get("name") == "luau-embed"
                  for d in p["dependencies"] if d.startswith(LUAU_CRATE + " ")}
        luau = [p for p in luau if p.get("version") in wanted]
    if len(luau) != 1:
        problems.append("luau-pin: Cargo.lock has %d %s entries that luau-embed uses, expected exactly one"
                        % (len(luau), LUAU_CRATE))
        return
    version, checksum = luau[0].get("version"), luau[0].get("checksum")
    archives = [c for c in module_calls(root) if call_name(c) == "http_archive"
                and str_list(kwargs(c).get("name")) == [LUAU_REPO]]
    if len(archives) != 1:
        problems.append("luau-pin: MODULE.bazel has no http_archive(name = \"%s\")" % LUAU_REPO)
        return
    kw = kwargs(archives[0])
    sha = (str_list(kw.get("sha256")) or [None])[0]
    if sha != checksum:
        problems.append("luau-pin: MODULE.bazel http_archive %s sha256 %s differs from Cargo.lock's %s checksum %s"
                        % (LUAU_REPO, sha, LUAU_CRATE, checksum))
    crate = "%s-%s" % (LUAU_CRATE, version)
    want_url = "https://static.crates.io/crates/%s/%s.crate" % (LUAU_CRATE, crate)
    urls = str_list(kw.get("urls")) + str_list(kw.get("url"))
    if want_url not in urls:
        problems.append("luau-pin: MODULE.bazel http_archive %s urls %s lack %s (the version Cargo.lock pins)"
                        % (LUAU_REPO, urls, want_url))
    prefix = (str_list(kw.get("strip_prefix")) or [""])[0]
    if prefix.split("/")[0] != crate:
        problems.append("luau-pin: MODULE.bazel http_archive %s strip_prefix %r does not start with %s/"
                        % (LUAU_REPO, prefix, crate))


def check_cargo(root, problems):
    lock_version, _ = lock_packages(root)
    if lock_version != SUPPORTED_LOCK_VERSION:
        problems.append("cargo: Cargo.lock is version %s; keep version = %d (the offline lane's cargo-bazel "
                        "0.15 cannot read newer lockfiles; cargo keeps an existing v3 file as it is)"
                        % (lock_version, SUPPORTED_LOCK_VERSION))
    text = read_text(os.path.join(root, "Cargo.toml"))
    if tomllib:
        members = tomllib.loads(text).get("workspace", {}).get("members", [])
    else:
        m = re.search(r"^members\s*=\s*\[(.*?)\]", text, re.M | re.S)
        members = re.findall(r'"([^"]+)"', m.group(1)) if m else []
    want = {"//:Cargo.toml"} | {"//%s:Cargo.toml" % m.strip("/") for m in members}
    from_cargo = [c for c in module_calls(root) if call_name(c) == "from_cargo"]
    if len(from_cargo) != 1:
        problems.append("cargo: MODULE.bazel needs exactly one crate.from_cargo(...)")
        return
    have = set(str_list(kwargs(from_cargo[0]).get("manifests")))
    for m in sorted(want - have):
        problems.append("cargo: crate.from_cargo(manifests) in MODULE.bazel lacks %s (a Cargo workspace member)" % m)
    for m in sorted(have - want):
        problems.append("cargo: crate.from_cargo(manifests) in MODULE.bazel lists %s, not a workspace member" % m)
    if any("*" in m for m in members):
        problems.append("cargo: glob workspace members are not supported by crate_universe; list them")


def go_repo_name(module_path):
    """gazelle's repository name: github.com/yuin/gopher-lua -> com_github_yuin_gopher_lua."""
    parts = module_path.split("/")
    name = "_".join(list(reversed(parts[0].split("."))) + parts[1:])
    return re.sub(r"[^0-9A-Za-z]", "_", name).lower()


def go_direct_requires(text):
    out = []
    in_block = False
    for raw in text.splitlines():
        line = raw.strip()
        indirect = "// indirect" in line
        line = line.split("//")[0].strip()
        if in_block:
            if line == ")":
                in_block = False
            elif line and not indirect:
                out.append(line.split()[0])
        elif line.startswith("require ("):
            in_block = True
        elif line.startswith("require ") and not indirect:
            out.append(line.split()[1])
    return out


def check_go_deps(root, files, problems):
    have = set()
    for c in module_calls(root):
        if call_name(c) == "use_repo" and c.args and isinstance(c.args[0], ast.Name) and c.args[0].id == "go_deps":
            for a in c.args[1:]:
                have.update(str_list(a))
    for go_mod in (f for f in files if os.path.basename(f) == "go.mod"):
        text = read_text(os.path.join(root, go_mod))
        # Modules replaced by a directory of this repository are not go_deps repositories.
        local = set(re.findall(r"^\s*(?:replace\s+)?(\S+)(?:\s+\S+)?\s+=>\s+\.", text, re.M))
        for path in go_direct_requires(text):
            if path not in local and go_repo_name(path) not in have:
                problems.append("go-deps: %s requires %s; add use_repo(go_deps, \"%s\") to MODULE.bazel"
                                % (go_mod, path, go_repo_name(path)))


CGO_NATIVE_LINK = re.compile(r"#cgo\b[^\n]*(LDFLAGS:[^\n]*(target/native|-lluau_embed)|pkg-config:[^\n]*luau-embed)")
BAZEL_TAG = re.compile(r"^//go:build .*!luau_bazel", re.M)


def check_cgo(root, files, problems):
    for f in files:
        if f.endswith(".go"):
            text = read_text(os.path.join(root, f))
            if CGO_NATIVE_LINK.search(text) and not BAZEL_TAG.search(text):
                problems.append("cgo: %s links the native archive (#cgo LDFLAGS or pkg-config) without `//go:build !luau_bazel`;"
                                " under Bazel the wrapper comes from cdeps and that link would fail" % f)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--root", default=os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    args = p.parse_args(argv)
    root = args.root
    files = [f for f in repo_files(root) if not f.startswith(("target/", ".git/"))]
    problems = []
    n = check_coverage(root, files, problems)
    check_luau_pin(root, problems)
    check_cargo(root, problems)
    check_go_deps(root, files, problems)
    check_cgo(root, files, problems)
    for line in problems:
        print("bazel-consistency: " + line)
    if problems:
        print("bazel-consistency: FAILED (%d problem%s)" % (len(problems), "" if len(problems) == 1 else "s"))
        return 1
    print("bazel-consistency: ok (%d source/test files in Bazel targets, Luau archive = Cargo.lock pin)" % n)
    return 0


if __name__ == "__main__":
    sys.exit(main())

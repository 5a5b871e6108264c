#!/usr/bin/env python3
"""Writes a Cargo directory source that stands in for crates.io (tools/package/rust_outside.sh).

    directory_source.py --workspace ROOT --crates DIR --out OUT

OUT/<name>-<version>/ holds, unpacked with a .cargo-checksum.json each:
  - the packaged crates DIR/*.crate (`cargo package` output: luau-embed, luau-embed-macros);
  - every crates.io package they need (normal and build dependencies, all platforms, as
    resolved in ROOT/Cargo.lock), from cargo's download cache ($CARGO_HOME/registry/cache;
    `cargo fetch --locked` fills it).
A project whose .cargo/config.toml says

    [source.crates-io]
    replace-with = "packaged"
    [source.packaged]
    directory = "OUT"

then resolves `luau-embed = "0.1.0"` as it would from crates.io after a publish, with no
[patch] and no path to this repository. Prints one summary line.
"""

import argparse
import glob
import hashlib
import io
import json
import os
import subprocess
import sys
import tarfile

try:
    import tomllib
except ImportError:  # Python < 3.11
    tomllib = None

CRATES_IO = "registry+https://github.com/rust-lang/crates.io-index"
ROOT_PACKAGE = "luau-embed"


def sha256(data):
    return hashlib.sha256(data).hexdigest()


def unpack(data, out, name_version, checksum):
    """Unpacks a .crate (tar.gz with one top directory <name>-<version>) into out/."""
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tar:
        for member in tar.getmembers():
            if not (member.name == name_version or member.name.startswith(name_version + "/")):
                raise SystemExit("directory_source: %s.crate holds %s" % (name_version, member.name))
            if member.issym() or member.islnk():
                raise SystemExit("directory_source: %s.crate holds a link: %s" % (name_version, member.name))
        tar.extractall(out)
    # No per-file sums: the .crate's own sha256 (Cargo.lock's checksum) is the package's.
    with open(os.path.join(out, name_version, ".cargo-checksum.json"), "w") as f:
        json.dump({"files": {}, "package": checksum}, f)


def lock_checksums(root):
    path = os.path.join(root, "Cargo.lock")
    if tomllib is None:
        raise SystemExit("directory_source: Python >= 3.11 is needed (tomllib)")
    with open(path, "rb") as f:
        lock = tomllib.load(f)
    return {(p["name"], p["version"]): p.get("checksum") for p in lock.get("package", [])}


def needed_packages(root):
    """crates.io packages in the normal/build dependency closure of luau-embed."""
    meta = json.loads(subprocess.run(
        ["cargo", "metadata", "--locked", "--format-version", "1", "--manifest-path",
         os.path.join(root, "Cargo.toml")], check=True, capture_output=True).stdout)
    by_id = {p["id"]: p for p in meta["packages"]}
    nodes = {n["id"]: n for n in meta["resolve"]["nodes"]}
    start = [i for i, p in by_id.items() if p["name"] == ROOT_PACKAGE and p["source"] is None]
    if len(start) != 1:
        raise SystemExit("directory_source: %s is not a workspace member" % ROOT_PACKAGE)
    seen, todo = set(), list(start)
    while todo:
        pid = todo.pop()
        if pid in seen:
            continue
        seen.add(pid)
        for dep in nodes[pid]["deps"]:
            if any(k["kind"] in (None, "build") for k in dep["dep_kinds"]):
                todo.append(dep["pkg"])
    out = []
    for pid in sorted(seen):
        p = by_id[pid]
        if p["source"] is None:
            continue  # a workspace member: comes from its .crate
        if p["source"] != CRATES_IO:
            raise SystemExit("directory_source: %s %s comes from %s, not crates.io" % (p["name"], p["version"], p["source"]))
        out.append((p["name"], p["version"]))
    return out


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--workspace", required=True)
    ap.add_argument("--crates", required=True, help="directory of the packaged .crate files")
    ap.add_argument("--out", required=True)
    args = ap.parse_args(argv)

    os.makedirs(args.out, exist_ok=True)
    cargo_home = os.environ.get("CARGO_HOME") or os.path.join(os.path.expanduser("~"), ".cargo")
    caches = sorted(glob.glob(os.path.join(cargo_home, "registry", "cache", "index.crates.io-*")))
    sums = lock_checksums(args.workspace)

    ours = sorted(glob.glob(os.path.join(args.crates, "*.crate")))
    if not ours:
        raise SystemExit("directory_source: no .crate files in %s" % args.crates)
    for path in ours:
        with open(path, "rb") as f:
            data = f.read()
        unpack(data, args.out, os.path.basename(path)[:-len(".crate")], sha256(data))

    missing = []
    deps = needed_packages(args.workspace)
    for name, version in deps:
        nv = "%s-%s" % (name, version)
        found = [os.path.join(c, nv + ".crate") for c in caches if os.path.isfile(os.path.join(c, nv + ".crate"))]
        if not found:
            missing.append(nv)
            continue
        with open(found[0], "rb") as f:
            data = f.read()
        want = sums.get((name, version))
        if want and sha256(data) != want:
            raise SystemExit("directory_source: %s does not match Cargo.lock's checksum" % found[0])
        unpack(data, args.out, nv, want or sha256(data))
    if missing:
        raise SystemExit("directory_source: not in cargo's download cache (run `cargo fetch --locked`): "
                         + ", ".join(missing))
    print("directory_source: %d packaged crates + %d crates.io dependencies in %s" % (len(ours), len(deps), args.out))
    return 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env bash
# Prints the directory of Luau's C++ sources: the `luau/` folder of the luau0-src crate
# pinned in Cargo.lock. Downloads it into cargo's cache on first use (`cargo fetch`).
# Luau's sources are never copied into this repository.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cargo fetch --locked --manifest-path "$root/Cargo.toml" >/dev/null 2>&1 || cargo fetch --locked --manifest-path "$root/Cargo.toml" >&2
cargo metadata --locked --format-version 1 --manifest-path "$root/Cargo.toml" 2>/dev/null |
  python3 -c '
import json, os, sys
meta = json.load(sys.stdin)
pkgs = [p for p in meta["packages"] if p["name"] == "luau0-src"]
if len(pkgs) != 1:
    sys.exit("luau_src_dir: expected exactly one luau0-src in Cargo.lock, found %d" % len(pkgs))
print(os.path.join(os.path.dirname(pkgs[0]["manifest_path"]), "luau"))
'

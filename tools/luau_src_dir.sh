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
# The luau0-src that luau-embed itself builds from (a benchmark peer may pin another one).
by_id = {p["id"]: p for p in meta["packages"]}
node = next((n for n in meta["resolve"]["nodes"] if by_id[n["id"]]["name"] == "luau-embed"), None)
if node is None:
    sys.exit("luau_src_dir: luau-embed is not in the workspace")
deps = [by_id[d["pkg"]] for d in node["deps"] if by_id[d["pkg"]]["name"] == "luau0-src"]
if len(deps) != 1:
    sys.exit("luau_src_dir: luau-embed must depend on exactly one luau0-src, found %d" % len(deps))
print(os.path.join(os.path.dirname(deps[0]["manifest_path"]), "luau"))
'

#!/usr/bin/env bash
# make package-rust: the Rust crates as a user outside this repository gets them (README,
# "Outside this repository"), end to end:
#   1. `cargo package -p luau-embed-macros -p luau-embed`: both crates packaged and verified
#      (the packaged luau-embed built from its .crate alone: wrapper sources in csrc/, Luau's
#      from the luau0-src build-dependency);
#   2. a directory source standing in for crates.io (directory_source.py): the two .crate
#      files and their crates.io dependencies from cargo's cache, pinned as in Cargo.lock;
#   3. a new binary crate in a temp dir whose .cargo/config.toml replaces crates.io with it:
#      `cargo new`, `cargo add luau-embed`, src/main.rs = testdata/rust/main.rs (Rust
#      functions called from Luau, a closure and a #[luau::function]), `cargo run`, output
#      checked.
# Network: crates.io only (cargo fetch, the verify step's resolution). Steps 1-2 use the
# user's CARGO_HOME (luau0-src and the other crates stay cached), step 3 an empty one with
# the stand-in for crates.io as its only source. Build outputs go to
# target/package/{cargo,registry,outside} and are reused between runs: a cold run builds Luau twice
# (the verify step, then the outside crate), a warm run only the wrapper.
# LUAW_PACKAGE_KEEP=1 keeps the temp dir.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
HERE=$ROOT/tools/package
CARGO=${CARGO:-cargo}
OUT=${LUAW_PACKAGE_TARGET:-$ROOT/target/package}
VERSION=0.1.0
WANT="add(40, 2) = 42, HI!"
t0=$(date +%s)

say() { echo "package-rust: $*"; }
fail() { echo "package-rust: FAILED: $*" >&2; exit 1; }
run() { echo "+ $*"; "$@"; }
elapsed() { echo "$(($(date +%s) - t0))s"; }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/luau-embed-rust-outside.XXXXXX")
cleanup() {
  if [ "${LUAW_PACKAGE_KEEP:-0}" = 1 ]; then say "kept $tmp"; else rm -rf "$tmp"; fi
}
trap cleanup EXIT

# ---- 1. package and verify ---------------------------------------------------------------
cd "$ROOT"
"$CARGO" fetch --locked -q || fail "cargo fetch --locked failed (crates.io unreachable?)"
rm -f "$OUT"/cargo/package/*.crate
# --allow-dirty: the work tree is what is tested (on a fresh clone it is the commit).
run "$CARGO" package -q -p luau-embed-macros -p luau-embed --allow-dirty --target-dir "$OUT/cargo" ||
  fail "cargo package (packaging or verifying the crates) failed"
say "packaged and verified ($(elapsed))"

# ---- 2. the stand-in for crates.io ---------------------------------------------------------
mkdir -p "$tmp/crates"
cp "$OUT/cargo/package/luau-embed-$VERSION.crate" "$OUT/cargo/package/luau-embed-macros-$VERSION.crate" "$tmp/crates/"
# At a fixed path: the C++ flags name the wrapper's directory in it, and the build script
# reuses its cached Luau archive only for identical flags.
registry=$OUT/registry
rm -rf "$registry"
python3 "$HERE/directory_source.py" --workspace "$ROOT" --crates "$tmp/crates" --out "$registry" >/dev/null
mkdir -p "$tmp/.cargo"
cat >"$tmp/.cargo/config.toml" <<EOF
# crates.io as it would be after publishing the packaged crates (no [patch], no path).
[source.crates-io]
replace-with = "packaged"

[source.packaged]
directory = "$registry"
EOF

# ---- 3. a crate outside the repository ---------------------------------------------------
# Dependencies from a directory source count as immutable for a given version: when the
# packaged crates changed since the last run, drop their fingerprints so that they rebuild
# (their build-script output, with the cached Luau archive, stays).
export CARGO_TARGET_DIR="$OUT/outside"
# An empty CARGO_HOME: the outside build sees no registry cache or checkout of this project,
# only the stand-in for crates.io (so luau0-src too comes from there, as it would from crates.io).
export CARGO_HOME="$tmp/cargo-home"
stamp=$CARGO_TARGET_DIR/packaged.sha256
sums=$(cd "$tmp/crates" && sha256sum ./*.crate)
if [ -d "$CARGO_TARGET_DIR/debug/.fingerprint" ] && [ "$(cat "$stamp" 2>/dev/null)" != "$sums" ]; then
  rm -rf "$CARGO_TARGET_DIR"/debug/.fingerprint/luau-embed-*
fi
cd "$tmp"
run "$CARGO" new -q hello
cd hello
run "$CARGO" add -q luau-embed
grep -qF "luau-embed = \"$VERSION\"" Cargo.toml || fail "cargo add did not pick the packaged luau-embed $VERSION"
cp "$HERE/testdata/rust/main.rs" src/main.rs
echo "+ $CARGO run (src/main.rs = tools/package/testdata/rust/main.rs)"
got=$("$CARGO" run -q) || fail "cargo run of the outside crate failed"
mkdir -p "$CARGO_TARGET_DIR" && echo "$sums" >"$stamp"
[ "$got" = "$WANT" ] || fail "the program printed '$got', want '$WANT'"
echo "$got"
say "ok ($(elapsed)): luau-embed $VERSION + luau-embed-macros from their .crate files, cargo add, cargo run"

#!/usr/bin/env bash
# make bazel-offline: run the real, unchanged MODULE.bazel and BUILD files through Bazel on
# machines that cannot reach the Bazel Central Registry (offline verification only).
#
# Bazel 7.7.1 and its rule sets come from Debian sid (a debootstrap chroot, see
# sid_chroot.sh); modules Debian lacks are replaced through --override_module:
#   rules_rust  Debian's 0.54.1 (+ the current `crate_universe:extensions.bzl` name)
#   rules_go    a stand-in implementing only go_library/go_test/go_binary (offline/modules)
#   gazelle     a placeholder (go_deps accepted, external modules from GOMODCACHE)
#   googletest  Debian's googletest sources with the BCR target names
#   apple_support, protobuf, aspect_rules_js, zlib, buildozer: empty placeholders
# The Rust toolchain is the installed rustup one (not downloaded), crates and the Luau
# .crate come from cargo's download cache (a Bazel repository cache keyed by sha256),
# and crate_universe's generator is cargo-bazel 0.15.0 built from crates.io.
#
# Exit status: 0 when Bazel passed, or when the environment cannot be set up (then the
# line "bazel-offline: SKIPPED (<reason>)" is printed); non-zero when analysis, build or
# a test failed.
set -euo pipefail

WS=$(cd "$(dirname "$0")/../.." && pwd)
HERE=$WS/tools/bazel
ROOT=${LUAW_SIDROOT:-/opt/sidroot}
STAGE_IN=/opt/luau-embed-offline          # inside the chroot
STAGE=$ROOT$STAGE_IN                      # seen from the host
TOOLS=${LUAW_OFFLINE_TOOLS:-/opt/luau-embed-tools}   # survives a rebuilt chroot
CARGO_BAZEL_VERSION=0.15.0                # crate_universe of rules_rust 0.54.1
TINYJSON_VERSION=2.5.1                    # rules_rust's process_wrapper needs it
t0=$(date +%s)

skip() { echo "bazel-offline: SKIPPED ($*)"; exit 0; }
say() { echo "bazel-offline: $*"; }
elapsed() { echo "$(($(date +%s) - t0))s"; }

# ---- 0. what the host must have -------------------------------------------------------
command -v cargo >/dev/null || skip "cargo not found"
command -v rustc >/dev/null || skip "rustc not found"
SYSROOT=$(cd "$WS" && rustc --print sysroot)
case "$SYSROOT" in "$HOME"/.rustup/toolchains/*) ;; *) skip "rustc is not a rustup toolchain under \$HOME/.rustup ($SYSROOT)";; esac
CARGO_HOME_DIR=${CARGO_HOME:-$HOME/.cargo}
GOMODCACHE_DIR=$(go env GOMODCACHE 2>/dev/null || echo "$HOME/go/pkg/mod")

# ---- 1. the sid chroot with Bazel 7.7.1 ---------------------------------------------
rc=0; "$HERE/sid_chroot.sh" setup || rc=$?
if [ "$rc" = 3 ]; then skip "Debian sid chroot could not be set up; see messages above"; fi
[ "$rc" = 0 ] || { say "FAILED (sid_chroot.sh setup exited $rc)"; exit "$rc"; }
say "chroot ready ($(elapsed))"

# ---- 2. cargo's download cache: every crate of Cargo.lock, Luau's .crate, tinyjson -----
(cd "$WS" && cargo fetch --locked -q) || skip "cargo fetch failed (crates.io unreachable?)"
CRATE_CACHE=$(ls -d "$CARGO_HOME_DIR"/registry/cache/index.crates.io-* 2>/dev/null | head -n1)
[ -n "$CRATE_CACHE" ] || skip "no crates.io download cache under $CARGO_HOME_DIR"
if [ ! -f "$CRATE_CACHE/tinyjson-$TINYJSON_VERSION.crate" ]; then
  seed=$(mktemp -d)
  (cd "$seed" && cargo init -q --lib --name seed && cargo add -q "tinyjson@=$TINYJSON_VERSION" && cargo fetch -q) ||
    { rm -rf "$seed"; skip "cannot fetch tinyjson $TINYJSON_VERSION"; }
  rm -rf "$seed"
fi
# cargo-bazel 0.15's crates-index predates cargo 1.85's index directory name.
idx=$CARGO_HOME_DIR/registry/index
if [ -d "$idx/index.crates.io-1949cf8c6b5b557f" ] && [ ! -e "$idx/index.crates.io-6f17d22bba15001f" ]; then
  ln -s index.crates.io-1949cf8c6b5b557f "$idx/index.crates.io-6f17d22bba15001f"
fi

# Go modules of every go.mod (the peers of go/bench): the rules_go stand-in builds with
# GOPROXY=off from this module cache, which the chroot sees at the same path.
if command -v go >/dev/null; then
  while IFS= read -r mod; do
    (cd "$(dirname "$mod")" && GOTOOLCHAIN=local go mod download) ||
      skip "go mod download failed in $(dirname "$mod")"
  done < <(cd "$WS" && git ls-files --cached --others --exclude-standard | grep -E '(^|/)go\.mod$' | sed "s#^#$WS/#")
fi

# ---- 3. cargo-bazel, the crate_universe generator matching rules_rust 0.54.1 ------------
CARGO_BAZEL=$TOOLS/cargo-bazel-$CARGO_BAZEL_VERSION/bin/cargo-bazel
if [ ! -x "$CARGO_BAZEL" ]; then
  say "building cargo-bazel $CARGO_BAZEL_VERSION from crates.io (first run only, several minutes)"
  cargo install -q cargo-bazel --version "$CARGO_BAZEL_VERSION" --locked \
    --root "$TOOLS/cargo-bazel-$CARGO_BAZEL_VERSION" >/dev/null ||
    skip "cargo install cargo-bazel $CARGO_BAZEL_VERSION failed"
fi

# ---- 4. the staging directory (stand-in modules and repositories) ---------------------
python3 "$HERE/offline/stage.py" \
  --stage "$STAGE" --stage-in-chroot "$STAGE_IN" --chroot "$ROOT" --workspace "$WS" \
  --rust-sysroot "$SYSROOT" --cargo-bazel "$CARGO_BAZEL" --crate-cache "$CRATE_CACHE" \
  --cargo-lock "$WS/Cargo.lock" --extra-crate "tinyjson-$TINYJSON_VERSION" \
  --gomodcache "$GOMODCACHE_DIR"
say "staged $STAGE_IN ($(elapsed))"

# ---- 5. Bazel --------------------------------------------------------------------------
BAZEL="bazel --bazelrc=$STAGE_IN/offline.bazelrc"
in_chroot() { "$HERE/sid_chroot.sh" exec "$*"; }
status=0
say "bazel test //... (Bazel 7.7.1, Debian rule sets, unchanged MODULE.bazel)"
in_chroot "$BAZEL test --config=ci //..." || status=$?
if [ "$status" = 0 ]; then
  say "bazel test //...: passed ($(elapsed))"
  # One short `bazel run` of each benchmark suite.
  benches=$(in_chroot "$BAZEL query --noshow_progress 'attr(tags, benchmark, tests(//...))' 2>/dev/null" || true)
  for t in $benches; do
    case "$t" in
      //rust/*) args="--bench --warm-up-time 0.2 --measurement-time 0.5 --sample-size 10" ;;
      *) args="'-test.run=^\$' -test.bench=. -test.benchtime=100x" ;;
    esac
    say "bazel run --config=bench $t -- $args"
    in_chroot "$BAZEL run --config=ci --config=bench $t -- $args" || { status=$?; say "FAILED: bazel run $t"; break; }
  done
fi
in_chroot "$BAZEL shutdown" >/dev/null 2>&1 || true
"$HERE/sid_chroot.sh" umount || true
if [ "$status" = 0 ]; then
  say "PASSED ($(elapsed))"
else
  say "FAILED (exit $status, $(elapsed))"
fi
exit "$status"

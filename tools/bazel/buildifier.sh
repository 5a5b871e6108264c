#!/usr/bin/env bash
# Lint and format check of every Bazel file with buildifier (npm @bazel/buildifier),
# installed into target/tools/buildifier on first use (never globally).
#   tools/bazel/buildifier.sh          check (part of make bazel-check)
#   tools/bazel/buildifier.sh --fix    reformat and apply automatic lint fixes
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
VERSION=8.2.1
DIR=$ROOT/target/tools/buildifier
BIN=$DIR/node_modules/.bin/buildifier
if ! "$BIN" --version 2>/dev/null | grep -q "version: $VERSION"; then
  command -v npm >/dev/null || { echo "buildifier: npm is needed to install @bazel/buildifier" >&2; exit 1; }
  mkdir -p "$DIR"
  npm install --silent --no-audit --no-fund --prefix "$DIR" "@bazel/buildifier@$VERSION" >/dev/null 2>&1 ||
    npm install --no-audit --no-fund --prefix "$DIR" "@bazel/buildifier@$VERSION" >&2
fi
cd "$ROOT"
mapfile -t files < <(git ls-files --cached --others --exclude-standard |
  grep -E '(^|/)(BUILD|BUILD\.bazel|MODULE\.bazel|WORKSPACE|WORKSPACE\.bazel|[^/]+\.BUILD\.bazel|[^/]+\.bzl)$' |
  while read -r f; do [ -f "$f" ] && echo "$f"; done)
[ "${#files[@]}" -gt 0 ] || { echo "buildifier: no Bazel files"; exit 0; }
# *.BUILD.bazel files are BUILD files for external repositories: tell buildifier so.
ext=(); other=()
for f in "${files[@]}"; do case "$f" in *?.BUILD.bazel) ext+=("$f");; *) other+=("$f");; esac; done
run() {
  if [ "$FIX" = 1 ]; then "$BIN" --lint=fix --warnings=all "$@"; fi
  "$BIN" --mode=check --lint=warn --warnings=all "$@" 2>&1
}
FIX=0; [ "${1:-}" = "--fix" ] && FIX=1
status=0
if [ "${#other[@]}" -gt 0 ]; then run "${other[@]}" || status=1; fi
if [ "${#ext[@]}" -gt 0 ]; then run --type=build "${ext[@]}" || status=1; fi
if [ "$status" != 0 ]; then echo "buildifier: FAILED (fix with tools/bazel/buildifier.sh --fix)"; exit 1; fi
echo "buildifier: ok (${#files[@]} Bazel files)"

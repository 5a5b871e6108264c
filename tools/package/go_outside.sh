#!/usr/bin/env bash
# make package-go: the Go package as a user outside this repository gets it (README, "Outside
# this repository"), end to end:
#   1. this module (the work tree: tracked and untracked, not ignored files) zipped with
#      golang.org/x/mod/zip into a file-based module proxy (testdata/modzip);
#   2. a new module in a temp dir, an empty module cache (GOMODCACHE), GOPROXY=file://...,
#      GOSUMDB=off, GOFLAGS=-mod=mod: `go get github.com/luau-embed/luau-embed@latest`;
#   3. without the install step `go build` must fail with the documented message (checked
#      here and in the README);
#   4. `make install PREFIX=<tmp>`, PKG_CONFIG_PATH=<tmp>/lib/pkgconfig, `go build`, and the
#      program (testdata/go/main.go: a Go function called from Luau) prints what it must.
# Network: only the Go module proxy, once, for golang.org/x/mod (the zip tool's dependency).
# LUAW_PACKAGE_KEEP=1 keeps the temp dir.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
HERE=$ROOT/tools/package
GO=${GO:-go}
XMOD_VERSION=v0.24.0
MODULE=github.com/luau-embed/luau-embed
NOT_FOUND="Package luau-embed was not found in the pkg-config search path"
WANT="add(40, 2) = 42"
t0=$(date +%s)

say() { echo "package-go: $*"; }
fail() { echo "package-go: FAILED: $*" >&2; exit 1; }
run() { echo "+ $*"; "$@"; }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/luau-embed-go-outside.XXXXXX")
cleanup() {
  if [ "${LUAW_PACKAGE_KEEP:-0}" = 1 ]; then say "kept $tmp"; return; fi
  chmod -R u+w "$tmp" 2>/dev/null || true # the module cache is read-only
  rm -rf "$tmp"
}
trap cleanup EXIT
export GOTOOLCHAIN=local CGO_ENABLED=1

# ---- 1. the module proxy --------------------------------------------------------------
mkdir -p "$tmp/modzip"
cp "$HERE/testdata/modzip/main.go" "$tmp/modzip/"
(
  cd "$tmp/modzip"
  printf 'module luau-embed.invalid/modzip\n\ngo 1.23\n' >go.mod
  "$GO" get "golang.org/x/mod@$XMOD_VERSION" 2>/dev/null || "$GO" get "golang.org/x/mod@$XMOD_VERSION"
  "$GO" build -o "$tmp/modzip.bin" .
) || fail "cannot build the module zip tool (golang.org/x/mod@$XMOD_VERSION from the Go module proxy)"
"$tmp/modzip.bin" -root "$ROOT" -out "$tmp/proxy" -version v0.1.0 >/dev/null

# ---- 2. a module outside the repository, an empty module cache ---------------------------
mkdir -p "$tmp/hello" "$tmp/no-pkgconfig"
cp "$HERE/testdata/go/main.go" "$tmp/hello/"
export GOPROXY="file://$tmp/proxy" GOSUMDB=off GOFLAGS=-mod=mod GOMODCACHE="$tmp/modcache"
# Only what the test installs: no luau-embed.pc of this checkout (the Makefile's) or the system.
unset PKG_CONFIG_PATH
export PKG_CONFIG_LIBDIR="$tmp/no-pkgconfig"
cd "$tmp/hello"
run "$GO" mod init example.com/hello 2>/dev/null
run "$GO" get "$MODULE@latest" 2>&1

# ---- 3. without the install step: the documented failure ---------------------------------
if out=$("$GO" build -o hello . 2>&1); then
  fail "go build succeeded without the native library installed"
fi
grep -qF "$NOT_FOUND" <<<"$out" || { echo "$out" >&2; fail "go build failed without naming the missing luau-embed.pc"; }
grep -qF "$NOT_FOUND" "$ROOT/README.md" || fail "README.md does not document '$NOT_FOUND'"
say "without make install: go build fails with \"$NOT_FOUND\" (documented)"

# ---- 4. make install, go build, run ----------------------------------------------------
echo "+ make install PREFIX=$tmp/prefix"
make -s -C "$ROOT" install PREFIX="$tmp/prefix" >/dev/null
export PKG_CONFIG_PATH="$tmp/prefix/lib/pkgconfig"
echo "+ export PKG_CONFIG_PATH=$PKG_CONFIG_PATH"
run "$GO" build -o hello .
got=$(./hello)
[ "$got" = "$WANT" ] || fail "the program printed '$got', want '$WANT'"
echo "$got"
say "ok ($(($(date +%s) - t0))s): $MODULE from a module proxy, make install, go build, a Go function called from Luau"

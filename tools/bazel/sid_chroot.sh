#!/usr/bin/env bash
# Offline verification only: the Debian sid chroot that runs Bazel 7.7.1 and Debian's
# rule sets (bazel-bootstrap, bazel-rules-rust, ...) on machines that cannot reach the
# Bazel Central Registry. Everything comes from Debian's packages (apt) and crates.io
# (cargo); nothing from GitHub, the BCR or releases.bazel.build.
#
#   tools/bazel/sid_chroot.sh setup    create or reuse the chroot, install packages, mount
#   tools/bazel/sid_chroot.sh mount    (re)do the bind mounts only
#   tools/bazel/sid_chroot.sh umount   undo the bind mounts
#   tools/bazel/sid_chroot.sh exec CMD run CMD (bash -c) inside the chroot, in the workspace
#
# Exit code 3 from `setup` means "environment cannot be set up" (not root, Debian
# unreachable, debootstrap failed): the caller reports SKIPPED instead of failing.
set -euo pipefail

ROOT=${LUAW_SIDROOT:-/opt/sidroot}
WS=$(cd "$(dirname "$0")/../.." && pwd)
READY=$ROOT/.luau-embed-ready-v1
CARGO_HOME_DIR=${CARGO_HOME:-$HOME/.cargo}
RUSTUP_HOME_DIR=${RUSTUP_HOME:-$HOME/.rustup}
GOMODCACHE_DIR=$(go env GOMODCACHE 2>/dev/null || echo "$HOME/go/pkg/mod")
PKGS="bazel-bootstrap bazel-rules-rust bazel-rules-shell bazel-rules-cc bazel-skylib bazel-platforms g++ golang-go googletest ca-certificates"

skip() { echo "sid_chroot: cannot set up: $*" >&2; exit 3; }
log() { echo "sid_chroot: $*" >&2; }

do_mount() {
  mkdir -p "$ROOT$WS" "$ROOT$CARGO_HOME_DIR" "$ROOT$RUSTUP_HOME_DIR" "$ROOT$GOMODCACHE_DIR"
  for d in proc dev sys; do mountpoint -q "$ROOT/$d" || mount --bind "/$d" "$ROOT/$d"; done
  mountpoint -q "$ROOT$WS" || mount --bind "$WS" "$ROOT$WS"
  mountpoint -q "$ROOT$CARGO_HOME_DIR" || mount --bind "$CARGO_HOME_DIR" "$ROOT$CARGO_HOME_DIR"
  mountpoint -q "$ROOT$RUSTUP_HOME_DIR" || mount --bind "$RUSTUP_HOME_DIR" "$ROOT$RUSTUP_HOME_DIR"
  if [ -d "$GOMODCACHE_DIR" ]; then
    mountpoint -q "$ROOT$GOMODCACHE_DIR" || mount --bind "$GOMODCACHE_DIR" "$ROOT$GOMODCACHE_DIR"
  fi
}

do_umount() {
  for m in "$GOMODCACHE_DIR" "$RUSTUP_HOME_DIR" "$CARGO_HOME_DIR" "$WS" /sys /dev /proc; do
    mountpoint -q "$ROOT$m" 2>/dev/null && umount -l "$ROOT$m" || true
  done
}

do_setup() {
  [ "$(id -u)" = 0 ] || skip "needs root (debootstrap, chroot, bind mounts)"
  if [ ! -f "$READY" ]; then
    if ! command -v debootstrap >/dev/null; then
      apt-get update -qq >/dev/null 2>&1 || skip "apt-get update failed"
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends debootstrap >/dev/null ||
        skip "cannot install debootstrap"
    fi
    if [ ! -x "$ROOT/usr/bin/apt-get" ] || [ ! -f "$ROOT/.debootstrap-done" ]; then
      log "debootstrap sid into $ROOT (a few minutes)"
      do_umount
      if grep -q " $ROOT/" /proc/mounts; then skip "refusing to delete $ROOT: something is still mounted below it"; fi
      rm -rf "$ROOT"
      debootstrap --variant=minbase sid "$ROOT" http://deb.debian.org/debian >"$ROOT.debootstrap.log" 2>&1 ||
        { tail -n 20 "$ROOT.debootstrap.log" >&2; skip "debootstrap sid failed (log: $ROOT.debootstrap.log)"; }
      touch "$ROOT/.debootstrap-done"
    fi
  fi
  cp /etc/resolv.conf "$ROOT/etc/resolv.conf"
  mkdir -p "$ROOT/usr/local/share/ca-certificates"
  cp /usr/local/share/ca-certificates/*.crt "$ROOT/usr/local/share/ca-certificates/" 2>/dev/null || true
  do_mount
  if [ ! -f "$READY" ]; then
    log "installing Bazel 7.7.1 and rule sets from sid (a few minutes)"
    # The sid index served here can be past its Valid-Until date.
    chroot "$ROOT" bash -c "
      set -e
      update-ca-certificates >/dev/null 2>&1 || true
      export DEBIAN_FRONTEND=noninteractive
      apt-get -qq -o Acquire::Check-Valid-Until=false update
      apt-get install -y -qq --no-install-recommends $PKGS" >"$ROOT.apt.log" 2>&1 ||
      { tail -n 20 "$ROOT.apt.log" >&2; skip "apt-get install in the sid chroot failed (log: $ROOT.apt.log)"; }
    chroot "$ROOT" bazel --version >/dev/null 2>&1 || skip "bazel does not run in the chroot"
    touch "$READY"
  else
    chroot "$ROOT" bash -c 'update-ca-certificates >/dev/null 2>&1 || true'
  fi
}

case "${1:-}" in
  setup) do_setup ;;
  mount) do_mount ;;
  umount) do_umount ;;
  exec) shift; do_mount; exec chroot "$ROOT" env -i HOME="$HOME" TERM=dumb LANG=C.UTF-8 \
          PATH=/usr/sbin:/usr/bin:/sbin:/bin bash -c "cd '$WS' && $*" ;;
  *) echo "usage: $0 setup|mount|umount|exec CMD" >&2; exit 2 ;;
esac

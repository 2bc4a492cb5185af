#!/usr/bin/env bash
# gpu-host-kit.sh: run berth's integration tests on a host that cannot build berth (the GPU
# host of ../shared/GPU-HOST.md: pure cgroup v2, an NVIDIA GPU, no busybox, jq or compiler).
#
# usage:
#   gpu-host-kit.sh pack KIT_DIR [BUILD_DIR]   on the build machine: copies the stripped
#       berth-oci and integration test binary, busybox-static, jq and the shared libraries
#       they need that a minimal host may lack into KIT_DIR (bin/, lib/)
#   gpu-host-kit.sh run KIT_DIR [GTEST_FILTER]  on the other host, from the source tree root:
#       runs the integration tests (default: all but the podman/containerd peers) with the kit
#       on PATH, and prints what the host offers (cgroup controllers, GPUs) first
set -euo pipefail
SELF=gpu-host-kit.sh
die() { echo "$SELF: $*" >&2; exit 1; }

pack() {
  local kit=$1 build=${2:-build}
  [ -x "$build/bin/berth-oci" ] && [ -x "$build/tests/berth_integration_tests" ] ||
    die "$build has no built berth-oci and berth_integration_tests (run scripts/build.sh)"
  rm -rf "$kit" && mkdir -p "$kit/bin" "$kit/lib"
  strip -o "$kit/bin/berth-oci" "$build/bin/berth-oci"
  strip -o "$kit/bin/berth_integration_tests" "$build/tests/berth_integration_tests"
  cp /bin/busybox "$kit/bin/busybox"
  cp "$(command -v jq)" "$kit/bin/jq"
  local lib
  for lib in $(ldd "$kit/bin/jq" "$kit/bin/berth-oci" "$kit/bin/berth_integration_tests" | awk '$3 ~ /^\// { print $3 }' | sort -u); do
    case $(basename "$lib") in libc.so.* | libm.so.* | ld-linux*) ;; *) cp -L "$lib" "$kit/lib/" ;; esac
  done
  du -sh "$kit"
}

run() {
  local kit filter=${2:--Podman*:Containerd*}
  kit=$(cd "$1" && pwd)
  export PATH="$kit/bin:$PATH" LD_LIBRARY_PATH="$kit/lib" BUSYBOX="$kit/bin/busybox"
  export BERTH_OCI_BINARY="$kit/bin/berth-oci" BERTH_SOURCE_DIR="$PWD" XDG_CACHE_HOME=/tmp/berth-kit-cache
  mkdir -p "$XDG_CACHE_HOME"
  echo "== host: $(uname -r), $(nproc) cpus"
  grep cgroup /proc/self/mountinfo || true
  echo "== cgroup.controllers: $(cat /sys/fs/cgroup/cgroup.controllers 2>/dev/null)"
  echo "== GPUs: $(ls /proc/driver/nvidia/gpus 2>/dev/null | tr '\n' ' ')"
  "$kit/bin/berth_integration_tests" --gtest_filter="$filter" --gtest_color=no
}

case ${1:-} in
  pack) [ $# -ge 2 ] || die "usage: $SELF pack KIT_DIR [BUILD_DIR]"; shift; pack "$@" ;;
  run) [ $# -ge 2 ] || die "usage: $SELF run KIT_DIR [GTEST_FILTER]"; shift; run "$@" ;;
  *) die "usage: $SELF pack|run KIT_DIR ..." ;;
esac

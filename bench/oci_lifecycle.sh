#!/usr/bin/env bash
# oci_lifecycle.sh: berth-oci vs crun vs runc on a whole container lifecycle running
# /bin/true, same machine, same bundle, many runs each, interleaved. Prints per runtime the
# median, p10 and p90 wall time and the median peak RSS, the ratios berth-oci/crun and
# berth-oci/runc, and PASS/MISS against the target (median time <= 0.8x crun's, peak RSS
# <= crun's). See bench/README.md.
#
# usage: sudo bench/oci_lifecycle.sh            (root; env below)
#   RUNS=60        measured lifecycles per runtime and scenario
#   WARMUP=3       warm-up rounds, discarded
#   SCENARIOS=run,cycle
#   SETTLE_MS=0    untimed pause (ms) before each lifecycle; e.g. 20 lets the kernel go idle
#                  (cold cgroup migration: every create then waits an RCU grace period)
#   BERTH_OCI=build/bin/berth-oci  CRUN=/usr/bin/crun  RUNC=/usr/bin/runc
#   BUILD_DIR=build   (where bench/oci_lifecycle_driver is built; DRIVER= overrides the binary)
#   RAW=FILE       also write every sample (warm-ups included, round < 0) as TSV
#   STRICT=1       exit 3 when the target is missed (default: exit 0 after printing MISS)
#   LIMITS=1       the bundle asks for cpu, memory and pids limits (shares 512, quota 50 ms of
#                  100 ms, 256 MiB, 128 pids): every runtime then writes them at create, and
#                  the cycle's create and delete steps show each one's cgroup setup and teardown
#
# Everything runs in ONE private mount namespace (unshare -m), shared by all three runtimes:
# on a hybrid-cgroup host its cgroup2 mount /sys/fs/cgroup/unified is replaced by an empty
# tmpfs there (crun 1.8 refuses hybrid mode), so every runtime sees plain cgroup v1 and none
# pays a per-call wrapper. The state roots (one --root per runtime) live on a tmpfs mounted
# in that namespace. Containers are named berth-bench-*; whatever a failure leaves behind
# is force-deleted, and the temp dir (bundle, driver fallback, tmpfs mount point) removed.
set -euo pipefail
umask 022

SELF=oci_lifecycle.sh
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SOURCE_DIR=$(cd "$HERE/.." && pwd)
die() { echo "$SELF: $*" >&2; exit 1; }

RUNS=${RUNS:-60} WARMUP=${WARMUP:-3} SCENARIOS=${SCENARIOS:-run,cycle} SETTLE_MS=${SETTLE_MS:-0}
BERTH_OCI=${BERTH_OCI:-$SOURCE_DIR/build/bin/berth-oci}
CRUN=${CRUN:-/usr/bin/crun} RUNC=${RUNC:-/usr/bin/runc}
BUILD_DIR=${BUILD_DIR:-$SOURCE_DIR/build}
PREFIX=berth-bench-

# ---------------------------------------------------------------- inside the namespace
if [ "${BERTH_BENCH_NS:-}" = 1 ]; then
  WORK=${BERTH_BENCH_WORK:?} DRIVER=${BERTH_BENCH_DRIVER:?}
  STATE=$WORK/state
  RTS=("berth-oci=$BERTH_OCI" "crun=$CRUN" "runc=$RUNC")
  # shellcheck disable=SC2317  # run by the trap
  cleanup() {
    local spec name bin id left=
    for spec in "${RTS[@]}"; do
      name=${spec%%=*} bin=${spec#*=}
      [ -d "$STATE/$name" ] || continue
      for id in $("$bin" --root "$STATE/$name" list -q 2>/dev/null); do
        case $id in "$PREFIX"*) ;; *) continue ;; esac
        "$bin" --root "$STATE/$name" delete -f "$id" >/dev/null 2>&1 || true
        left="$left $name:$id"
      done
    done
    [ -z "$left" ] || echo "$SELF: force-deleted leftover containers:$left" >&2
    if mountpoint -q "$STATE"; then umount "$STATE" || umount -l "$STATE"; fi
  }
  trap cleanup EXIT
  trap 'exit 130' INT TERM

  if mountpoint -q /sys/fs/cgroup/unified; then
    # an empty tmpfs, not a bare umount: crun still writes <id>/cgroup.procs below the
    # "0::" path of /proc/self/cgroup, which must not land in the host's hidden directory
    umount /sys/fs/cgroup/unified
    mount -t tmpfs -o size=8m,mode=755 berth-bench-no-unified /sys/fs/cgroup/unified
  fi
  mkdir -p "$STATE"
  mount -t tmpfs -o size=256m,mode=700 berth-bench-state "$STATE"

  rc=0
  "$DRIVER" --bundle "$WORK/bundle" --state "$STATE" --runs "$RUNS" --warmup "$WARMUP" \
    --scenarios "$SCENARIOS" --settle-ms "$SETTLE_MS" --prefix "$PREFIX" ${RAW:+--raw "$RAW"} "${RTS[@]}" || rc=$?
  exit "$rc"
fi

# ---------------------------------------------------------------- outside: prepare, enter
[ "$(id -u)" = 0 ] || die "run as root (containers, mounts, cgroups)"
for b in "$BERTH_OCI" "$CRUN" "$RUNC"; do [ -x "$b" ] || die "$b not found or not executable"; done
command -v unshare >/dev/null || die "unshare not found (util-linux)"

WORK=$(mktemp -d /tmp/berth-bench-oci.XXXXXX)
chmod 755 "$WORK"
# shellcheck disable=SC2317  # run by the trap
outer_cleanup() {
  # the tmpfs lived in the private namespace, which is gone; never cross into a mount
  if awk -v d="$WORK/" 'index($5, d) == 1 { f = 1 } END { exit !f }' /proc/self/mountinfo; then
    echo "$SELF: mounts remain under $WORK, not removing it" >&2
  else
    rm -rf --one-file-system "$WORK"
  fi
}
trap outer_cleanup EXIT
trap 'exit 130' INT TERM

# the driver: built by bench/CMakeLists.txt; a direct compile if that build is not usable
SRC=$HERE/oci_lifecycle_driver.cc
if [ -n "${DRIVER:-}" ]; then
  [ -x "$DRIVER" ] || die "DRIVER=$DRIVER is not executable"
else
  DRIVER=$BUILD_DIR/bench/oci_lifecycle_driver
  if [ ! -x "$DRIVER" ] || [ "$SRC" -nt "$DRIVER" ]; then
    if ! { [ -f "$BUILD_DIR/build.ninja" ] && ninja -C "$BUILD_DIR" oci_lifecycle_driver >/dev/null; }; then
      echo "$SELF: building the driver with $BUILD_DIR failed; compiling it directly" >&2
      DRIVER=$WORK/oci_lifecycle_driver
      "${CXX:-c++}" -std=c++20 -O2 -Wall -Wextra -static-libstdc++ -static-libgcc "$SRC" -o "$DRIVER" ||
        die "cannot compile $SRC"
    fi
  fi
fi

# ONE bundle for all three: busybox rootfs, config.json from `runc spec`, args /bin/true,
# terminal false
BUNDLE=$WORK/bundle
if ! "$SOURCE_DIR/scripts/make-busybox-fixture.sh" bundle "$BUNDLE" --runtime "$RUNC" -- /bin/true >/dev/null; then
  echo "$SELF: make-busybox-fixture.sh failed; using the conformance bundle.sh" >&2
  /work/shared/conformance/oci/bundle.sh -r "$RUNC" "$BUNDLE" /bin/true >/dev/null ||
    die "cannot make the bundle"
fi

LIMITS_JSON='{"cpu": {"shares": 512, "quota": 50000, "period": 100000}, "memory": {"limit": 268435456}, "pids": {"limit": 128}}'
if [ "${LIMITS:-0}" = 1 ]; then
  jq --argjson r "$LIMITS_JSON" '.linux.resources += $r' "$BUNDLE/config.json" >"$BUNDLE/config.json.new"
  mv "$BUNDLE/config.json.new" "$BUNDLE/config.json"
fi

ver() { "$1" --version 2>/dev/null | head -n1; }
echo "# OCI lifecycle benchmark on $(uname -n), kernel $(uname -r), $(nproc) CPUs"
echo "#   berth-oci: $BERTH_OCI ($(ver "$BERTH_OCI"))"
echo "#   crun:      $CRUN ($(ver "$CRUN"))"
echo "#   runc:      $RUNC ($(ver "$RUNC"))"
echo "#   bundle:    busybox, config.json from \`runc spec\`, args [/bin/true], terminal false"
[ "${LIMITS:-0}" != 1 ] || echo "#   limits:    linux.resources += $LIMITS_JSON"
echo "#   one private mount namespace for all three$(mountpoint -q /sys/fs/cgroup/unified &&
  echo ', cgroup2 (hybrid) masked'); state roots on tmpfs"

rc=0
unshare -m --propagation private env BERTH_BENCH_NS=1 BERTH_BENCH_WORK="$WORK" \
  BERTH_BENCH_DRIVER="$DRIVER" bash "${BASH_SOURCE[0]}" || rc=$?
case $rc in
  0) ;;
  3) [ "${STRICT:-0}" = 1 ] || rc=0 ;;  # target missed: reported, not an error
  *) echo "$SELF: the benchmark failed (exit $rc)" >&2 ;;
esac
exit "$rc"

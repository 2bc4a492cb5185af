#!/usr/bin/env bash
# demo.sh: berth-oci at work. Installs the dependencies, builds, makes a busybox bundle in a
# temp dir, runs a container in the foreground, then walks a detached one through
# create, start, state, kill and delete. Everything (bundles, the --root state dir) lives in
# the temp dir and is removed on exit.
#
# usage: sudo bash scripts/demo.sh
# env:   BERTH_OCI=BIN  use BIN instead of the built berth-oci, and skip the build
#                       (BERTH_OCI=runc shows what the reference runtime does)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
exec </dev/null

die() { echo "demo.sh: $*" >&2; exit 1; }
step() { printf '\n==> %s\n' "$*"; }

[ "$(id -u)" -eq 0 ] || die "containers need root: sudo bash scripts/demo.sh"

if [ -n "${BERTH_OCI:-}" ]; then
  OCI=$(command -v "$BERTH_OCI") || die "BERTH_OCI=$BERTH_OCI not found"
else
  bash scripts/install-deps.sh
  bash scripts/build.sh
  OCI=$(find "${BUILD_DIR:-build}" -name berth-oci -type f -perm -u+x -print -quit)
  [ -n "$OCI" ] || die "the build made no berth-oci (see the build output above)"
fi

WORK=$(mktemp -d /tmp/berth-demo.XXXXXX)
chmod 755 "$WORK"
IDS=(berth-demo-run berth-demo-sleep)
oci() { "$OCI" --root "$WORK/state" "$@"; }
cleanup() {
  local id
  for id in "${IDS[@]}"; do oci delete --force "$id" >/dev/null 2>&1 || true; done
  rm -rf --one-file-system "$WORK"
}
trap cleanup EXIT

step "busybox bundles in $WORK, config.json from \`$(basename "$OCI") spec\`"
bash scripts/make-busybox-fixture.sh bundle "$WORK/hello" --runtime "$OCI" -- \
  sh -c 'echo hello from berth; hostname; echo pid $$; cat /proc/self/cgroup | head -3'
bash scripts/make-busybox-fixture.sh bundle "$WORK/sleeper" --runtime "$OCI" -- sleep 300

step "berth-oci run berth-demo-run"
status=0
oci run --bundle "$WORK/hello" berth-demo-run || status=$?
echo "(exit status $status)"

step "berth-oci create berth-demo-sleep (its output goes to $WORK/sleeper.log)"
oci create --bundle "$WORK/sleeper" berth-demo-sleep >"$WORK/sleeper.log" 2>&1 ||
  die "create failed: $(cat "$WORK/sleeper.log")"
oci state berth-demo-sleep | jq -c '{id, status, pid}'

step "berth-oci start berth-demo-sleep"
oci start berth-demo-sleep
oci state berth-demo-sleep | jq -c '{id, status, pid}'
oci list

step "berth-oci kill berth-demo-sleep KILL"
oci kill berth-demo-sleep KILL
for _ in $(seq 50); do
  [ "$(oci state berth-demo-sleep | jq -r .status)" = stopped ] && break
  sleep 0.1
done
oci state berth-demo-sleep | jq -c '{id, status}'

step "berth-oci delete berth-demo-sleep"
oci delete berth-demo-sleep
oci list
echo
echo "demo.sh: done"

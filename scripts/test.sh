#!/usr/bin/env bash
# test.sh: install the dependencies, build, then run the ctest label `unit`, the label
# `integration` (which needs root: without it those tests skip and say why) and the label
# `fuzz` (a few seconds of libFuzzer per target, where clang++ can build them).
# Ends with one summary line; exits non-zero when anything failed.
#
# usage: sudo bash scripts/test.sh [CTEST_ARG...]        e.g. -R Fixture
# env:   BUILD_DIR (default build), TEST_TIMEOUT (seconds per test, default 300),
#        SKIP_DEPS=1 (do not run scripts/install-deps.sh)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
exec </dev/null # nothing here may wait for input (CI has none)

export BUILD_DIR=${BUILD_DIR:-build}
TEST_TIMEOUT=${TEST_TIMEOUT:-300}

if [ "${SKIP_DEPS:-0}" != 1 ]; then
  bash scripts/install-deps.sh || { echo "test.sh: FAIL: installing dependencies failed"; exit 1; }
fi
bash scripts/build.sh || { echo "test.sh: FAIL: the build failed"; exit 1; }
[ "$(id -u)" -eq 0 ] || echo "test.sh: not root: integration tests will skip (run: sudo bash scripts/test.sh)"

summary=()
failed=0
# run_label LABEL [CTEST_ARG...]: runs one label, appends "LABEL: <ctest's verdict>" to summary.
run_label() {
  local label=$1 log count skipped verdict
  shift
  log=$(mktemp)
  count=$(cd "$BUILD_DIR" && ctest -N -L "^$label\$" "$@" | awk '/^Total Tests:/ { print $3 }')
  if [ "${count:-0}" -eq 0 ]; then
    summary+=("$label: no tests")
    rm -f "$log"
    return
  fi
  echo "test.sh: running $count $label tests"
  local rc=0
  (cd "$BUILD_DIR" && ctest --output-on-failure -j1 --timeout "$TEST_TIMEOUT" -L "^$label\$" "$@") 2>&1 |
    tee "$log" || rc=$?
  verdict=$(grep -E '^[0-9]+% tests passed' "$log" | tail -n 1 || true)
  verdict=${verdict:-ctest exited $rc}
  skipped=$(grep -c '(Skipped)$' "$log" || true)
  if [ "$skipped" -gt 0 ]; then verdict+=", $skipped skipped"; fi
  summary+=("$label: $verdict")
  [ "$rc" -eq 0 ] || failed=1
  rm -f "$log"
}

run_label unit "$@"
run_label integration "$@"
run_label fuzz "$@"

status=PASS
[ "$failed" -eq 0 ] || status=FAIL
line=$(printf '%s; ' "${summary[@]}")
echo "test.sh: $status (${line%; })"
exit "$failed"

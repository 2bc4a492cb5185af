#!/usr/bin/env bash
# build.sh: configure and build berth with CMake and Ninja, then print where the binaries are.
#
# usage: bash scripts/build.sh [CMAKE_ARG...]     e.g. -DBERTH_SANITIZE=ON
# env:   BUILD_DIR (default build), BUILD_TYPE (default RelWithDebInfo), JOBS (default 2)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

BUILD_DIR=${BUILD_DIR:-build}
BUILD_TYPE=${BUILD_TYPE:-RelWithDebInfo}
JOBS=${JOBS:-2}

for tool in cmake ninja; do
  command -v "$tool" >/dev/null ||
    { echo "build.sh: $tool not found (run: sudo bash scripts/install-deps.sh)" >&2; exit 1; }
done
# A build tree made by another generator cannot be reused; say so instead of failing deep in CMake.
if [ -f "$BUILD_DIR/CMakeCache.txt" ] && ! grep -qx 'CMAKE_GENERATOR:INTERNAL=Ninja' "$BUILD_DIR/CMakeCache.txt"; then
  echo "build.sh: $BUILD_DIR was configured with another generator; remove it (rm -rf $BUILD_DIR) and rerun" >&2
  exit 1
fi

cmake -G Ninja -S . -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE="$BUILD_TYPE" "$@"
ninja -C "$BUILD_DIR" -j"$JOBS"

echo "build.sh: binaries in $BUILD_DIR:"
find "$BUILD_DIR" -path '*/CMakeFiles' -prune -o -type f -perm -u+x \( -name 'berth*' -o -name '*_tests' \) -print |
  sort | sed 's/^/  /'

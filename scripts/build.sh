#!/usr/bin/env bash
# Configure (once) and build, serialised by a lock: on a 2-core machine two concurrent builds
# of the same tree corrupt each other and thrash. Usage: scripts/build.sh [ninja targets...]
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${BUILD_DIR:-build}
exec 9>/tmp/sudachi-build.lock
flock 9
if [ ! -f "$BUILD_DIR/build.ninja" ]; then
  cmake -S . -B "$BUILD_DIR" -G Ninja ${CMAKE_ARGS:-}
fi
cmake --build "$BUILD_DIR" -j "${JOBS:-2}" ${1:+--target "$@"}

#!/usr/bin/env bash
# Sets everything up and runs every test: unit tests, fuzz-corpus tests, promtool checks and
# the end-to-end suite with the real npm socket.io-client, all under AddressSanitizer and
# UndefinedBehaviorSanitizer.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh --test
(cd tests/e2e && npm ci --no-audit --no-fund --loglevel=error)

export BUILD_DIR=${BUILD_DIR:-build-asan}
export CMAKE_ARGS="-DSUDACHI_SANITIZE=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo ${CMAKE_ARGS:-}"
scripts/build.sh

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:strict_string_checks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
ctest --test-dir "$BUILD_DIR" --output-on-failure --timeout 900 -j "${TEST_JOBS:-2}"

# The codec fuzzers (libFuzzer needs clang): a bounded run from the checked-in seed corpus.
BUILD_DIR=build-fuzz CMAKE_ARGS="-DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ -DSUDACHI_FUZZ=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo" \
  scripts/build.sh engineio_fuzz socketio_fuzz
ctest --test-dir build-fuzz --output-on-failure -L fuzz -j "${TEST_JOBS:-2}"

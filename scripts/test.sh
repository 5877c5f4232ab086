#!/usr/bin/env bash
# Sets everything up and runs every test: unit tests, fuzz-corpus tests, promtool checks, the
# end-to-end suite with the real npm socket.io-client and the NAT lab, all under
# AddressSanitizer and UndefinedBehaviorSanitizer; then a bounded libFuzzer run of each fuzzer.
set -euo pipefail
cd "$(dirname "$0")/.."

export BUILD_DIR=${BUILD_DIR:-build-asan}
export CMAKE_ARGS="-DSUDACHI_SANITIZE=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo ${CMAKE_ARGS:-}"
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:strict_string_checks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

# First, before anything test-only is installed: the README's run command builds and starts
# both servers with only what `install-deps.sh` (no --test) brings. It builds them in the test
# build's directory and flavour, so the work is shared with the full build below.
scripts/check-run.sh

scripts/install-deps.sh --test
(cd tests/e2e && npm ci --no-audit --no-fund --loglevel=error)

# The run check configured without tests: turn them (and the benchmarks) back on.
cmake -S . -B "$BUILD_DIR" -G Ninja $CMAKE_ARGS -DSUDACHI_BUILD_TESTS=ON -DSUDACHI_BUILD_BENCH=ON >/dev/null
scripts/build.sh

# The libFuzzer build (clang) is small: build it now, so its smoke runs join the one ctest run.
BUILD_DIR=build-fuzz CMAKE_ARGS="-DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ -DSUDACHI_FUZZ=ON -DSUDACHI_BUILD_BENCH=OFF -DCMAKE_BUILD_TYPE=RelWithDebInfo" \
  scripts/build.sh $(scripts/fuzz-targets.sh)

ctest --test-dir "$BUILD_DIR" --output-on-failure --timeout 900 -j "${TEST_JOBS:-2}"
ctest --test-dir build-fuzz --output-on-failure -L fuzz -j "${TEST_JOBS:-2}"

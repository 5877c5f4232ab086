#!/usr/bin/env bash
# The libFuzzer targets tests/fuzz/CMakeLists.txt defines (one `<name>_fuzz.cpp` each, besides
# the corpus tests), so that test.sh builds every one without a list to keep in step.
cd "$(dirname "$0")/../tests/fuzz"
for f in *_fuzz.cpp; do printf '%s ' "${f%.cpp}"; done

#!/usr/bin/env bash
# Fails when a C++ source is not formatted as .clang-format says (run by ctest as
# format_check). Fix with: git ls-files '*.cpp' '*.hpp' | xargs clang-format -i
set -euo pipefail
cd "$(dirname "$0")/.."
find apps src tests bench \( -name '*.cpp' -o -name '*.hpp' \) -not -path '*/node_modules/*' -print0 |
  xargs -0 clang-format --dry-run --Werror

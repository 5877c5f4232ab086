#!/usr/bin/env bash
# Installs what sudachi needs from Debian bookworm packages. Idempotent.
#   scripts/install-deps.sh          build and run
#   scripts/install-deps.sh --test   also what the tests need (Node.js, promtool, coturn,
#                                    Redis, PostgreSQL, nginx, clang for the fuzzers)
set -euo pipefail

want_test=0
[ "${1:-}" = "--test" ] && want_test=1

build_pkgs=(
  build-essential cmake ninja-build ccache pkg-config git ca-certificates curl
  libboost1.81-dev libboost-json1.81-dev libboost-url1.81-dev libboost-locale1.81-dev libicu-dev
  libssl-dev libsqlite3-dev libjwt-dev libspdlog-dev libcli11-dev
  libhiredis-dev liburing-dev libpq-dev
  libgtest-dev libgmock-dev libbenchmark-dev
)
test_pkgs=(
  prometheus coturn redis-server postgresql nginx
  clang clang-format libclang-rt-14-dev sqlite3 procps iproute2 openssl
  nftables
)

pkgs=("${build_pkgs[@]}")
[ "$want_test" = 1 ] && pkgs+=("${test_pkgs[@]}")
# Node.js: any 18+ works; install Debian's only when none is present.
if [ "$want_test" = 1 ] && ! command -v node >/dev/null 2>&1; then pkgs+=(nodejs npm); fi

missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if [ "${#missing[@]}" -gt 0 ]; then
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  echo "installing: ${missing[*]}"
  $SUDO apt-get update -qq
  # The packaged services must not start on their own: tests start private instances.
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' | $SUDO tee /usr/sbin/policy-rc.d >/dev/null
    $SUDO chmod +x /usr/sbin/policy-rc.d
    trap '$SUDO rm -f /usr/sbin/policy-rc.d' EXIT
  fi
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

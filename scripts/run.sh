#!/usr/bin/env bash
# Sets everything up, builds, and runs the servers with embedded defaults on loopback:
# in-process state, a SQLite file and generated secrets in ./sudachi-data.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
BUILD_DIR=${BUILD_DIR:-build} CMAKE_ARGS="-DCMAKE_BUILD_TYPE=Release ${CMAKE_ARGS:-}" \
  scripts/build.sh sudachi-room

PORT=${PORT:-8080}
DATA_DIR=${DATA_DIR:-./sudachi-data}
mkdir -p "$DATA_DIR"
cat <<MSG

  Room server: http://127.0.0.1:${PORT}  (Socket.IO at /socket.io/)
  Get a token:
    curl -s -X POST http://127.0.0.1:${PORT}/api/v1/auth/guest \\
         -H 'Content-Type: application/json' \\
         -d '{"username":"alice","platform":"linux","sudachiVersion":"1.0.0"}'
  Then connect any Socket.IO v4 client with auth: {token}.
  Health: /health  Readiness: /ready  Metrics: /metrics  Lobby: /api/v1/rooms
  Stop with Ctrl-C.

MSG
exec build/bin/sudachi-room --host 127.0.0.1 --port "$PORT" --data-dir "$DATA_DIR" \
  --log-format text "$@"

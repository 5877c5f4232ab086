#!/usr/bin/env bash
# Sets everything up, builds, and runs the servers with embedded defaults on loopback: the
# relay (UDP/TCP 3478, admin 9478) and the room server (8080), with in-process state, a SQLite
# file and generated secrets in ./sudachi-data. Extra arguments go to sudachi-room.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
# Only the two servers: no test or benchmark targets, so nothing test-only (Node.js, coturn's
# STUN client) is needed to configure.
export BUILD_DIR=${BUILD_DIR:-build}
CMAKE_ARGS="-DCMAKE_BUILD_TYPE=Release -DSUDACHI_BUILD_TESTS=OFF -DSUDACHI_BUILD_BENCH=OFF ${CMAKE_ARGS:-}" \
  scripts/build.sh sudachi-room sudachi-relay

PORT=${PORT:-8080}
DATA_DIR=${DATA_DIR:-./sudachi-data}
HOST=${HOST:-127.0.0.1}                # HOST=0.0.0.0 to host for friends
PUBLIC_HOST=${PUBLIC_HOST:-$HOST}      # the address players reach this machine at
mkdir -p "$DATA_DIR"

# The relay first: it creates $DATA_DIR/relay-secret when there is none, and the room server
# reads the same file, so the tokens it mints open sessions on this relay.
relay_ports="$DATA_DIR/relay.ports"
rm -f "$relay_ports"
"$BUILD_DIR"/bin/sudachi-relay --bind "$HOST" --public-host "$PUBLIC_HOST" --data-dir "$DATA_DIR" --port-file "$relay_ports" &
relay_pid=$!
trap 'kill -TERM "$relay_pid" 2>/dev/null; wait "$relay_pid" 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do
  [ -s "$relay_ports" ] && break
  kill -0 "$relay_pid" 2>/dev/null || { echo "sudachi-relay did not start" >&2; exit 1; }
  sleep 0.1
done
read -r relay_udp relay_tcp relay_admin < "$relay_ports"

cat <<MSG

  Room server: http://${HOST}:${PORT}  (Socket.IO at /socket.io/)
  Relay:       ${HOST} UDP ${relay_udp}, TCP ${relay_tcp}  (health and metrics on :${relay_admin})
  Get a token:
    curl -s -X POST http://${HOST}:${PORT}/api/v1/auth/guest \\
         -H 'Content-Type: application/json' \\
         -d '{"username":"alice","platform":"linux","sudachiVersion":"1.0.0"}'
  Then connect any Socket.IO v4 client with auth: {token}.
  Health: /health  Readiness: /ready  Metrics: /metrics  Lobby: /api/v1/rooms
  Stop with Ctrl-C.

MSG
"$BUILD_DIR"/bin/sudachi-room --host "$HOST" --port "$PORT" --data-dir "$DATA_DIR" \
  --relay "${PUBLIC_HOST}:${relay_udp}/${relay_tcp}#local" --log-format text "$@"

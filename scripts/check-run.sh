#!/usr/bin/env bash
# Proves the README's run command on this machine as it is: scripts/run.sh installs what it
# needs (install-deps.sh without --test), builds the two servers and starts them; this waits
# for /health, then stops them with SIGTERM and expects a clean exit. test.sh runs it first,
# before any test dependency is installed, so a fresh CI machine checks the fresh-machine path.
set -euo pipefail
cd "$(dirname "$0")/.."

work=$(mktemp -d)
port_file="$work/room.port"
log="$work/run.log"
cleanup() {
  [ -n "${run_pid:-}" ] && kill -KILL -- "-$run_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

# Its own process group, so that SIGTERM reaches the room server, the relay and run.sh alike.
PORT=0 DATA_DIR="$work/data" setsid scripts/run.sh --port-file "$port_file" >"$log" 2>&1 &
run_pid=$!

fail() {
  echo "check-run: $*" >&2
  tail -n 40 "$log" >&2
  exit 1
}

# The Release build of both servers comes first: allow it the time a 2-core machine needs.
deadline=$((SECONDS + 1800))
until [ -s "$port_file" ]; do
  kill -0 "$run_pid" 2>/dev/null || fail "scripts/run.sh exited before the room server listened"
  [ "$SECONDS" -lt "$deadline" ] || fail "the room server did not listen within 30 minutes"
  sleep 1
done
port=$(cat "$port_file")
health=$(curl -fsS --max-time 5 "http://127.0.0.1:$port/health") || fail "/health did not answer"
echo "check-run: /health on port $port answered: $health"

kill -TERM -- "-$run_pid"
stop_deadline=$((SECONDS + 30))
while kill -0 "$run_pid" 2>/dev/null || pgrep -f -- "$work/data" >/dev/null; do
  [ "$SECONDS" -lt "$stop_deadline" ] || fail "the servers did not stop within 30 s of SIGTERM"
  sleep 0.2
done
rc=0
wait "$run_pid" || rc=$?
# The servers drain and exit 0; bash reports 143 when run.sh itself died of the signal.
case "$rc" in 0 | 143) ;; *) fail "scripts/run.sh exited with $rc after SIGTERM" ;; esac
run_pid=""
echo "check-run: the servers stopped cleanly"

#!/usr/bin/env bash
# The client benchmark of issue 8 (figures: bench/RESULTS.md, "Client"): time to connected per
# path, and datagram RTT direct vs through the relay, measured with the sudachi-mp CLI against
# the real sudachi-room and sudachi-relay on loopback.
#
#   scripts/build.sh sudachi-mp sudachi-room sudachi-relay
#   bench/client/run_client_bench.sh           # RUNS=20 COUNT=1000 SIZE=200 RATE=200
#
# Per path one host (`sudachi-mp host`, with --relay-only for the relay) stays up while RUNS
# joins (`sudachi-mp join`, likewise) connect, send COUNT datagrams of SIZE bytes at RATE per
# second and time the echoes. Each join's result line gives connectMs (room joined -> first usable path) and its
# RTT p50/p99; the summary is the median and p95 of connectMs and the median of the per-run
# RTT percentiles. Loopback only; every process is bounded by `timeout` and stopped on exit.
set -euo pipefail
cd "$(dirname "$0")/../.."

RUNS=${RUNS:-20}
COUNT=${COUNT:-1000}
SIZE=${SIZE:-200}
RATE=${RATE:-200}
BIN=${BIN:-build/bin}
OUT=${OUT:-$(mktemp -d /tmp/client-bench.XXXXXX)}
JWT=bench-client-jwt-secret-$RANDOM$RANDOM$RANDOM$RANDOM
RELAY_SECRET=bench:bench-client-relay-secret-$RANDOM$RANDOM$RANDOM
mkdir -p "$OUT"
for b in sudachi-mp sudachi-room sudachi-relay; do
  [[ -x "$BIN/$b" ]] || { echo "missing $BIN/$b: scripts/build.sh sudachi-mp sudachi-room sudachi-relay" >&2; exit 2; }
done

pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT

wait_file() {  # path, seconds
  for _ in $(seq 1 $(($2 * 20))); do [[ -s "$1" ]] && return 0; sleep 0.05; done
  echo "timed out waiting for $1" >&2; return 1
}

timeout 3600 "$BIN/sudachi-relay" --bind 127.0.0.1 --udp-port 0 --tcp-port 0 --admin-port 0 \
  --port-file "$OUT/relay.ports" --data-dir "$OUT" --relay-secret "$RELAY_SECRET" \
  --relay-id bench --handshake-rate-per-s 0 --log-level warn 2>"$OUT/relay.log" &
pids+=($!)
wait_file "$OUT/relay.ports" 10
read -r UDP TCP _ < "$OUT/relay.ports"
timeout 3600 "$BIN/sudachi-room" --host 127.0.0.1 --port 0 --port-file "$OUT/room.port" \
  --data-dir "$OUT" --jwt-secret "$JWT" --relay-secret "$RELAY_SECRET" \
  --relay "127.0.0.1:$UDP/$TCP#bench" --no-rate-limits --log-level warn 2>"$OUT/room.log" &
pids+=($!)
wait_file "$OUT/room.port" 15
SERVER=http://127.0.0.1:$(cat "$OUT/room.port")

echo "== $SERVER; $RUNS runs per path, $COUNT x $SIZE B at $RATE/s; logs in $OUT"
for path in direct relay; do
  flags=()
  # Both sides relay-only: a pair where only one side refuses direct may still go direct.
  [[ $path == relay ]] && flags=(--relay-only)
  timeout 3600 "$BIN/sudachi-mp" --server "$SERVER" --json --username "bench-host-$path" \
    "${flags[@]}" host --game 0100000000010000 --max 16 >"$OUT/host-$path.out" 2>"$OUT/host-$path.err" &
  host_pid=$!
  pids+=($host_pid)
  wait_file "$OUT/host-$path.out" 15
  room=$(sed -n 's/.*"roomId":"\([^"]*\)".*/\1/p' "$OUT/host-$path.out" | head -1)
  : > "$OUT/$path.results"
  for i in $(seq 1 "$RUNS"); do
    timeout 120 "$BIN/sudachi-mp" --server "$SERVER" --json --username "bench-$i" "${flags[@]}" \
      join "$room" --count "$COUNT" --size "$SIZE" --rate "$RATE" --timeout 30 \
      2>>"$OUT/$path.err" | tail -1 >>"$OUT/$path.results" || true
  done
  kill -TERM "$host_pid" 2>/dev/null || true
  wait "$host_pid" 2>/dev/null || true
done

python3 - "$OUT" "$RUNS" <<'PY'
import json, statistics, sys
out, runs = sys.argv[1], int(sys.argv[2])
def pct(values, p):
    values = sorted(values)
    k = max(1, -(-len(values) * p // 100))  # nearest rank
    return values[int(k) - 1]
print(f"| path | runs ok | connectMs median | connectMs p95 | RTT p50 (median of runs) | RTT p99 (median of runs) | echoes |")
print("| --- | --- | --- | --- | --- | --- | --- |")
for path in ("direct", "relay"):
    rows = []
    for line in open(f"{out}/{path}.results"):
        try:
            r = json.loads(line)
        except ValueError:
            continue
        if r.get("event") == "result" and r.get("path") == path and r.get("connectMs", -1) >= 0:
            rows.append(r)
    if not rows:
        print(f"| {path} | 0/{runs} | - | - | - | - | - |")
        continue
    connect = [r["connectMs"] for r in rows]
    sent = sum(r["sent"] for r in rows)
    received = sum(r["received"] for r in rows)
    print(f"| {path} | {len(rows)}/{runs} | {statistics.median(connect):.0f} ms | {pct(connect, 95)} ms "
          f"| {statistics.median(r['rttP50Ms'] for r in rows):.3f} ms "
          f"| {statistics.median(r['rttP99Ms'] for r in rows):.3f} ms | {received}/{sent} |")
PY

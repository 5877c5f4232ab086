#!/usr/bin/env bash
# The relay benchmark of issue 3, in one run (figures: bench/RESULTS.md).
#
#   scripts/build.sh relay-load udp-baseline-forwarder sudachi-relay
#   bench/run_relay_bench.sh                 # REPEATS=3 PAIRS=1000 SIZE=200 DURATION=2
#   PHASES="2" SAT_URING=250000 SAT_ASIO=250000 bench/run_relay_bench.sh   # one phase again
#
# Each server runs pinned to core 1 (taskset -c 1), the load tool on core 0. Phases:
#   1. UDP saturation (datagrams/s at <= 1% loss, ramp then bisection) of the baseline
#      forwarder, sudachi-relay --backend uring --workers 1 and --backend asio --workers 1,
#      interleaved REPEATS times so a burst of outside load hits all three alike;
#   2. latency at half the median saturation of each relay back end, with the same rate sent
#      directly peer to peer (the zero point) and through the baseline;
#   3. cost per datagram of each server at one fixed rate (perf stat: CPU time, syscalls and
#      context switches per forwarded datagram), when perf is installed;
#   4. one 1 GiB TCP transfer through sudachi-relay and through haproxy (TCP mode, one thread,
#      pinned alike, default config and with splice-auto), same client and sink code.
# Loopback only. Every process is bounded by `timeout` or its own --max-seconds, and the
# servers are stopped on exit. Logs and a summary go to $OUT (default: a temp dir).
#
# Scheduling: other work on the machine (compilers, tests) competes for both cores. The run
# puts itself in its own session with autogroup nice -20 (CFS: the others still run, with a
# small share), and runs the latency phase under SCHED_FIFO (LATENCY_PRIO), where a preempted
# server would add milliseconds to the percentiles. Set LATENCY_PRIO= to disable.
set -euo pipefail

if [[ "${BENCH_IN_SESSION:-}" != 1 ]]; then
  BENCH_IN_SESSION=1 exec setsid "$0" "$@"
fi
cd "$(dirname "$0")/.."

REPEATS=${REPEATS:-3}
PAIRS=${PAIRS:-1000}
SIZE=${SIZE:-200}
DURATION=${DURATION:-2}
WARMUP=${WARMUP:-0.5}
START_RATE=${START_RATE:-60000}
EVIDENCE_RATE=${EVIDENCE_RATE:-100000}
TCP_BYTES=${TCP_BYTES:-1073741824}
PHASES=${PHASES:-1 2 3 4}  # a subset reruns part; phase 2 alone takes SAT_URING / SAT_ASIO
BIN=${BIN:-build/bin}
OUT=${OUT:-$(mktemp -d /tmp/relay-bench.XXXXXX)}
THROUGHPUT_PRIO=${THROUGHPUT_PRIO:-nice -n -20}
LATENCY_PRIO=${LATENCY_PRIO-chrt -f 10}
SERVER_CORE=1
LOAD_CORE=0
SECRET=bench-relay-secret-$RANDOM$RANDOM$RANDOM
mkdir -p "$OUT"

for b in relay-load udp-baseline-forwarder sudachi-relay; do
  if [[ ! -x "$BIN/$b" ]]; then
    echo "missing $BIN/$b: scripts/build.sh relay-load udp-baseline-forwarder sudachi-relay" >&2
    exit 2
  fi
done
# A private copy: other work may rebuild build/bin while this runs.
mkdir -p "$OUT/bin"
cp "$BIN/relay-load" "$BIN/udp-baseline-forwarder" "$BIN/sudachi-relay" "$OUT/bin/"
BIN=$OUT/bin
echo "== binaries: $(cd "$BIN" && sha256sum sudachi-relay | cut -c1-16) sudachi-relay, git $(git rev-parse --short HEAD 2>/dev/null || echo '?')"
if ! command -v haproxy >/dev/null; then
  echo "installing haproxy (Debian package)..."
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq haproxy) >"$OUT/apt.log" 2>&1 ||
    echo "haproxy could not be installed: TCP comparison skipped (see $OUT/apt.log)"
fi
echo -20 >/proc/self/autogroup 2>/dev/null || echo "note: could not raise the autogroup priority"
if [[ -n "$LATENCY_PRIO" ]] && ! $LATENCY_PRIO true 2>/dev/null; then
  echo "note: '$LATENCY_PRIO' not permitted here; latency runs at normal priority"
  LATENCY_PRIO=""
fi

SERVER_PID=""
WRAPPER_PID=""
stop_server() {
  if [[ -n "$WRAPPER_PID" ]]; then
    kill "$WRAPPER_PID" 2>/dev/null || true
    wait "$WRAPPER_PID" 2>/dev/null || true
  fi
  SERVER_PID=""
  WRAPPER_PID=""
}
trap stop_server EXIT

# start_server KIND PRIO: KIND is baseline | uring | asio | haproxy:<cfg>. Sets SERVER_PID
# (the server process itself, for CPU accounting), UDP_PORT, TCP_PORT.
start_server() {
  local kind=$1 prio=$2 dir
  dir=$(mktemp -d "$OUT/srv.XXXXXX")
  case $kind in
    baseline)
      timeout 900 $prio taskset -c $SERVER_CORE "$BIN/udp-baseline-forwarder" --port-file "$dir/ports" \
        --max-seconds 890 2>>"$OUT/servers.log" &
      ;;
    uring | asio)
      timeout 900 $prio taskset -c $SERVER_CORE "$BIN/sudachi-relay" --bind 127.0.0.1 --backend "$kind" --workers 1 \
        --udp-port 0 --tcp-port 0 --admin-port 0 --port-file "$dir/ports" --relay-secret "$SECRET" \
        --handshake-rate-per-s 0 --max-sessions 100000 --max-sessions-per-ip 0 --max-waiting-per-ip 0 --drain-grace-s 0 --data-dir "$dir" --log-level warn \
        2>>"$OUT/servers.log" &
      ;;
    haproxy:*)
      timeout 900 $prio taskset -c $SERVER_CORE haproxy -f "${kind#haproxy:}" -db 2>>"$OUT/servers.log" &
      echo 0 0 >"$dir/ports"
      ;;
  esac
  WRAPPER_PID=$!
  for _ in $(seq 100); do
    [[ -s "$dir/ports" ]] && break
    sleep 0.05
  done
  sleep 0.2
  SERVER_PID=$(pgrep -P "$WRAPPER_PID" | head -1 || true)
  [[ -n "$SERVER_PID" ]] || SERVER_PID=$WRAPPER_PID
  read -r UDP_PORT TCP_PORT _ <"$dir/ports"
}

# load LOG PRIO ARGS...: the load tool on its core; prints and keeps its RESULT line.
load() {
  local log=$1 prio=$2
  shift 2
  echo "  uptime: $(uptime | sed 's/.*load average/load average/')" | tee -a "$OUT/$log"
  timeout 300 $prio taskset -c $LOAD_CORE "$BIN/relay-load" --pairs "$PAIRS" --size "$SIZE" --gso \
    --warmup "$WARMUP" --duration "$DURATION" --server-core $SERVER_CORE --max-seconds 290 "$@" \
    2>&1 | tee -a "$OUT/$log" | grep -E '^(RESULT|saturation|fixed|tcp)' | sed 's/^/  /' || true
}

field() { grep -o "$1=[^ ]*" | cut -d= -f2 || true; }
# last_result LOG KEY: KEY of the newest RESULT line of LOG (nothing if the run failed).
last_result() { { grep '^RESULT' "$OUT/$1" 2>/dev/null || true; } | tail -1 | field "$2"; }
# stats FILE: "median min max n" of the numbers in FILE
stats() { [[ -s $1 ]] || { echo "- - - 0"; return; }; sort -g "$1" | awk '{v[NR]=$1} END {if (NR==0) {print "- - - 0"; exit}
  m = (NR%2) ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2; printf "%.0f %.0f %.0f %d\n", m, v[1], v[NR], NR}'; }
stats1() { [[ -s $1 ]] || { echo "- - - 0"; return; }; sort -g "$1" | awk '{v[NR]=$1} END {if (NR==0) {print "- - - 0"; exit}
  m = (NR%2) ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2; printf "%.1f %.1f %.1f %d\n", m, v[1], v[NR], NR}'; }

relay_args() { echo --target relay --port "$UDP_PORT" --relay-secret "$SECRET"; }

echo "== machine: nproc $(nproc), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), kernel $(uname -r)"
echo "== $PAIRS pairs, $SIZE-byte datagrams, $REPEATS repeats, ${DURATION}s per step; logs in $OUT"

phase() { [[ " $PHASES " == *" $1 "* ]]; }

echo "== 1. UDP saturation (packets/s delivered at <= 1% loss)"
phase 1 || REPEATS_1=0
for r in $(seq "${REPEATS_1:-$REPEATS}"); do
  for kind in baseline uring asio; do
    echo " [$r] $kind"
    start_server "$kind" "$THROUGHPUT_PRIO"
    if [[ $kind == baseline ]]; then args="--target baseline --port $UDP_PORT"; else args=$(relay_args); fi
    load "sat-$kind.log" "$THROUGHPUT_PRIO" $args --mode saturate --start-rate "$START_RATE" --growth 1.2 \
      --bisect-steps 3 --server-pid "$SERVER_PID"
    last_result "sat-$kind.log" saturation_pps >>"$OUT/sat-$kind.txt"
    stop_server
  done
done
read -r SAT_B _ <<<"$(stats "$OUT/sat-baseline.txt")"
read -r SAT_U _ <<<"$(stats "$OUT/sat-uring.txt")"
read -r SAT_A _ <<<"$(stats "$OUT/sat-asio.txt")"
[[ $SAT_U =~ ^[0-9]+$ ]] || SAT_U=${SAT_URING:-$START_RATE}
[[ $SAT_A =~ ^[0-9]+$ ]] || SAT_A=${SAT_ASIO:-$START_RATE}

echo "== 2. latency at half saturation (${LATENCY_PRIO:-normal priority})"
phase 2 || BACKENDS_2=""
for backend in ${BACKENDS_2-uring asio}; do
  if [[ $backend == uring ]]; then rate=$((SAT_U / 2)); else rate=$((SAT_A / 2)); fi
  for r in $(seq "$REPEATS"); do
    for kind in direct baseline "$backend"; do
      echo " [$r] $kind at $rate pps"
      case $kind in
        direct) load "lat-$backend-direct.log" "$LATENCY_PRIO" --target direct --mode fixed --rate "$rate" ;;
        baseline)
          start_server baseline "$LATENCY_PRIO"
          load "lat-$backend-baseline.log" "$LATENCY_PRIO" --target baseline --port "$UDP_PORT" --mode fixed \
            --rate "$rate" --server-pid "$SERVER_PID"
          stop_server
          ;;
        *)
          start_server "$kind" "$LATENCY_PRIO"
          load "lat-$backend-relay.log" "$LATENCY_PRIO" $(relay_args) --mode fixed --rate "$rate" \
            --server-pid "$SERVER_PID"
          stop_server
          ;;
      esac
    done
  done
done

echo "== 3. cost per datagram at $EVIDENCE_RATE pps (perf stat on the server)"
if ! phase 3; then
  echo "  skipped"
elif command -v perf >/dev/null; then
  for kind in baseline uring asio; do
    start_server "$kind" "$THROUGHPUT_PRIO"
    if [[ $kind == baseline ]]; then args="--target baseline --port $UDP_PORT"; else args=$(relay_args); fi
    (load "cost-$kind.log" "$THROUGHPUT_PRIO" $args --mode fixed --rate "$EVIDENCE_RATE" --warmup 1 --duration 3 \
      --server-pid "$SERVER_PID" >/dev/null) &
    load_pid=$!
    sleep 2.5  # handshakes done, warm-up running: measure 2 s of steady forwarding
    timeout 10 perf stat -x, -e task-clock,context-switches,raw_syscalls:sys_enter -p "$SERVER_PID" -- sleep 2 \
      2>"$OUT/perf-$kind.csv" || true
    wait "$load_pid" || true
    stop_server
    awk -F, -v kind="$kind" -v pkts=$((EVIDENCE_RATE * 2)) '
      /task-clock/ {ms=$1} /context-switches/ {cs=$1} /sys_enter/ {sc=$1}
      END {printf "  %-8s CPU %.2f us/datagram, %.3f syscalls/datagram, %.4f context switches/datagram\n",
           kind, ms*1000/pkts, sc/pkts, cs/pkts}' "$OUT/perf-$kind.csv" | tee -a "$OUT/cost.txt"
  done
else
  echo "  perf not installed: skipped"
fi

echo "== 4. TCP: one $TCP_BYTES-byte transfer"
phase 4 || REPEATS_4=0
for r in $(seq "${REPEATS_4:-$REPEATS}"); do
  echo " [$r] sudachi-relay (uring)"
  start_server uring "$THROUGHPUT_PRIO"
  load tcp-relay.log "$THROUGHPUT_PRIO" --mode tcp --target relay --tcp-port "$TCP_PORT" --relay-secret "$SECRET" \
    --tcp-bytes "$TCP_BYTES"
  last_result tcp-relay.log mbyte_per_s >>"$OUT/tcp-relay.txt"
  stop_server
  if command -v haproxy >/dev/null; then
    for variant in default splice; do
      echo " [$r] haproxy ($variant)"
      sink=$("$BIN/relay-load" --mode free-port)
      front=$("$BIN/relay-load" --mode free-port)
      while [[ $front == "$sink" ]]; do front=$("$BIN/relay-load" --mode free-port); done
      extra=""
      [[ $variant == splice ]] && extra="option splice-auto"
      cfg="$OUT/haproxy-$variant.cfg"
      sed -e "s/@FRONT_PORT@/$front/" -e "s/@SINK_PORT@/$sink/" -e "s/@EXTRA@/$extra/" bench/haproxy.cfg >"$cfg"
      start_server "haproxy:$cfg" "$THROUGHPUT_PRIO"
      load "tcp-haproxy-$variant.log" "$THROUGHPUT_PRIO" --mode tcp --target proxy --proxy-port "$front" \
        --sink-port "$sink" --tcp-bytes "$TCP_BYTES"
      last_result "tcp-haproxy-$variant.log" mbyte_per_s >>"$OUT/tcp-haproxy-$variant.txt"
      stop_server
    done
  fi
done

{
  echo "== summary (median, min-max over runs; $PAIRS pairs, $SIZE-byte datagrams)"
  printf "%-34s %s\n" "UDP saturation, packets/s" ""
  for kind in baseline uring asio; do
    read -r m lo hi n <<<"$(stats "$OUT/sat-$kind.txt")"
    printf "  %-32s %8s  (%s-%s, n=%s)  %s\n" "$kind" "$m" "$lo" "$hi" "$n" \
      "$(awk -v a="$m" -v b="$SAT_B" 'BEGIN { if (b > 0 && a != "-") printf "%.0f%% of baseline", 100 * a / b }')"
  done
  for backend in uring asio; do
    [[ -f "$OUT/lat-$backend-relay.log" ]] || continue
    echo "latency p99 / p50 (us) at half $backend saturation"
    for kind in direct baseline relay; do
      f="$OUT/lat-$backend-$kind.log"
      [[ -f $f ]] || continue
      grep '^RESULT' "$f" | field p99_us >"$OUT/p99-$backend-$kind.txt"
      grep '^RESULT' "$f" | field p50_us >"$OUT/p50-$backend-$kind.txt"
      read -r m lo hi n <<<"$(stats1 "$OUT/p99-$backend-$kind.txt")"
      read -r m50 _ <<<"$(stats1 "$OUT/p50-$backend-$kind.txt")"
      printf "  %-32s p99 %8s (%s-%s, n=%s)  p50 %s\n" "$kind" "$m" "$lo" "$hi" "$n" "$m50"
    done
    [[ -f "$OUT/lat-$backend-relay.log" ]] || continue
    read -r d _ <<<"$(stats1 "$OUT/p99-$backend-direct.txt")"
    read -r rl _ <<<"$(stats1 "$OUT/p99-$backend-relay.txt")"
    read -r bl _ <<<"$(stats1 "$OUT/p99-$backend-baseline.txt")"
    awk -v d="$d" -v r="$rl" -v b="$bl" \
      'BEGIN { printf "  added p99 by the relay: %.1f us over direct, %.1f us over the baseline\n", r - d, r - b }'
  done
  echo "TCP, MB/s"
  for f in relay haproxy-default haproxy-splice; do
    [[ -f "$OUT/tcp-$f.txt" ]] || continue
    read -r m lo hi n <<<"$(stats "$OUT/tcp-$f.txt")"
    printf "  %-32s %8s  (%s-%s, n=%s)\n" "$f" "$m" "$lo" "$hi" "$n"
  done
  [[ -f "$OUT/cost.txt" ]] && { echo "cost per datagram at $EVIDENCE_RATE pps"; cat "$OUT/cost.txt"; }
} | tee "$OUT/summary.txt"

#!/usr/bin/env bash
# The NAT lab (docs/connectivity.md): network namespaces and nftables routers on RFC 5737
# addresses. A "public" Internet of two backbone routers holds sudachi-room and sudachi-relay;
# players sit behind routers with the RFC 4787 behaviours below. Every pair of behaviours runs
# `sudachi-mp host` against `sudachi-mp join`; the lab asserts that every pair connects, that
# the path is the expected one, and that at least 99% of the echoes come back (the join's exit
# code), then writes the matrix into docs/connectivity.md.
#
#   SUDACHI_MP_BIN, SUDACHI_ROOM_BIN, SUDACHI_RELAY_BIN   the binaries (ctest sets them)
#   NAT_LAB_OUT      where the matrix goes (default docs/connectivity.md; "-" for stdout only)
#   NAT_LAB_JOBS     pairs run at once (default 4)
#   NAT_LAB_COUNT    datagrams per pair (default 200, at 200/s)
#   NAT_LAB_NAIVE    extra runs of the port-restricted pair with priming off (default 4)
#   NAT_LAB_KEEP     1: keep the logs directory
#
# Needs root (or CAP_SYS_ADMIN and CAP_NET_ADMIN), iproute2 and nftables; without them it
# fails and says what is missing. Only namespaces it creates are touched; all are deleted on
# exit, whatever happens.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
MP=${SUDACHI_MP_BIN:-$repo/build/bin/sudachi-mp}
ROOM=${SUDACHI_ROOM_BIN:-$repo/build/bin/sudachi-room}
RELAY=${SUDACHI_RELAY_BIN:-$repo/build/bin/sudachi-relay}
OUT=${NAT_LAB_OUT:-$repo/docs/connectivity.md}
JOBS=${NAT_LAB_JOBS:-4}
COUNT=${NAT_LAB_COUNT:-200}
NAIVE_RUNS=${NAT_LAB_NAIVE:-4}

die() {
  echo "nat lab: $*" >&2
  exit 1
}

# ---- capabilities: say exactly what is missing ---------------------------------------------
for b in "$MP" "$ROOM" "$RELAY"; do
  [ -x "$b" ] || die "binary not found: $b (build sudachi-mp, sudachi-room and sudachi-relay)"
done
command -v ip >/dev/null || die "missing: the ip command (install iproute2)"
command -v nft >/dev/null || die "missing: the nft command (install nftables; scripts/install-deps.sh --test does)"
[ "$(id -u)" = 0 ] || die "missing: root (network namespaces and nftables need CAP_SYS_ADMIN and CAP_NET_ADMIN)"

P="snl$$"       # prefix of every namespace this run creates
NSS=()          # namespaces created, for the cleanup
PIDS=()         # processes started, for the cleanup
WORK=$(mktemp -d /tmp/sudachi-nat-lab.XXXXXX)

cleanup() {
  local rc=$?
  set +e
  # Our processes: the ones started here, and whatever runs in our namespaces (the players
  # that a pair's subshell started).
  local all=("${PIDS[@]}")
  for ns in "${NSS[@]}"; do all+=($(ip netns pids "$ns" 2>/dev/null)); done
  for pid in "${all[@]}"; do kill -TERM "$pid" 2>/dev/null; done
  for pid in "${all[@]}"; do
    for _ in 1 2 3 4 5 6 7 8 9 10; do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null
  done
  for ns in "${NSS[@]}"; do ip netns del "$ns" 2>/dev/null; done
  if [ "${NAT_LAB_KEEP:-0}" = 1 ] || [ "$rc" != 0 ]; then
    echo "nat lab: logs in $WORK" >&2
  else
    rm -rf "$WORK"
  fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

mkns() {
  ip netns add "$1" || die "cannot create network namespace $1 (needs root with CAP_SYS_ADMIN; in a container: --privileged or --cap-add SYS_ADMIN,NET_ADMIN)"
  NSS+=("$1")
  ip -n "$1" link set lo up
}

# A point-to-point link: veth $2 in namespace $1 with address $3, veth $5 in $4 with $6.
link() {
  ip -n "$1" link add name "$2" type veth peer name "$5" netns "$4"
  ip -n "$1" addr add "$3" dev "$2"
  ip -n "$4" addr add "$6" dev "$5"
  ip -n "$1" link set "$2" up
  ip -n "$4" link set "$5" up
}

forwarding() {
  ip netns exec "$1" sysctl -qw net.ipv4.ip_forward=1
}

# The router behaviours (RFC 4787 terms). WAN is "wan", the players' side "lan"; $3 is the
# address of the player behind it (full cone and address-restricted forward to it).
#   2 endpoint-independent mapping and filtering (full cone)
#   3 endpoint-independent mapping, address-dependent filtering
#   4 endpoint-independent mapping, address-and-port-dependent filtering: plain masquerade
#     (Linux's default: source ports kept, conntrack filters)
#   5 address-and-port-dependent mapping (symmetric): a random port per flow
#   7 UDP blocked outbound (TCP only)
# No INPUT filter anywhere: an unsolicited datagram to the router is delivered locally and
# leaves a conntrack entry, as on a Linux router with default settings (the race below).
nat_rules() {
  local ns=$1 kind=$2 player=${3:-}
  local rules
  case $kind in
    2) rules="table ip lab {
  chain prerouting { type nat hook prerouting priority dstnat; policy accept;
    iifname \"wan\" meta l4proto udp dnat to $player
  }
  chain postrouting { type nat hook postrouting priority srcnat; policy accept;
    oifname \"wan\" masquerade
  }
}" ;;
    3) rules="table ip lab {
  set contacted {
    type ipv4_addr . inet_service
    flags timeout
    timeout 180s
  }
  chain forward { type filter hook forward priority filter; policy accept;
    iifname \"lan\" oifname \"wan\" meta l4proto udp update @contacted { ip daddr . udp sport }
  }
  chain prerouting { type nat hook prerouting priority dstnat; policy accept;
    iifname \"wan\" meta l4proto udp ip saddr . udp dport @contacted dnat to $player
  }
  chain postrouting { type nat hook postrouting priority srcnat; policy accept;
    oifname \"wan\" masquerade
  }
}" ;;
    4) rules="table ip lab {
  chain postrouting { type nat hook postrouting priority srcnat; policy accept;
    oifname \"wan\" masquerade
  }
}" ;;
    5) rules="table ip lab {
  chain postrouting { type nat hook postrouting priority srcnat; policy accept;
    oifname \"wan\" masquerade random
  }
}" ;;
    7) rules="table ip lab {
  chain forward { type filter hook forward priority filter; policy accept;
    iifname \"lan\" meta l4proto udp drop
  }
  chain postrouting { type nat hook postrouting priority srcnat; policy accept;
    oifname \"wan\" masquerade
  }
}" ;;
    *) die "no such router kind $kind" ;;
  esac
  echo "$rules" | ip netns exec "$ns" nft -f - ||
    die "nftables refused the rules of router kind $kind (above; a kernel without nf_tables NAT?)"
}

# ---- the public Internet ---------------------------------------------------------------------
# 203.0.113.0/24 (TEST-NET-3): the servers on 203.0.113.1 in "pub" (backbone west); "isp"
# (backbone east) joins it over 203.0.113.2/31. Each router (or un-NATed player) has a /31 to
# one backbone: hosts hang off the west one, joiners off the east one, so two hops of the
# Internet lie between any two players (a TTL-limited priming probe dies there).
# Private sides: 198.51.100.0/24 (TEST-NET-2) in /30 LANs, 192.0.2.0/24 (TEST-NET-1) for the
# carrier network of the double NAT.
PUB=${P}pub
ISP=${P}isp
SERVER=203.0.113.1
mkns "$PUB"
mkns "$ISP"
ip -n "$PUB" addr add "$SERVER/32" dev lo
link "$PUB" isp 203.0.113.2/31 "$ISP" pub 203.0.113.3/31
forwarding "$PUB"
forwarding "$ISP"
ip -n "$ISP" route add 203.0.113.0/24 via 203.0.113.2  # the west side and the servers

next_link=2  # /31 number: 203.0.113.(2n)/31
next_lan=0   # /30 number in 198.51.100.0/24 (the last /29 is the shared LAN)
next_carrier=0

# Edge attached to a backbone: new /31, edge address printed.
attach() { # backbone edge_ns edge_if
  local core=$1 ns=$2 ifname=$3 n=$next_link
  next_link=$((next_link + 1))
  local a=203.0.113.$((2 * n)) b=203.0.113.$((2 * n + 1))
  link "$core" "e$n" "$a/31" "$ns" "$ifname" "$b/31"
  ip -n "$ns" route add default via "$a"
  if [ "$core" = "$ISP" ]; then
    ip -n "$PUB" route add "$a/31" via 203.0.113.3
  fi
  EDGE_ADDR=$b
}

# A router of kind $1 with one player behind it, on backbone $2; names from $3. Sets
# PLAYER_NS.
make_side() {
  local kind=$1 core=$2 name=$3
  PLAYER_NS=${name}p
  mkns "$PLAYER_NS"
  if [ "$kind" = 1 ]; then  # no NAT: the player's address is public
    attach "$core" "$PLAYER_NS" eth0
    return
  fi
  local r=${name}r
  mkns "$r"
  forwarding "$r"
  attach "$core" "$r" wan
  local inner=$r
  if [ "$kind" = 6 ]; then  # double NAT: a port-restricted router behind a carrier-grade one
    local c=$next_carrier
    next_carrier=$((next_carrier + 1))
    local i=${name}i
    mkns "$i"
    forwarding "$i"
    link "$r" lan "192.0.2.$((4 * c + 1))/30" "$i" wan "192.0.2.$((4 * c + 2))/30"
    ip -n "$i" route add default via "192.0.2.$((4 * c + 1))"
    nat_rules "$r" 4
    inner=$i
  fi
  local l=$next_lan
  next_lan=$((next_lan + 1))
  [ "$l" -lt 62 ] || die "out of LAN addresses"
  local gw=198.51.100.$((4 * l + 1)) me=198.51.100.$((4 * l + 2))
  link "$inner" lan "$gw/30" "$PLAYER_NS" eth0 "$me/30"
  ip -n "$PLAYER_NS" route add default via "$gw"
  case $kind in
    6) nat_rules "$inner" 4 ;;
    *) nat_rules "$inner" "$kind" "$me" ;;
  esac
}

# Two players on one LAN behind one port-restricted router (behaviour 8).
make_shared() {
  local name=$1
  local r=${name}r
  mkns "$r"
  forwarding "$r"
  attach "$PUB" "$r" wan
  ip -n "$r" link add name lan type bridge
  ip -n "$r" addr add 198.51.100.249/29 dev lan
  ip -n "$r" link set lan up
  local k
  for k in 0 1; do
    mkns "${name}p$k"
    ip -n "$r" link add name "l$k" type veth peer name eth0 netns "${name}p$k"
    ip -n "$r" link set "l$k" master lan
    ip -n "$r" link set "l$k" up
    ip -n "${name}p$k" addr add "198.51.100.$((250 + k))/29" dev eth0
    ip -n "${name}p$k" link set eth0 up
    ip -n "${name}p$k" route add default via 198.51.100.249
  done
  nat_rules "$r" 4
}

kind_name() {
  case $1 in
    1) echo "no NAT" ;;
    2) echo "full cone (EIM/EIF)" ;;
    3) echo "address-restricted (EIM/ADF)" ;;
    4) echo "port-restricted (EIM/APDF)" ;;
    5) echo "symmetric (APDM/APDF)" ;;
    6) echo "double NAT (4 behind 4)" ;;
    7) echo "UDP blocked" ;;
    8) echo "same router (4)" ;;
  esac
}

# Relay only where hole punching cannot work: UDP blocked on either side, and symmetric
# against a port-dependent filter (port-restricted, symmetric, double NAT).
expected_path() {
  local a=$1 b=$2
  if [ "$a" = 7 ] || [ "$b" = 7 ]; then echo relay; return; fi
  if { [ "$a" = 5 ] && [[ "$b" =~ ^[456]$ ]]; } || { [ "$b" = 5 ] && [[ "$a" =~ ^[456]$ ]]; }; then
    echo relay
    return
  fi
  echo direct
}

# ---- build the pairs -------------------------------------------------------------------------
# PAIRS: "label hostns joinns kind_a kind_b expected priming_ttl"
PAIRS=()
k=0
for a in 1 2 3 4 5 6 7; do
  for b in 1 2 3 4 5 6 7; do
    [ "$b" -lt "$a" ] && continue
    make_side "$a" "$PUB" "${P}k${k}w"
    h=$PLAYER_NS
    make_side "$b" "$ISP" "${P}k${k}e"
    PAIRS+=("$a-$b $h $PLAYER_NS $a $b $(expected_path "$a" "$b") default")
    k=$((k + 1))
  done
done
make_shared "${P}k${k}s"
PAIRS+=("8 ${P}k${k}sp0 ${P}k${k}sp1 8 8 direct default")
k=$((k + 1))
# The conntrack race, measured: port-restricted against port-restricted with priming off.
for n in $(seq 1 "$NAIVE_RUNS"); do
  make_side 4 "$PUB" "${P}k${k}w"
  h=$PLAYER_NS
  make_side 4 "$ISP" "${P}k${k}e"
  PAIRS+=("4-4/naive$n $h $PLAYER_NS 4 4 any 0")
  k=$((k + 1))
done
echo "nat lab: ${#NSS[@]} namespaces, ${#PAIRS[@]} pairs" >&2
printf '%s\n' "${PAIRS[@]}" >"$WORK/pairs"
# Debugging: NAT_LAB_HOOK runs (with $WORK/pairs: label hostns joinns ...) on the finished
# topology instead of the servers and pairs, e.g. NAT_LAB_HOOK=bash for a look around.
if [ -n "${NAT_LAB_HOOK:-}" ]; then
  WORK=$WORK P=$P bash -c "$NAT_LAB_HOOK"
  exit 0
fi

# ---- the servers -----------------------------------------------------------------------------
SECRET=nat-lab-relay-secret-0123456789abcdef
mkdir -p "$WORK/relay" "$WORK/room"
ip netns exec "$PUB" "$RELAY" --bind "$SERVER" --udp-port 3478 --tcp-port 3478 --admin-port 0 \
  --port-file "$WORK/relay/ports" --data-dir "$WORK/relay" --relay-secret "$SECRET" \
  --relay-id lab --workers 2 --handshake-rate-per-s 0 --log-level warn \
  --drain-grace-s 0.2 2>"$WORK/relay/log" &
PIDS+=($!)
ip netns exec "$PUB" "$ROOM" --host "$SERVER" --port 8080 --port-file "$WORK/room/port" \
  --data-dir "$WORK/room" --jwt-secret nat-lab-jwt-secret-0123456789abcdef \
  --relay-secret "$SECRET" --relay "$SERVER:3478/3478#lab" --no-rate-limits --log-level warn \
  --drain-grace-s 1 2>"$WORK/room/log" &
PIDS+=($!)
for _ in $(seq 1 150); do
  [ -s "$WORK/relay/ports" ] && [ -s "$WORK/room/port" ] && break
  sleep 0.1
done
[ -s "$WORK/relay/ports" ] || { cat "$WORK/relay/log" >&2; die "sudachi-relay did not start"; }
[ -s "$WORK/room/port" ] || { cat "$WORK/room/log" >&2; die "sudachi-room did not start"; }
URL=http://$SERVER:8080

# ---- one pair --------------------------------------------------------------------------------
json_str() { sed -n "s/.*\"$1\":\"\\([^\"]*\\)\".*/\\1/p" | tail -n 1; }
json_num() { sed -n "s/.*\"$1\":\\(-\\{0,1\\}[0-9.eE+-]*\\).*/\\1/p" | tail -n 1; }

run_pair() {
  local label=$1 hns=$2 jns=$3 ttl=$4
  local d="$WORK/pair-${label//\//_}"
  set +e  # a pair's runner always gets to write its verdict (rc)
  mkdir -p "$d"
  : >"$d/host.out"
  : >"$d/host.err"
  : >"$d/join.out"
  : >"$d/join.err"
  local env=()
  [ "$ttl" != default ] && env=(env "SUDACHI_P2P_PRIMING_TTL=$ttl")
  ip netns exec "$hns" "${env[@]}" "$MP" --server "$URL" --username "host-$label" --json \
    --verbose host --game 0100000000010000 --for 60 >"$d/host.out" 2>"$d/host.err" &
  local host_pid=$!
  local room=""
  for _ in $(seq 1 150); do
    room=$(json_str roomId <"$d/host.out")
    [ -n "$room" ] && break
    kill -0 "$host_pid" 2>/dev/null || break
    sleep 0.1
  done
  local rc=0
  if [ -n "$room" ]; then
    ip netns exec "$jns" "${env[@]}" "$MP" --server "$URL" --username "join-$label" --json \
      --verbose join "$room" --count "$COUNT" --rate 200 --timeout 20 \
      >"$d/join.out" 2>"$d/join.err" || rc=$?
  else
    echo "no room created" >"$d/join.err"
    rc=99
  fi
  case $label in 4-4*) race_evidence "$d" "${hns%p}r" "${jns%p}r" ;; esac
  kill -TERM "$host_pid" 2>/dev/null || true
  wait "$host_pid" 2>/dev/null || true
  echo "$rc" >"$d/rc"
}

# The conntrack race, from the routers' own tables: an entry "peer's public address -> our
# public address and mapped port" that is still UNREPLIED means a datagram of the peer reached
# this router before the player's own first datagram to the peer left it. Writes "host joiner"
# counts (0 or 1 each) into $1/race.
race_evidence() {
  local d=$1 hr=$2 jr=$3
  local hpub jpub
  hpub=$(sed -n 's/.*public address \([0-9.]*:[0-9]*\).*/\1/p' "$d/host.err" | head -n 1)
  jpub=$(sed -n 's/.*public address \([0-9.]*:[0-9]*\).*/\1/p' "$d/join.err" | head -n 1)
  [ -n "$hpub" ] && [ -n "$jpub" ] || return 0
  ip netns exec "$hr" cat /proc/net/nf_conntrack >"$d/host-router.conntrack" 2>/dev/null || true
  ip netns exec "$jr" cat /proc/net/nf_conntrack >"$d/join-router.conntrack" 2>/dev/null || true
  local pattern_h="udp .* src=${jpub%:*} dst=${hpub%:*} sport=${jpub#*:} dport=${hpub#*:} .*\[UNREPLIED\]"
  local pattern_j="udp .* src=${hpub%:*} dst=${jpub%:*} sport=${hpub#*:} dport=${jpub#*:} .*\[UNREPLIED\]"
  local h j
  h=$(grep -c -- "$pattern_h" "$d/host-router.conntrack" || true)
  j=$(grep -c -- "$pattern_j" "$d/join-router.conntrack" || true)
  echo "$((h > 0 ? 1 : 0)) $((j > 0 ? 1 : 0))" >"$d/race"
}

# A pool of JOBS pairs at a time; each pair in its own namespaces.
started=$(date +%s)
pair_pids=()
for p in "${PAIRS[@]}"; do
  read -r label hns jns _ _ _ ttl <<<"$p"
  while :; do
    live=0
    for pid in "${pair_pids[@]}"; do kill -0 "$pid" 2>/dev/null && live=$((live + 1)); done
    [ "$live" -lt "$JOBS" ] && break
    sleep 0.1
  done
  run_pair "$label" "$hns" "$jns" "$ttl" &
  pair_pids+=($!)
  PIDS+=($!)
done
for pid in "${pair_pids[@]}"; do wait "$pid" || true; done
echo "nat lab: pairs ran in $(($(date +%s) - started)) s" >&2

# ---- the verdicts and the matrix -------------------------------------------------------------
fail=0
rows=()
naive_relay=0
naive_total=0
naive_raced=0
primed_raced=0
primed_total=0
direct_ms=()
relay_ms=()
for p in "${PAIRS[@]}"; do
  read -r label _ _ ka kb expected ttl <<<"$p"
  d="$WORK/pair-${label//\//_}"
  rc=$(cat "$d/rc" 2>/dev/null || echo "none (the pair's runner died)")
  result=$(grep '"event":"result"' "$d/join.out" 2>/dev/null | tail -n 1 || true)
  path=$(json_str path <<<"$result")
  ms=$(json_num connectMs <<<"$result")
  sent=$(json_num sent <<<"$result")
  recv=$(json_num received <<<"$result")
  p50=$(json_num rttP50Ms <<<"$result")
  p99=$(json_num rttP99Ms <<<"$result")
  hpath=$(grep '"event":"peer"' "$d/host.out" 2>/dev/null | head -n 1 | json_str path || true)
  loss="?"
  if [ -n "$sent" ] && [ "${sent:-0}" -gt 0 ]; then
    loss=$(awk -v s="$sent" -v r="$recv" 'BEGIN { printf "%.1f%%", 100 * (s - r) / s }')
  fi
  verdict=ok
  why=""
  if [ "$rc" != 0 ]; then
    verdict=FAIL
    why="sudachi-mp join exited $rc"
  elif [ "$expected" != any ] && [ "$path" != "$expected" ]; then
    verdict=FAIL
    why="path $path, expected $expected"
  elif [ "$hpath" != "$path" ]; then
    verdict=FAIL
    why="the host saw path '${hpath:-none}', the joiner $path"
  fi
  raced=0
  if [ -f "$d/race" ]; then
    read -r rh rj <"$d/race"
    [ "$((rh + rj))" -gt 0 ] && raced=1
  fi
  if [ "$ka$kb" = 44 ] && [ "$expected" != any ]; then
    primed_total=$((primed_total + 1))
    primed_raced=$((primed_raced + raced))
  fi
  if [ "$expected" = any ]; then
    naive_total=$((naive_total + 1))
    naive_raced=$((naive_raced + raced))
    [ "$path" = relay ] && naive_relay=$((naive_relay + 1))
  elif [ "$verdict" = ok ]; then
    if [ "$path" = direct ]; then direct_ms+=("$ms"); else relay_ms+=("$ms"); fi
  fi
  if [ "$verdict" != ok ]; then
    fail=1
    echo "nat lab: FAIL $label ($(kind_name "$ka") host, $(kind_name "$kb") joiner): $why" >&2
    for f in host.err join.err; do
      echo "--- $label $f (last lines)" >&2
      tail -n 15 "$d/$f" >&2 2>/dev/null || true
    done
  fi
  name="$(kind_name "$ka") / $(kind_name "$kb")"
  [ "$ka" = 8 ] && name="$(kind_name 8), two players"
  [ "$ttl" != default ] && name="$name, priming off"
  rows+=("| $label | $name | ${expected/any/either} | ${path:-none} | ${ms:--} | ${p50:--} | ${p99:--} | $loss | $verdict |")
  echo "nat lab: $label $verdict path=${path:-none} expected=$expected connectMs=${ms:--} rtt50=${p50:--} loss=$loss" >&2
done

p95() {
  [ "$#" -gt 0 ] || { echo "-"; return; }
  printf '%s\n' "$@" | sort -n | awk '{ v[NR] = $1 } END { i = int(0.95 * NR + 0.999); if (i < 1) i = 1; print v[i] }'
}

matrix=$(
  echo "Written by \`tests/nat/run.sh\` ($(date -u +%Y-%m-%d), ${#PAIRS[@]} pairs, $COUNT datagrams of 200 bytes at 200/s per pair, $JOBS pairs at a time, sanitizer build when run from \`ctest\`). Host behind the first router, joiner behind the second; path and connect time as the joiner saw them (the host's path is asserted equal); RTT is the joiner's echo round trip."
  echo
  echo "| pair | routers (host / joiner) | expected | path | connect ms | RTT p50 ms | RTT p99 ms | loss | |"
  echo "| --- | --- | --- | --- | --- | --- | --- | --- | --- |"
  printf '%s\n' "${rows[@]}"
  echo
  echo "Time to connected, p95: direct $(p95 "${direct_ms[@]}") ms (${#direct_ms[@]} pairs), relay $(p95 "${relay_ms[@]}") ms (${#relay_ms[@]} pairs)."
  echo "Port-restricted pairs with priming off: $naive_relay of $naive_total fell back to the relay; in $naive_raced of $naive_total a router's conntrack table still held the peer's unanswered first datagram to the player's mapped port (the race). With priming: $primed_raced of $primed_total."
)

if [ "$OUT" = - ]; then
  echo "$matrix"
elif [ -f "$OUT" ] && grep -q '<!-- nat-lab:begin -->' "$OUT"; then
  tmp=$(mktemp)
  printf '%s\n' "$matrix" >"$WORK/matrix"
  awk -v m="$WORK/matrix" '
    /<!-- nat-lab:begin -->/ { print; while ((getline line < m) > 0) print line; skip = 1; next }
    /<!-- nat-lab:end -->/ { skip = 0 }
    !skip { print }' "$OUT" >"$tmp"
  cat "$tmp" >"$OUT"
  rm -f "$tmp"
  echo "nat lab: matrix written to $OUT" >&2
else
  printf '\n<!-- nat-lab:begin -->\n%s\n<!-- nat-lab:end -->\n' "$matrix" >>"$OUT"
  echo "nat lab: matrix appended to $OUT" >&2
fi

if [ "$fail" != 0 ]; then
  die "some pairs failed (above)"
fi
echo "nat lab: all ${#PAIRS[@]} pairs connected, every path as expected" >&2

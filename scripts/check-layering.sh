#!/usr/bin/env bash
# Fails when a library reaches across a layer it must not (run by ctest as layering_check).
#
# Every target compiles against one include root (src/, PUBLIC on sudachi_common), so the
# compiler cannot tell a legal include from one that inverts the layering; CMake only sees
# target_link_libraries. This script checks both: the #include lines of each folder, and the
# link graph declared in the CMakeLists.txt files. Rules are listed once below with the
# reason each exists; a violation names the file, the line and the rule.
#
# apps/, tests/, bench/ and docs/examples are not checked: they are where the layers are
# wired together, so they may include anything.
set -euo pipefail
cd "$(dirname "$0")/.."

failed=0

# Top-level folders of src/, each an include prefix ("room/...", "relay/..."), plus the
# client library's public prefix "sudachi/" (src/client/include/sudachi).
src_dirs=$(find src -mindepth 1 -maxdepth 1 -type d -printf '%f\n' | sort | paste -sd'|')
other_than() {  # other_than <dir>: the other src/ prefixes, as an ERE alternation
  printf '%s\n' "${src_dirs//|/$'\n'}" sudachi | grep -vx "$1" | paste -sd'|'
}

# forbid_includes <rule> <why> <forbidden ERE, matched against the included path> <file>...
forbid_includes() {
  local rule=$1 why=$2 forbidden=$3
  shift 3
  [[ $# -gt 0 ]] || return 0
  if ! awk -v rule="$rule" -v why="$why" -v re="$forbidden" '
    /^[ \t]*#[ \t]*include[ \t]*[<"]/ {
      path = $0
      sub(/^[ \t]*#[ \t]*include[ \t]*[<"]/, "", path)
      sub(/[>"].*$/, "", path)
      if (path ~ re) {
        printf "%s:%d: includes <%s>, which rule %s forbids: %s\n", FILENAME, FNR, path, rule, why
        bad = 1
      }
    }
    END { exit bad }' "$@"; then
    failed=1
  fi
}

# sources_in <dir> [find args]: the C/C++ files under a folder.
sources_in() {
  local dir=$1
  shift
  find "$dir" "$@" -type f \( -name '*.cpp' -o -name '*.hpp' -o -name '*.h' \) | sort
}

# --- include rules ------------------------------------------------------------------------

# Relative includes would slip past every path rule below (and hide which layer a header is in).
mapfile -t all < <(sources_in src)
forbid_includes no-parent-includes \
  "include by the path from src/, so that the layer of every header is visible" \
  '(^|/)[.][.]/' "${all[@]}"

# common/ is the bottom layer: errors, results, clock, files. Everything depends on it, so it
# can depend on nothing of ours without creating a cycle.
mapfile -t files < <(sources_in src/common)
forbid_includes common-is-bottom \
  "src/common is the bottom layer and includes no other src/ folder" \
  "^($(other_than common))/" "${files[@]}"

# protocol/ holds pure codecs and state machines: bytes in, packets out. They are fuzzed and
# unit-tested without sockets, and both the server and the client library build on them, so
# no I/O framework, no logger, and nothing of the layers above.
mapfile -t files < <(sources_in src/protocol)
forbid_includes protocol-is-pure \
  "src/protocol (codecs, state machines) has no Asio, Beast or spdlog and no upper layer" \
  '^(boost/asio|boost/beast|asio|spdlog)([./]|$)|^(transport|room|storage|relay|client|api|sudachi)/' \
  "${files[@]}"

# relay/*.{hpp,cpp} is the relay's data path without I/O (wire, sessions, limits, the
# per-datagram handler, the UdpIo/WorkerLoop interfaces). Both back ends drive it, so it knows
# neither of them nor Asio.
mapfile -t files < <(sources_in src/relay -maxdepth 1)
forbid_includes relay-core-no-io \
  "the relay core (src/relay/*) knows no back end and no Asio or Beast" \
  '^(boost/asio|boost/beast|asio)([./]|$)|^relay/backend/' "${files[@]}"

# The io_uring back end plugs into the workers through relay::UdpIo and WorkerLoop only, so it
# builds without Asio and a third back end could host it.
mapfile -t files < <(sources_in src/relay/backend/uring)
forbid_includes uring-no-asio \
  "src/relay/backend/uring uses relay::UdpIo/WorkerLoop, never the Asio back end or Asio" \
  '^(boost/asio|boost/beast|asio)([./]|$)|^relay/backend/asio/' "${files[@]}"

# room/ is the domain. Storage adapters and the transport implement or call the interfaces
# it declares (room_store.hpp, delivery.hpp, ...); the dependency points inwards only.
mapfile -t files < <(sources_in src/room)
forbid_includes room-is-domain \
  "src/room (domain) knows no transport, storage adapter, API routes, Asio or Beast" \
  '^(transport|storage|api)/|^(boost/asio|boost/beast|asio)([./]|$)' "${files[@]}"

# The public headers of libsudachi-mp are all an emulator sees: its build must not need Boost
# or OpenSSL headers, nor our private src/ tree (only sudachi/ is installed).
mapfile -t files < <(sources_in src/client/include)
forbid_includes client-public-headers \
  "src/client/include (public API) includes no Boost, Asio, OpenSSL or private src/ header" \
  "^(boost|asio|openssl)([./]|\$)|^($(other_than sudachi))/" "${files[@]}"

# --- link rules ---------------------------------------------------------------------------
# What a target reaches: its direct dependencies, then what they pass on (PUBLIC, INTERFACE or
# no keyword; PRIVATE dependencies of a dependency only reach the linker, not the compiler).
#
# forbid_links <rule> <why> <target> <forbidden ERE> [allowed ERE], matched against dependency
# names (the allowed one wins).
cmake_files=$(find src cmake -name CMakeLists.txt -o -name '*.cmake' | sort)
forbid_links() {
  local rule=$1 why=$2 root=$3 forbidden=$4 allowed=${5:-}
  # shellcheck disable=SC2086 # the file list is split on purpose
  if ! awk -v rule="$rule" -v why="$why" -v root="$root" -v re="^($forbidden)\$" \
    -v allow="${allowed:+^($allowed)\$}" '
    # Collect target_link_libraries(<target> [PUBLIC|PRIVATE|INTERFACE] deps...) as edges.
    {
      line = $0
      sub(/#.*/, "", line)
      if (!open && line ~ /target_link_libraries[ \t]*\(/) {
        sub(/.*target_link_libraries[ \t]*\(/, "", line)
        open = 1; target = ""; vis = "PUBLIC"
      }
      if (!open) next
      closing = index(line, ")") > 0
      sub(/\).*/, "", line)
      n = split(line, words, /[ \t]+/)
      for (i = 1; i <= n; ++i) {
        w = words[i]
        if (w == "") continue
        if (target == "") { target = w; continue }
        if (w ~ /^(PUBLIC|PRIVATE|INTERFACE|LINK_PUBLIC|LINK_PRIVATE|LINK_INTERFACE_LIBRARIES)$/) {
          vis = w; continue
        }
        k = ++edges[target]
        dep[target, k] = w
        passed[target, k] = vis != "PRIVATE" && vis != "LINK_PRIVATE"
        where[target, k] = FILENAME ":" FNR
      }
      if (closing) open = 0
    }
    END {
      # Breadth-first from root, keeping how each target was reached for the message.
      queue[1] = root; seen[root] = 1; head = 1; tail = 1
      while (head <= tail) {
        t = queue[head++]
        for (k = 1; k <= edges[t]; ++k) {
          d = dep[t, k]
          if (t != root && !passed[t, k]) continue
          if (d in seen) continue
          seen[d] = 1; via[d] = t; at[d] = where[t, k]
          if (d ~ re && !(allow != "" && d ~ allow)) {
            chain = d
            for (p = t; p != root; p = via[p]) chain = p " -> " chain
            printf "%s: links %s -> %s, which rule %s forbids: %s\n", at[d], root, chain, \
                   rule, why
            bad = 1
            continue  # one message per mistake, not one per target behind it
          }
          queue[++tail] = d
        }
      }
      if (edges[root] == 0) {  # a renamed target must not pass silently
        printf "check-layering: no target_link_libraries(%s ...) found (rule %s)\n", root, rule
        bad = 1
      }
      exit bad
    }' $cmake_files; then
    failed=1
  fi
}

# The io_uring back end must build without the Asio back end or Asio itself (see uring-no-asio).
forbid_links uring-links-no-asio "sudachi_relay_uring links neither the Asio back end nor Asio" \
  sudachi_relay_uring 'sudachi_relay_asio|sudachi_asio|Boost::headers|Boost::boost|Boost::asio'
# The relay core is the I/O-free half both back ends drive (see relay-core-no-io).
forbid_links relay-core-links-no-io "sudachi_relay links no back end and no Asio" \
  sudachi_relay 'sudachi_relay_asio|sudachi_relay_uring|sudachi_asio|Boost::headers|Boost::asio'
# common is the bottom layer (see common-is-bottom): only the shared warning flags.
forbid_links common-links-nothing "sudachi_common links no other project library" \
  sudachi_common 'sudachi_[a-z0-9_]*' sudachi_warnings
# The codecs stay I/O-free and below every server layer (see protocol-is-pure).
for lib in sudachi_engineio sudachi_socketio sudachi_websocket; do
  forbid_links protocol-links-pure "$lib links no Asio, spdlog or upper layer" "$lib" \
    'sudachi_asio|spdlog::spdlog|sudachi_transport|sudachi_room|sudachi_storage_[a-z]*|sudachi_relay[a-z_]*|sudachi_api|sudachi_mp|sudachi_client_[a-z_]*'
done
# The domain reaches storage and transport only through its own interfaces (see room-is-domain).
forbid_links room-links-domain "sudachi_room links no transport, storage adapter, API or Asio" \
  sudachi_room 'sudachi_transport|sudachi_storage_[a-z]*|sudachi_api|sudachi_asio'

if [[ $failed -ne 0 ]]; then
  echo "check-layering: FAILED (rules and reasons: scripts/check-layering.sh)" >&2
  exit 1
fi
echo "check-layering: ok"

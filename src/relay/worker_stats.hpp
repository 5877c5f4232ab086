#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "relay/session_table.hpp"
#include "relay/wire.hpp"

// Plain per-worker counters. Each has one writer (its worker), so increments are relaxed
// stores without contention; RelayMetrics reads them all when /metrics is scraped. This keeps
// shared atomics (and their cache-line bouncing) off the per-packet path.
namespace sudachi::relay {

enum class Drop : std::uint8_t {
  oversized,
  truncated,
  unbound_source,
  no_peer,
  bandwidth,
  unknown_type,
  send_failed,
  bad_source,  // unroutable, multicast, broadcast or the relay's own address and port
  count_
};
std::string_view to_string(Drop d);

enum class StunResult : std::uint8_t { answered, rate_limited, too_large, malformed, count_ };
std::string_view to_string(StunResult r);

std::string_view to_string(SessionEnd e);

// Handshakes refused by a per-IP cap (OVER_CAPACITY on the wire).
enum class IpLimit : std::uint8_t { sessions, waiting, tcp_pending, count_ };
std::string_view to_string(IpLimit l);

enum class Direction : std::uint8_t { in, out };

class StatCounter {
 public:
  void add(std::uint64_t n = 1) {
    v_.store(v_.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
  }
  std::uint64_t get() const { return v_.load(std::memory_order_relaxed); }

 private:
  std::atomic<std::uint64_t> v_{0};
};

struct alignas(64) WorkerStats {
  // [transport][direction]
  std::array<std::array<StatCounter, 2>, 2> packets;
  std::array<std::array<StatCounter, 2>, 2> bytes;
  std::array<StatCounter, static_cast<std::size_t>(Drop::count_)> drops;
  std::array<StatCounter, static_cast<std::size_t>(StunResult::count_)> stun;
  std::array<std::array<StatCounter, wire::kStatusCount>, 2> handshakes;  // [transport][status]
  std::array<StatCounter, 2> sessions_opened;                             // [transport]
  StatCounter relayed_bytes;  // forwarded to a peer (UDP and TCP): relay_bandwidth_bytes_total
  std::array<StatCounter, static_cast<std::size_t>(SessionEnd::count_)> sessions_closed;
  std::array<StatCounter, static_cast<std::size_t>(IpLimit::count_)> ip_limited;

  void packet(Transport t, Direction d, std::uint64_t n) {
    packets[static_cast<std::size_t>(t)][static_cast<std::size_t>(d)].add();
    bytes[static_cast<std::size_t>(t)][static_cast<std::size_t>(d)].add(n);
  }
  void stream(Direction d, std::uint64_t n) {
    bytes[static_cast<std::size_t>(Transport::tcp)][static_cast<std::size_t>(d)].add(n);
  }
  void drop(Drop d) { drops[static_cast<std::size_t>(d)].add(); }
  void stun_result(StunResult r) { stun[static_cast<std::size_t>(r)].add(); }
  void handshake(Transport t, wire::Status s) {
    handshakes[static_cast<std::size_t>(t)][static_cast<std::size_t>(s)].add();
  }
  void opened(Transport t) { sessions_opened[static_cast<std::size_t>(t)].add(); }
  void closed(SessionEnd e) { sessions_closed[static_cast<std::size_t>(e)].add(); }
  void ip_limit(IpLimit l) { ip_limited[static_cast<std::size_t>(l)].add(); }
  // A bind refused by a per-IP cap (nothing for a relay-wide OVER_CAPACITY).
  void ip_refused(IpSessionLimits::Verdict v) {
    if (v == IpSessionLimits::Verdict::too_many_slots) ip_limit(IpLimit::sessions);
    if (v == IpSessionLimits::Verdict::too_many_waiting) ip_limit(IpLimit::waiting);
  }
};

}  // namespace sudachi::relay

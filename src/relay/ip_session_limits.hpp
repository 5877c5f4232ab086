#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <unordered_map>

#include "relay/endpoint.hpp"

namespace sudachi::relay {

// Per-IP caps on relay sessions, shared by every worker (docs/relay-protocol.md §4.5):
// - slots: session slots bound from one IP (UDP or TCP), paired or not;
// - waiting: sessions whose only bound slot is from that IP (the first peer waits for the
//   second until the pairing timeout).
// IPv6 addresses count per /64, the block one subscriber usually holds. Touched only when a
// slot binds, moves or closes, never per packet; the counts are split into shards by IP, each
// with its own mutex, so workers binding different IPs rarely wait on each other. The maps hold
// only IPs with a bound slot, so they are bounded by the relay's session limit; a spoofed source
// cannot add to it (UDP needs the cookie first, TCP a completed handshake).
class IpSessionLimits {
 public:
  enum class Verdict : std::uint8_t { ok, too_many_slots, too_many_waiting };

  // 0 disables a cap.
  IpSessionLimits(std::uint32_t max_slots, std::uint32_t max_waiting)
      : max_slots_(max_slots), max_waiting_(max_waiting) {}

  // One more slot from `ip`; `waiting`: it also opens a session that waits for its peer.
  Verdict acquire(const Endpoint& ip, bool waiting);
  void release(const Endpoint& ip, bool waiting);
  // A session waiting with its slot at `ip` got its second peer.
  void paired(const Endpoint& ip);

  // Without caps nothing is counted (and no lock is taken).
  bool enabled() const { return max_slots_ != 0 || max_waiting_ != 0; }

  // The accounting key of an address: the IP (IPv6: its /64), port 0.
  static Endpoint key(const Endpoint& e);

  // For tests and metrics: what `ip` holds now.
  std::uint32_t slots(const Endpoint& ip) const;
  std::uint32_t waiting(const Endpoint& ip) const;

 private:
  struct Counts {
    std::uint32_t slots = 0;
    std::uint32_t waiting = 0;
  };

  struct alignas(64) Shard {
    mutable std::mutex mutex;
    std::unordered_map<Endpoint, Counts, EndpointHash> counts;
  };
  static constexpr std::size_t kShards = 16;
  Shard& shard(const Endpoint& key) { return shards_[EndpointHash{}(key) % kShards]; }
  const Shard& shard(const Endpoint& key) const { return shards_[EndpointHash{}(key) % kShards]; }

  const std::uint32_t max_slots_;
  const std::uint32_t max_waiting_;
  std::array<Shard, kShards> shards_;
};

}  // namespace sudachi::relay

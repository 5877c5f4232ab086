#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <mutex>
#include <unordered_map>

#include "transport/client_address.hpp"

namespace sudachi::transport {

// Counts open TCP connections, in all and per peer address, and refuses new ones over the
// caps: without a per-IP cap one host can hold every descriptor of the process with
// half-open connections. Trusted proxies are exempt from the per-IP cap (every client behind
// them shares their address); the global cap still applies.
//
// Thread-safe: every event loop's acceptor calls it. Sharded by address so that loops
// accepting different peers do not meet on one lock.
class ConnectionTracker {
 public:
  struct Limits {
    std::size_t max_connections = 0;  // 0: no global cap
    std::size_t max_per_ip = 0;       // 0: no per-IP cap
  };

  enum class Verdict { accepted, over_global_cap, over_ip_cap };

  // A counted connection; releases its place when destroyed. Movable, not copyable.
  class Ticket {
   public:
    Ticket() = default;
    Ticket(Ticket&& other) noexcept
        : owner_(other.owner_), ip_(other.ip_), counted_per_ip_(other.counted_per_ip_) {
      other.owner_ = nullptr;
    }
    Ticket& operator=(Ticket&& other) noexcept;
    Ticket(const Ticket&) = delete;
    Ticket& operator=(const Ticket&) = delete;
    ~Ticket() { release(); }
    void release();

   private:
    friend class ConnectionTracker;
    Ticket(ConnectionTracker* owner, const IpAddress& ip) : owner_(owner), ip_(ip) {}
    ConnectionTracker* owner_ = nullptr;
    IpAddress ip_;
    bool counted_per_ip_ = false;
  };

  ConnectionTracker(Limits limits, const TrustedProxies& exempt)
      : limits_(limits), exempt_(exempt) {}

  Verdict admit(const IpAddress& peer, Ticket& ticket);
  std::size_t open() const { return open_.load(std::memory_order_relaxed); }
  std::size_t open_from(const IpAddress& peer) const;
  const Limits& limits() const { return limits_; }

 private:
  struct IpHash {
    std::size_t operator()(const IpAddress& a) const noexcept;
  };
  struct Shard {
    mutable std::mutex mutex;
    std::unordered_map<IpAddress, std::size_t, IpHash> per_ip;
  };
  static constexpr std::size_t kShards = 16;
  Shard& shard_for(const IpAddress& a) const;
  void release(const IpAddress& ip, bool counted_per_ip);

  Limits limits_;
  const TrustedProxies& exempt_;
  std::atomic<std::size_t> open_{0};
  mutable std::array<Shard, kShards> shards_;
};

}  // namespace sudachi::transport

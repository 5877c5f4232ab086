#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "storage/redis/redis_client.hpp"

namespace sudachi::storage::redis {

struct PresenceSweeperOptions {
  std::string key_prefix;
  // A client counts as gone when its presence was not refreshed for this long and its
  // presence key has expired: use the delivery's presence TTL.
  std::chrono::milliseconds grace{15'000};
  int per_tick = 100;  // clients examined per tick at most (bounded Redis work)
};

// Finds clients whose instance died (kill -9, lost host) and who did not reconnect anywhere
// within the grace period, so that the room service can take them out of their rooms with
// reason `disconnected`. Every live instance sweeps; the script hands each stale client to
// exactly one of them. No KEYS/SCAN: the ZSET presence:seen holds every present client by
// the time of its last refresh, and a tick reads only its stale head.
//
// An instance sweeps only after its own Redis connection has been healthy for `grace`:
// after a Redis outage every live instance needs that long to re-assert its clients'
// presence (their heartbeat), and sweeping earlier would evict live clients.
class PresenceSweeper {
 public:
  using GoneHandler = std::function<void(std::string client_id)>;  // on the Redis thread

  PresenceSweeper(std::shared_ptr<RedisClient> client, PresenceSweeperOptions options,
                  GoneHandler on_gone);

  // One bounded sweep, if due; call it about once a second. Never blocks.
  void tick();
  std::uint64_t evicted() const { return state_->evicted.load(std::memory_order_relaxed); }

 private:
  struct State {
    GoneHandler on_gone;
    std::atomic<std::uint64_t> evicted{0};
    std::atomic<bool> in_flight{false};
  };
  std::shared_ptr<RedisClient> client_;
  const PresenceSweeperOptions options_;
  std::shared_ptr<State> state_;
  std::chrono::steady_clock::time_point healthy_since_{};
  bool was_healthy_ = false;
};

}  // namespace sudachi::storage::redis

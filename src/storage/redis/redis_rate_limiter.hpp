#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>

#include "room/rate_limiter.hpp"
#include "storage/redis/redis_client.hpp"

namespace sudachi::storage::redis {

// The RateLimiter shared by every instance: one counter per key in Redis, with exactly the
// semantics of MemoryRateLimiter (fixed window opened by the key's first request, the request
// over the limit starts a block of block_ms, retry_after rounded up to whole seconds, >= 1),
// decided atomically by one Lua script (rate_limit_script.cpp). Keys are `key_prefix + key`,
// e.g. "rl:event:" + client id, "rl:conn:" + IP; they expire by themselves.
//
// When Redis cannot answer (down, timed out, an error reply) the decision is delegated to
// `fallback`, typically a MemoryRateLimiter with the same policy: limits then hold per
// instance instead of globally, which is the closest available to the contract. Without a
// fallback the limiter fails open. Why not closed: RateDecision can only say RATE_LIMITED,
// which would tell well-behaved clients they misbehaved and to back off for a made-up time;
// while Redis is down the operations behind the limiter (the Redis room store) fail fast with
// the truthful UNAVAILABLE anyway. Every such decision is counted (unavailable_decisions()).
class RedisRateLimiter final : public room::RateLimiter {
 public:
  RedisRateLimiter(std::shared_ptr<RedisClient> client, room::RatePolicy policy,
                   std::string key_prefix, std::shared_ptr<room::RateLimiter> fallback = nullptr);

  // The callback runs on the Redis thread (or inline when the policy is disabled, or from the
  // fallback).
  void consume(std::string key, std::function<void(room::RateDecision)> done) override;

  std::uint64_t unavailable_decisions() const {
    return state_->unavailable.load(std::memory_order_relaxed);
  }

 private:
  // Shared with callbacks in flight, which may outlive the limiter.
  struct State {
    std::shared_ptr<room::RateLimiter> fallback;
    std::atomic<std::uint64_t> unavailable{0};
  };

  std::shared_ptr<RedisClient> client_;
  const room::RatePolicy policy_;
  const std::string prefix_;
  std::shared_ptr<State> state_;
};

}  // namespace sudachi::storage::redis

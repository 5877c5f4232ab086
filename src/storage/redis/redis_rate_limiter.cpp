#include "storage/redis/redis_rate_limiter.hpp"

#include <algorithm>
#include <utility>

#include "storage/redis/rate_limit_script.hpp"

namespace sudachi::storage::redis {
namespace {

room::RateDecision refuse(std::int64_t remaining_ms) {
  // Whole seconds, rounded up, never 0 (as MemoryRateLimiter).
  const std::int64_t seconds = (std::max<std::int64_t>(remaining_ms, 0) + 999) / 1000;
  return room::RateDecision{false, static_cast<int>(std::max<std::int64_t>(seconds, 1))};
}

// {1, 0} or {0, ms}; nullopt for anything else.
std::optional<room::RateDecision> decode(const RedisReply& reply) {
  const auto& e = reply.elements();
  if (!reply.is_array() || e.size() != 2) return std::nullopt;
  const auto allowed = e[0].as_int();
  const auto remaining = e[1].as_int();
  if (!allowed || !remaining) return std::nullopt;
  if (*allowed == 1) return room::RateDecision{};
  return refuse(*remaining);
}

}  // namespace

RedisRateLimiter::RedisRateLimiter(std::shared_ptr<RedisClient> client, room::RatePolicy policy,
                                   std::string key_prefix,
                                   std::shared_ptr<room::RateLimiter> fallback)
    : client_(std::move(client)),
      policy_(policy),
      prefix_(std::move(key_prefix)),
      state_(std::make_shared<State>()) {
  state_->fallback = std::move(fallback);
}

void RedisRateLimiter::consume(std::string key, std::function<void(room::RateDecision)> done) {
  if (!policy_.enabled) {
    done(room::RateDecision{});
    return;
  }
  client_->eval(rate_limit_script(), {prefix_ + key},
                {std::to_string(policy_.points), std::to_string(policy_.duration_ms),
                 std::to_string(policy_.block_ms)},
                [state = state_, key, done = std::move(done)](Result<RedisReply> reply) mutable {
                  if (reply) {
                    if (auto decision = decode(*reply)) {
                      done(*decision);
                      return;
                    }
                  }
                  state->unavailable.fetch_add(1, std::memory_order_relaxed);
                  if (state->fallback) {
                    state->fallback->consume(std::move(key), std::move(done));
                  } else {
                    done(room::RateDecision{});  // fail open: see the class comment
                  }
                });
}

}  // namespace sudachi::storage::redis

#pragma once

#include <functional>
#include <string>
#include <string_view>

namespace sudachi::room {

// Fixed-window counting with a penalty block, the semantics of rate-limiter-flexible's
// RateLimiterRedis in the spec: `points` requests per `duration_ms`; the request that goes
// over starts a block of `block_ms` during which everything is refused.
struct RatePolicy {
  int points = 100;
  std::int64_t duration_ms = 60'000;
  std::int64_t block_ms = 300'000;
  bool enabled = true;
};

struct RateDecision {
  bool allowed = true;
  int retry_after_seconds = 0;  // when refused: seconds until a request can succeed (>= 1)
};

class RateLimiter {
 public:
  virtual ~RateLimiter() = default;
  // Consumes one point for `key`. The callback may run inline or later, on any thread. When
  // the backing store is down the limiter fails open or closed as its implementation documents.
  virtual void consume(std::string key, std::function<void(RateDecision)> done) = 0;
};

}  // namespace sudachi::room

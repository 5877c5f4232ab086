#pragma once

#include <algorithm>
#include <cstdint>

namespace sudachi::relay {

// A classic token bucket in bytes (or requests): `rate` per second, holding at most `burst`.
// Refilled lazily from the caller's clock, so it costs nothing while idle and needs no timer.
// A rate of 0 means unlimited.
class TokenBucket {
 public:
  TokenBucket() = default;
  TokenBucket(double rate_per_s, double burst, std::int64_t now_ms)
      : rate_(rate_per_s), burst_(burst), tokens_(burst), last_ms_(now_ms) {}

  bool unlimited() const { return rate_ <= 0; }

  // Takes `n` tokens if they are all there.
  bool try_consume(double n, std::int64_t now_ms) {
    if (unlimited()) return true;
    refill(now_ms);
    if (tokens_ < n) return false;
    tokens_ -= n;
    return true;
  }

  // Whole tokens available now (for TCP: how many bytes may move).
  std::int64_t available(std::int64_t now_ms) {
    if (unlimited()) return INT64_MAX;
    refill(now_ms);
    return static_cast<std::int64_t>(tokens_);
  }

  // Takes up to what is available (TCP moved `n` bytes it was allowed).
  void consume(double n, std::int64_t now_ms) {
    if (unlimited()) return;
    refill(now_ms);
    tokens_ = std::max(0.0, tokens_ - n);
  }

  // Milliseconds until `n` tokens will be there (0 when they are).
  std::int64_t ms_until(double n, std::int64_t now_ms) {
    if (unlimited()) return 0;
    refill(now_ms);
    if (tokens_ >= n) return 0;
    return static_cast<std::int64_t>((n - tokens_) * 1000.0 / rate_) + 1;
  }

 private:
  void refill(std::int64_t now_ms) {
    if (now_ms > last_ms_) {
      tokens_ = std::min(burst_, tokens_ + rate_ * static_cast<double>(now_ms - last_ms_) / 1000.0);
      last_ms_ = now_ms;
    }
  }

  double rate_ = 0;
  double burst_ = 0;
  double tokens_ = 0;
  std::int64_t last_ms_ = 0;
};

}  // namespace sudachi::relay

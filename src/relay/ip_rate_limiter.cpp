#include "relay/ip_rate_limiter.hpp"

#include <bit>
#include <cmath>

namespace sudachi::relay {

IpRateLimiter::IpRateLimiter(double rate_per_s, double burst, std::size_t capacity)
    : rate_(rate_per_s), burst_(burst < 1 ? 1 : burst) {
  const std::size_t size = std::bit_ceil(capacity < kProbe ? kProbe : capacity);
  entries_.resize(rate_ > 0 ? size : 0);
  mask_ = size - 1;
}

bool IpRateLimiter::allow(const Endpoint& source, std::int64_t now_ms) {
  if (rate_ <= 0) return true;
  const Endpoint ip = source.ip_only();
  const std::size_t home = EndpointHash{}(ip)&mask_;
  Entry* victim = nullptr;
  for (std::size_t i = 0; i < kProbe; ++i) {
    Entry& e = entries_[(home + i) & mask_];
    if (e.used && e.ip == ip) {
      e.last_ms = now_ms;
      return e.bucket.try_consume(1, now_ms);
    }
    if (!e.used) {
      if (victim == nullptr || victim->used) victim = &e;
    } else if (victim == nullptr || (victim->used && e.last_ms < victim->last_ms)) {
      victim = &e;
    }
  }
  *victim = Entry{ip, TokenBucket(rate_, burst_, now_ms), now_ms, true};
  return victim->bucket.try_consume(1, now_ms);
}

std::uint16_t IpRateLimiter::retry_after_s() const {
  if (rate_ <= 0) return 0;
  const double s = std::ceil(1.0 / rate_);
  return static_cast<std::uint16_t>(s < 1 ? 1 : (s > 3600 ? 3600 : s));
}

}  // namespace sudachi::relay

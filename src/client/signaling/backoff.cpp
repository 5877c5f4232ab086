#include "client/signaling/backoff.hpp"

#include <algorithm>

namespace sudachi::client {

Backoff::Backoff(ms base, ms cap, std::uint64_t seed)
    : base_(std::max(base, ms(1))), cap_(std::max(cap, std::max(base, ms(1)))), rng_(seed) {}

Backoff::ms Backoff::ceiling() const {
  // Doubling stops once past the cap, so the shift never overflows however long the outage.
  ms limit = base_;
  for (int i = 0; i < attempt_ && limit < cap_; ++i) limit *= 2;
  return std::min(limit, cap_);
}

Backoff::ms Backoff::next() {
  const ms limit = ceiling();
  ++attempt_;
  std::uniform_int_distribution<std::int64_t> pick(0, limit.count());
  return ms(pick(rng_));
}

}  // namespace sudachi::client

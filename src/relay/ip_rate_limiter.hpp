#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "relay/endpoint.hpp"
#include "relay/token_bucket.hpp"

namespace sudachi::relay {

// Handshakes and STUN requests per source IP. A fixed table allocated once: a flood of
// spoofed sources cannot make it grow; it only evicts the stalest entries, and an evicted IP
// starts again with a full bucket (it can only gain a little, never lock others out).
// One per worker, so no lock.
class IpRateLimiter {
 public:
  // rate_per_s == 0 disables the limit.
  IpRateLimiter(double rate_per_s, double burst, std::size_t capacity = 1 << 14);

  bool allow(const Endpoint& source, std::int64_t now_ms);
  // Seconds after which a refused IP gets a token again (at least 1).
  std::uint16_t retry_after_s() const;

 private:
  struct Entry {
    Endpoint ip;
    TokenBucket bucket;
    std::int64_t last_ms = 0;
    bool used = false;
  };
  static constexpr std::size_t kProbe = 8;

  double rate_;
  double burst_;
  std::vector<Entry> entries_;
  std::size_t mask_;
};

}  // namespace sudachi::relay

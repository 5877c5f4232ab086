#include <gtest/gtest.h>

#include "relay/ip_rate_limiter.hpp"
#include "relay/token_bucket.hpp"

namespace sudachi::relay {
namespace {

Endpoint ip(std::uint8_t last, std::uint16_t port = 1) {
  Endpoint e;
  e.family = 4;
  e.port = port;
  e.addr = {10, 0, 0, last};
  return e;
}

TEST(TokenBucket, BurstThenRate) {
  TokenBucket b(1000, 500, 0);  // 1000 per s, burst 500
  EXPECT_TRUE(b.try_consume(500, 0));
  EXPECT_FALSE(b.try_consume(1, 0));
  EXPECT_FALSE(b.try_consume(200, 100));  // 100 refilled
  EXPECT_TRUE(b.try_consume(100, 100));
  EXPECT_EQ(b.ms_until(100, 100), 101);
  EXPECT_EQ(b.available(10'000), 500);  // capped at the burst
  b.consume(600, 10'000);
  EXPECT_EQ(b.available(10'000), 0);
}

TEST(TokenBucket, ZeroRateIsUnlimited) {
  TokenBucket b(0, 0, 0);
  EXPECT_TRUE(b.unlimited());
  EXPECT_TRUE(b.try_consume(1e12, 0));
  EXPECT_EQ(b.ms_until(1e9, 0), 0);
}

TEST(IpRateLimiter, PerIpNotPerPort) {
  IpRateLimiter limiter(1, 2, 64);
  EXPECT_TRUE(limiter.allow(ip(1, 1000), 0));
  EXPECT_TRUE(limiter.allow(ip(1, 2000), 0));
  EXPECT_FALSE(limiter.allow(ip(1, 3000), 0));  // same IP, other port
  EXPECT_TRUE(limiter.allow(ip(2), 0));         // another IP has its own bucket
  EXPECT_TRUE(limiter.allow(ip(1), 1000));      // refilled
  EXPECT_EQ(limiter.retry_after_s(), 1);
}

TEST(IpRateLimiter, FloodOfSourcesStaysBoundedAndDoesNotLockOut) {
  IpRateLimiter limiter(1, 1, 64);
  for (int i = 0; i < 100'000; ++i) {
    Endpoint e;
    e.family = 6;
    for (int k = 0; k < 4; ++k) e.addr[k] = static_cast<std::uint8_t>(i >> (8 * k));
    (void)limiter.allow(e, i);
  }
  EXPECT_TRUE(limiter.allow(ip(9), 100'000));  // a new IP still gets its first token
}

TEST(IpRateLimiter, Disabled) {
  IpRateLimiter limiter(0, 0);
  for (int i = 0; i < 1000; ++i) EXPECT_TRUE(limiter.allow(ip(1), 0));
}

}  // namespace
}  // namespace sudachi::relay

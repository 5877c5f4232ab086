#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

#include "relay/ip_rate_limiter.hpp"
#include "relay/ip_session_limits.hpp"
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

TEST(IpSessionLimits, CountsPerIpAndPerIpv6Slash64) {
  IpSessionLimits limits(2, 1);
  using V = IpSessionLimits::Verdict;
  EXPECT_EQ(limits.acquire(ip(1, 1000), true), V::ok);
  EXPECT_EQ(limits.acquire(ip(1, 2000), true), V::too_many_waiting);  // the port does not matter
  EXPECT_EQ(limits.acquire(ip(1, 2000), false), V::ok);
  EXPECT_EQ(limits.acquire(ip(1, 3000), false), V::too_many_slots);
  EXPECT_EQ(limits.acquire(ip(2), true), V::ok);
  limits.paired(ip(1));
  EXPECT_EQ(limits.waiting(ip(1)), 0u);
  limits.release(ip(1), false);
  limits.release(ip(1), false);
  EXPECT_EQ(limits.slots(ip(1)), 0u);

  Endpoint a;
  a.family = 6;
  a.addr = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1};
  Endpoint b = a;
  b.addr[15] = 2;  // same /64
  Endpoint c = a;
  c.addr[7] = 2;  // another /64
  EXPECT_EQ(limits.acquire(a, false), V::ok);
  EXPECT_EQ(limits.acquire(b, false), V::ok);
  EXPECT_EQ(limits.acquire(b, false), V::too_many_slots);
  EXPECT_EQ(limits.acquire(c, false), V::ok);
}

TEST(IpSessionLimits, ZeroMeansNoCap) {
  IpSessionLimits limits(0, 0);
  EXPECT_FALSE(limits.enabled());
  for (int i = 0; i < 1000; ++i) {
    EXPECT_EQ(limits.acquire(ip(1), true), IpSessionLimits::Verdict::ok);
  }
}

// Every worker thread binds and closes through one instance, each on IPs of its own and all on
// 10.0.0.1: the cap on the shared IP holds under contention, and the counts return to zero.
TEST(IpSessionLimits, ConcurrentWorkersKeepTheCapsAndTheCounts) {
  IpSessionLimits limits(2, 1);
  std::atomic<int> held_on_ip1{0};
  std::atomic<int> most_on_ip1{0};
  std::vector<std::thread> workers;
  for (int w = 0; w < 4; ++w) {
    workers.emplace_back([&, w] {
      for (int i = 0; i < 2000; ++i) {
        const Endpoint other = ip(static_cast<std::uint8_t>(10 + w * 16 + i % 16));
        ASSERT_EQ(limits.acquire(other, false), IpSessionLimits::Verdict::ok);
        if (limits.acquire(ip(1), false) == IpSessionLimits::Verdict::ok) {
          const int now = ++held_on_ip1;
          int seen = most_on_ip1.load();
          while (now > seen && !most_on_ip1.compare_exchange_weak(seen, now)) {
          }
          --held_on_ip1;
          limits.release(ip(1), false);
        }
        limits.release(other, false);
      }
    });
  }
  for (auto& t : workers) t.join();
  EXPECT_GE(most_on_ip1.load(), 1);
  EXPECT_LE(most_on_ip1.load(), 2);
  EXPECT_EQ(limits.slots(ip(1)), 0u);
  for (int last = 10; last < 74; ++last) {
    EXPECT_EQ(limits.slots(ip(static_cast<std::uint8_t>(last))), 0u);
  }
}

TEST(IpRateLimiter, Disabled) {
  IpRateLimiter limiter(0, 0);
  for (int i = 0; i < 1000; ++i) EXPECT_TRUE(limiter.allow(ip(1), 0));
}

}  // namespace
}  // namespace sudachi::relay

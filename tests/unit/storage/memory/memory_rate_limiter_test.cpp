#include "storage/memory/memory_rate_limiter.hpp"

#include <atomic>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "common/clock.hpp"

namespace sudachi::storage {
namespace {

room::RatePolicy policy(int points, std::int64_t duration_ms, std::int64_t block_ms) {
  return room::RatePolicy{points, duration_ms, block_ms, true};
}

// Consumes `n` points and returns how many were allowed.
int allowed_of(MemoryRateLimiter& limiter, const std::string& key, int n) {
  int allowed = 0;
  for (int i = 0; i < n; ++i) allowed += limiter.try_consume(key).allowed ? 1 : 0;
  return allowed;
}

TEST(MemoryRateLimiter, AllowsPointsPerWindowThenBlocks) {
  ManualClock clock;
  MemoryRateLimiter limiter(policy(3, 60'000, 300'000), clock);
  EXPECT_EQ(allowed_of(limiter, "a", 3), 3);
  auto refused = limiter.try_consume("a");
  EXPECT_FALSE(refused.allowed);
  EXPECT_EQ(refused.retry_after_seconds, 300);    // the block, not the window, decides
  EXPECT_TRUE(limiter.try_consume("b").allowed);  // keys are independent
}

TEST(MemoryRateLimiter, WindowRestartsAfterItsDuration) {
  ManualClock clock;
  MemoryRateLimiter limiter(policy(2, 1'000, 10'000), clock);
  EXPECT_EQ(allowed_of(limiter, "a", 2), 2);
  clock.advance_ms(999);
  EXPECT_EQ(allowed_of(limiter, "a", 0), 0);
  clock.advance_ms(1);  // the window opened by the first request has ended
  EXPECT_EQ(allowed_of(limiter, "a", 2), 2);
}

TEST(MemoryRateLimiter, WindowIsFixedFromTheFirstRequest) {
  ManualClock clock;
  MemoryRateLimiter limiter(policy(2, 1'000, 10'000), clock);
  EXPECT_TRUE(limiter.try_consume("a").allowed);
  clock.advance_ms(900);
  EXPECT_TRUE(limiter.try_consume("a").allowed);
  clock.advance_ms(100);  // 1000 ms after the first request: a new window, not a sliding one
  EXPECT_TRUE(limiter.try_consume("a").allowed);
}

TEST(MemoryRateLimiter, BlockRefusesEverythingAndReportsTimeLeftRoundedUp) {
  ManualClock clock;
  MemoryRateLimiter limiter(policy(1, 60'000, 5'000), clock);
  EXPECT_TRUE(limiter.try_consume("a").allowed);
  EXPECT_EQ(limiter.try_consume("a").retry_after_seconds, 5);
  clock.advance_ms(1'500);
  auto refused = limiter.try_consume("a");  // refused requests do not extend the block
  EXPECT_FALSE(refused.allowed);
  EXPECT_EQ(refused.retry_after_seconds, 4);  // 3.5 s left
  clock.advance_ms(3'499);
  refused = limiter.try_consume("a");
  EXPECT_FALSE(refused.allowed);
  EXPECT_EQ(refused.retry_after_seconds, 1);  // 1 ms left: still at least 1
  clock.advance_ms(1);
  // The block is over and the key starts afresh, although the first window (60 s) is not.
  EXPECT_TRUE(limiter.try_consume("a").allowed);
  EXPECT_FALSE(limiter.try_consume("a").allowed);
}

TEST(MemoryRateLimiter, WithoutBlockRefusesUntilTheWindowEnds) {
  ManualClock clock;
  MemoryRateLimiter limiter(policy(1, 10'000, 0), clock);
  EXPECT_TRUE(limiter.try_consume("a").allowed);
  clock.advance_ms(2'500);
  auto refused = limiter.try_consume("a");
  EXPECT_FALSE(refused.allowed);
  EXPECT_EQ(refused.retry_after_seconds, 8);  // 7.5 s left in the window
  clock.advance_ms(7'500);
  EXPECT_TRUE(limiter.try_consume("a").allowed);
}

TEST(MemoryRateLimiter, DisabledPolicyAllowsEverythingAndStoresNothing) {
  ManualClock clock;
  room::RatePolicy off = policy(1, 1'000, 1'000);
  off.enabled = false;
  MemoryRateLimiter limiter(off, clock);
  EXPECT_EQ(allowed_of(limiter, "a", 100), 100);
  EXPECT_EQ(limiter.size(), 0u);
}

TEST(MemoryRateLimiter, ConsumeAnswersInline) {
  ManualClock clock;
  MemoryRateLimiter limiter(policy(1, 1'000, 1'000), clock);
  std::optional<room::RateDecision> first, second;
  limiter.consume("a", [&](room::RateDecision d) { first = d; });
  limiter.consume("a", [&](room::RateDecision d) { second = d; });
  ASSERT_TRUE(first && second);
  EXPECT_TRUE(first->allowed);
  EXPECT_FALSE(second->allowed);
  EXPECT_EQ(second->retry_after_seconds, 1);
}

TEST(MemoryRateLimiter, SweepDropsOnlyExpiredKeys) {
  ManualClock clock;
  MemoryRateLimiter limiter(policy(1, 1'000, 5'000), clock);
  EXPECT_TRUE(limiter.try_consume("short").allowed);
  EXPECT_TRUE(limiter.try_consume("blocked").allowed);
  EXPECT_FALSE(limiter.try_consume("blocked").allowed);  // blocked for 5 s
  EXPECT_EQ(limiter.size(), 2u);
  clock.advance_ms(1'000);
  limiter.sweep();
  EXPECT_EQ(limiter.size(), 1u);  // the window of "short" ended; the block goes on
  EXPECT_FALSE(limiter.try_consume("blocked").allowed);
  clock.advance_ms(4'000);
  limiter.sweep();
  EXPECT_EQ(limiter.size(), 0u);
}

TEST(MemoryRateLimiter, FullTableRefusesNewKeysUntilEntriesExpire) {
  ManualClock clock;
  // The cap is split over 64 shards; 64 means one key per shard.
  MemoryRateLimiter limiter(policy(10, 1'000, 1'000), clock, 64);
  int refused_new = 0;
  for (int i = 0; i < 1'000; ++i) {
    if (!limiter.try_consume("k" + std::to_string(i)).allowed) ++refused_new;
  }
  EXPECT_LE(limiter.size(), 64u);
  EXPECT_GT(refused_new, 0);
  EXPECT_EQ(limiter.refused_table_full(), static_cast<std::uint64_t>(refused_new));
  // Keys already tracked keep working while the table is full.
  EXPECT_TRUE(limiter.try_consume("k0").allowed);
  // Once the tracked windows end, a new key's shard is swept on demand and it gets in.
  clock.advance_ms(1'000);
  EXPECT_TRUE(limiter.try_consume("newcomer").allowed);
}

TEST(MemoryRateLimiter, ConcurrentConsumersNeverExceedThePoints) {
  ManualClock clock;
  MemoryRateLimiter limiter(policy(100, 60'000, 300'000), clock);
  std::atomic<int> allowed{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 50; ++i) allowed += limiter.try_consume("shared").allowed ? 1 : 0;
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(allowed.load(), 100);
}

}  // namespace
}  // namespace sudachi::storage

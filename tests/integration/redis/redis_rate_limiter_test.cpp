// RedisRateLimiter has MemoryRateLimiter's semantics (tests/unit/storage/memory/
// memory_rate_limiter_test.cpp), with real time: windows and blocks are short here.
#include <atomic>
#include <future>
#include <thread>

#include <gtest/gtest.h>

#include "storage/memory/memory_rate_limiter.hpp"
#include "storage/redis/redis_rate_limiter.hpp"
#include "store_harness.hpp"

namespace sudachi::storage::redis::test {
namespace {

using namespace std::chrono_literals;

room::RatePolicy policy(int points, std::int64_t duration_ms, std::int64_t block_ms) {
  return room::RatePolicy{points, duration_ms, block_ms, true};
}

room::RateDecision consume(room::RateLimiter& limiter, const std::string& key) {
  std::promise<room::RateDecision> promise;
  auto future = promise.get_future();
  limiter.consume(key, [&](room::RateDecision d) { promise.set_value(d); });
  if (future.wait_for(10s) != std::future_status::ready) {
    ADD_FAILURE() << "no decision within 10 s";
    return {};
  }
  return future.get();
}

int allowed_of(room::RateLimiter& limiter, const std::string& key, int n) {
  int allowed = 0;
  for (int i = 0; i < n; ++i) allowed += consume(limiter, key).allowed ? 1 : 0;
  return allowed;
}

RedisRateLimiter make(room::RatePolicy p, std::shared_ptr<room::RateLimiter> fallback = nullptr) {
  return RedisRateLimiter(shared_client(), p, unique_prefix() + "rl:", std::move(fallback));
}

TEST(RedisRateLimiter, AllowsPointsPerWindowThenBlocks) {
  auto limiter = make(policy(3, 60'000, 300'000));
  EXPECT_EQ(allowed_of(limiter, "a", 3), 3);
  auto refused = consume(limiter, "a");
  EXPECT_FALSE(refused.allowed);
  EXPECT_EQ(refused.retry_after_seconds, 300);  // the block, not the window, decides
  EXPECT_TRUE(consume(limiter, "b").allowed);   // keys are independent
}

TEST(RedisRateLimiter, WindowRestartsAfterItsDuration) {
  auto limiter = make(policy(2, 300, 10'000));
  EXPECT_EQ(allowed_of(limiter, "a", 2), 2);
  std::this_thread::sleep_for(350ms);
  EXPECT_EQ(allowed_of(limiter, "a", 2), 2);  // a new window, no block was started
}

TEST(RedisRateLimiter, BlockRefusesEverythingThenTheKeyStartsAfresh) {
  // A 1.5 s block: the refusals below fall well within it even on a loaded sanitizer build.
  auto limiter = make(policy(1, 60'000, 1'500));
  EXPECT_TRUE(consume(limiter, "a").allowed);
  const auto block_started = std::chrono::steady_clock::now();
  auto refused = consume(limiter, "a");
  EXPECT_FALSE(refused.allowed);
  EXPECT_EQ(refused.retry_after_seconds, 2);  // 1.5 s rounded up
  std::this_thread::sleep_for(300ms);
  EXPECT_FALSE(consume(limiter, "a").allowed);
  // Polled, not slept: every refused attempt here must leave the block as it is, or it would
  // never end and this would time out.
  ASSERT_TRUE(eventually([&] { return consume(limiter, "a").allowed; }, 10s));
  EXPECT_GE(std::chrono::steady_clock::now() - block_started, 1'400ms);  // not before its end
  // The block is over and the key starts afresh although the 60 s window is not.
  EXPECT_FALSE(consume(limiter, "a").allowed);
}

TEST(RedisRateLimiter, WithoutBlockRefusesUntilTheWindowEnds) {
  auto limiter = make(policy(1, 2'500, 0));
  EXPECT_TRUE(consume(limiter, "a").allowed);
  auto refused = consume(limiter, "a");
  EXPECT_FALSE(refused.allowed);
  EXPECT_EQ(refused.retry_after_seconds, 3);  // ~2.5 s left, rounded up
}

TEST(RedisRateLimiter, DisabledPolicyAllowsEverything) {
  room::RatePolicy off = policy(1, 1'000, 1'000);
  off.enabled = false;
  auto limiter = make(off);
  EXPECT_EQ(allowed_of(limiter, "a", 20), 20);
}

TEST(RedisRateLimiter, ConcurrentConsumersOnTwoInstancesNeverExceedThePoints) {
  const std::string prefix = unique_prefix() + "rl:";
  auto other_client = new_client(shared_server().options());
  RedisRateLimiter a(shared_client(), policy(100, 60'000, 300'000), prefix);
  RedisRateLimiter b(other_client, policy(100, 60'000, 300'000), prefix);
  std::atomic<int> allowed{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      RedisRateLimiter& limiter = t % 2 == 0 ? a : b;
      for (int i = 0; i < 50; ++i) allowed += consume(limiter, "shared").allowed ? 1 : 0;
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(allowed.load(), 100);
}

TEST(RedisRateLimiter, WithoutRedisItDefersToTheFallbackOrFailsOpen) {
  std::string error;
  auto server = RedisServer::start_new(error);
  ASSERT_TRUE(server) << error;
  auto client = new_client(server->options());
  server->kill();
  ASSERT_TRUE(eventually([&] { return !client->healthy(); }, 5s));

  RedisRateLimiter open(client, policy(1, 60'000, 60'000), "rl:");
  EXPECT_EQ(allowed_of(open, "a", 5), 5);
  EXPECT_EQ(open.unavailable_decisions(), 5u);

  ManualClock clock;
  auto local = std::make_shared<MemoryRateLimiter>(policy(1, 60'000, 60'000), clock);
  RedisRateLimiter degraded(client, policy(1, 60'000, 60'000), "rl:", local);
  EXPECT_EQ(allowed_of(degraded, "a", 5), 1);  // per-instance limits while Redis is away
}

}  // namespace
}  // namespace sudachi::storage::redis::test

// PresenceSweeper: the clients of an instance that died are found once their presence
// expired, each by exactly one sweeping instance; live and reconnected clients are not.
#include <atomic>
#include <mutex>
#include <set>
#include <thread>

#include <gtest/gtest.h>

#include "delivery_harness.hpp"
#include "storage/redis/cluster_keys.hpp"
#include "storage/redis/presence_sweeper.hpp"

namespace sudachi::storage::redis::test {
namespace {

using namespace std::chrono_literals;

// Round trips on the shared connection instead of a timer: replies arrive in order and their
// callbacks run on one Redis thread, so once a PING is answered every command sent before it
// has been handled. Two of them, because an EVALSHA answered NOSCRIPT is re-sent as EVAL from
// its callback, behind the first PING.
void settle() {
  for (int i = 0; i < 2; ++i) {
    auto pong =
        await<RedisReply>([&](auto done) { shared_client()->command({"PING"}, std::move(done)); });
    ASSERT_TRUE(pong.ok());
  }
}

struct Gone {
  std::mutex mutex;
  std::multiset<std::string> ids;
  PresenceSweeper::GoneHandler handler() {
    return [this](std::string id) {
      std::lock_guard lock(mutex);
      ids.insert(std::move(id));
    };
  }
  std::multiset<std::string> seen() {
    std::lock_guard lock(mutex);
    return ids;
  }
};

TEST(PresenceSweeper, FindsTheClientsOfADeadInstanceOnceAndOnlyThem) {
  const std::string prefix = unique_prefix();
  const auto ttl = 800ms;
  auto dying = start_delivery(shared_server(), "dying", prefix, ttl);
  auto alive = start_delivery(shared_server(), "alive", prefix, ttl);
  auto c1 = std::make_shared<RecordingConnection>();
  auto c2 = std::make_shared<RecordingConnection>();
  auto c3 = std::make_shared<RecordingConnection>();
  dying->attach("lost", c1);
  dying->attach("returns", c2);
  alive->attach("stays", c3);
  ClusterKeys keys(prefix);
  ASSERT_TRUE(eventually(
      [&] { return get_key(*shared_client(), keys.presence("returns")).has_value(); }, 5s));

  // kill -9: no detach, no release. (The destructor only deletes the instance key.)
  dying.reset();
  // "returns" reconnects to the live instance before its old presence expires.
  auto c2b = std::make_shared<RecordingConnection>();
  alive->attach("returns", c2b);

  PresenceSweeperOptions options;
  options.key_prefix = prefix;
  options.grace = ttl;
  Gone gone;
  PresenceSweeper first(shared_client(), options, gone.handler());
  PresenceSweeper second(shared_client(), options, gone.handler());
  ASSERT_TRUE(eventually(
      [&] {
        first.tick();
        second.tick();
        return gone.seen().count("lost") > 0;
      },
      10s));
  for (int i = 0; i < 20; ++i) {  // more sweeps: nobody else, and "lost" only once
    first.tick();
    second.tick();
    settle();                           // both sweeps have been answered and handled
    std::this_thread::sleep_for(50ms);  // spreads the sweeps over the presence heartbeats
  }
  EXPECT_EQ(gone.seen(), std::multiset<std::string>{"lost"});
  EXPECT_EQ(first.evicted() + second.evicted(), 1u);
}

TEST(PresenceSweeper, WaitsUntilItsConnectionWasHealthyForTheGrace) {
  const std::string prefix = unique_prefix();
  PresenceSweeperOptions options;
  options.key_prefix = prefix;
  options.grace = 2s;
  ClusterKeys keys(prefix);
  // A client seen long ago, without presence: gone. But the sweeper has just started.
  auto r = await<RedisReply>([&](auto done) {
    shared_client()->command({"ZADD", keys.presence_seen(), "1", "old"}, std::move(done));
  });
  ASSERT_TRUE(r.ok());
  Gone gone;
  PresenceSweeper sweeper(shared_client(), options, gone.handler());
  sweeper.tick();
  settle();  // a sweep sent by that tick (there must be none) would have been handled by now
  EXPECT_TRUE(gone.seen().empty());
  EXPECT_EQ(sweeper.evicted(), 0u);
  EXPECT_TRUE(eventually(
      [&] {
        sweeper.tick();
        return gone.seen().count("old") == 1;
      },
      5s));
}

}  // namespace
}  // namespace sudachi::storage::redis::test

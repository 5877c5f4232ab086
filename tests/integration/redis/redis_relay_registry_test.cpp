// Relay registry: relays register and heartbeat their load; the directory picks the
// least-loaded live relay of a region, falls back to other regions, never picks a relay
// whose heartbeat stopped, and counts its picks until the next heartbeat.
#include <atomic>
#include <thread>

#include <gtest/gtest.h>

#include "storage/redis/redis_relay_registry.hpp"
#include "store_harness.hpp"

namespace sudachi::storage::redis::test {
namespace {

using namespace std::chrono_literals;

RelayInfo relay(std::string id, std::string region, std::int64_t load, std::int64_t capacity = 0) {
  return RelayInfo{id, id + ".example.org", 3478, 3479, std::move(region), load, capacity};
}

RelayHeartbeatOptions fast(const std::string& prefix) {
  RelayHeartbeatOptions o;
  o.interval = 100ms;
  o.ttl = 400ms;
  o.key_prefix = prefix;
  return o;
}

struct Registry : ::testing::Test {
  std::string prefix = unique_prefix();
  RedisRelayDirectory directory{shared_client(), prefix};

  Result<room::RelayEndpoint> pick(const std::string& region) {
    return await<room::RelayEndpoint>([&](auto done) { directory.pick(region, std::move(done)); });
  }
  std::string picked(const std::string& region) {
    auto r = pick(region);
    return r ? r->id : std::string(to_string(r.error().code));
  }
  static void registered(const RelayHeartbeat& h) {
    EXPECT_TRUE(eventually([&] { return h.beats() > 0; }, 5s));
  }
};

TEST_F(Registry, NoRelayRegisteredIsNoRelayAvailable) {
  EXPECT_EQ(picked("eu"), "NO_RELAY_AVAILABLE");
  EXPECT_EQ(picked(""), "NO_RELAY_AVAILABLE");
}

TEST_F(Registry, PicksTheLeastLoadedAndAllocationsFollowLoad) {
  RelayHeartbeat a, b;
  ASSERT_TRUE(a.start(shared_client(), relay("a", "eu", 5), fast(prefix)).ok());
  ASSERT_TRUE(b.start(shared_client(), relay("b", "eu", 1), fast(prefix)).ok());
  registered(a);
  registered(b);
  auto endpoint = pick("eu");
  ASSERT_TRUE(endpoint.ok());
  EXPECT_EQ(endpoint->id, "b");
  EXPECT_EQ(endpoint->host, "b.example.org");
  EXPECT_EQ(endpoint->udp_port, 3478);
  EXPECT_EQ(endpoint->tcp_port, 3479);
  EXPECT_EQ(endpoint->region, "eu");
}

TEST_F(Registry, PicksCountUntilTheNextHeartbeat) {
  // Long intervals: no heartbeat resets the counted loads during the test.
  RelayHeartbeat a, b;
  ASSERT_TRUE(
      a.start(shared_client(), relay("a", "eu", 5), RelayHeartbeatOptions{10s, 30s, prefix}).ok());
  ASSERT_TRUE(
      b.start(shared_client(), relay("b", "eu", 1), RelayHeartbeatOptions{10s, 30s, prefix}).ok());
  registered(a);
  registered(b);
  int for_b = 0;
  for (int i = 0; i < 4; ++i) for_b += picked("eu") == "b";
  EXPECT_EQ(for_b, 4);  // b: 1 -> 5
  int for_a = 0;
  for (int i = 0; i < 4; ++i) for_a += picked("eu") == "a";
  EXPECT_EQ(for_a, 2);  // tied at 5: they alternate
}

TEST_F(Registry, LoadUpdatesFromTheHeartbeatSteerAllocations) {
  RelayHeartbeat a, b;
  ASSERT_TRUE(a.start(shared_client(), relay("a", "eu", 0), fast(prefix)).ok());
  ASSERT_TRUE(b.start(shared_client(), relay("b", "eu", 10), fast(prefix)).ok());
  registered(a);
  registered(b);
  EXPECT_EQ(picked("eu"), "a");
  a.update_load(100);
  b.update_load(0);
  EXPECT_TRUE(eventually([&] { return picked("eu") == "b"; }, 3s));
}

TEST_F(Registry, ALoadSourceIsReadAtEachHeartbeat) {
  // sudachi-relay announces its active session count this way (a relaxed atomic load).
  std::atomic<std::int64_t> sessions{0};
  RelayHeartbeatOptions with_source = fast(prefix);
  with_source.load_source = [&sessions] { return sessions.load(); };
  RelayHeartbeat a, b;
  ASSERT_TRUE(a.start(shared_client(), relay("a", "eu", 0), with_source).ok());
  ASSERT_TRUE(b.start(shared_client(), relay("b", "eu", 5), fast(prefix)).ok());
  registered(a);
  registered(b);
  EXPECT_EQ(picked("eu"), "a");
  sessions = 50;
  EXPECT_TRUE(eventually([&] { return picked("eu") == "b"; }, 3s));
  sessions = 0;
  EXPECT_TRUE(eventually([&] { return picked("eu") == "a"; }, 3s));
  a.stop();
  b.stop();
}

TEST_F(Registry, FallsBackToOtherRegionsAndHonoursCapacity) {
  RelayHeartbeat us, eu;
  ASSERT_TRUE(us.start(shared_client(), relay("us1", "us", 3), fast(prefix)).ok());
  ASSERT_TRUE(eu.start(shared_client(), relay("eu1", "eu", 0, 1), fast(prefix)).ok());
  registered(us);
  registered(eu);
  EXPECT_EQ(picked("us"), "us1");
  EXPECT_EQ(picked("asia"), "eu1");  // no relay in asia: the least loaded anywhere
  // eu1 is now at its capacity (1 session counted): eu falls back to us.
  EXPECT_EQ(picked("eu"), "us1");
  EXPECT_EQ(picked(""), "us1");
}

TEST_F(Registry, ARelayThatStopsHeartbeatingIsNotAllocated) {
  RelayHeartbeat a, b;
  ASSERT_TRUE(a.start(shared_client(), relay("a", "eu", 0), fast(prefix)).ok());
  ASSERT_TRUE(b.start(shared_client(), relay("b", "eu", 40), fast(prefix)).ok());
  registered(a);
  registered(b);
  EXPECT_EQ(picked("eu"), "a");
  a.stop();  // a deregisters cleanly: gone at once
  EXPECT_EQ(picked("eu"), "b");
  // An index entry whose registration is gone (a relay killed, its hash expired).
  auto r = await<RedisReply>([&](auto done) {
    shared_client()->command({"ZADD", prefix + "relays:region:eu", "0", "ghost"}, std::move(done));
  });
  ASSERT_TRUE(r.ok());
  for (int i = 0; i < 5; ++i) EXPECT_EQ(picked("eu"), "b");
  // The ghost entry was pruned when met.
  auto score = await<RedisReply>([&](auto done) {
    shared_client()->command({"ZSCORE", prefix + "relays:region:eu", "ghost"}, std::move(done));
  });
  ASSERT_TRUE(score.ok());
  EXPECT_TRUE(score->is_nil());
}

TEST_F(Registry, AnExpiredHeartbeatIsNeverPicked) {
  RelayHeartbeat b;
  ASSERT_TRUE(b.start(shared_client(), relay("b", "eu", 40), fast(prefix)).ok());
  registered(b);
  // A relay that registered once with a short TTL and then went silent (killed). 1 s: it is
  // still there for the first pick even on a loaded sanitizer build.
  auto r = await<RedisReply>([&](auto done) {
    shared_client()->eval(
        *[] {
          static RedisScript s(
              "redis.call('HSET', KEYS[1], 'id', 'silent', 'host', 'h', 'udp', 1, 'tcp', 1,"
              " 'region', 'eu', 'load', 0, 'capacity', 0) redis.call('PEXPIRE', KEYS[1], 1000)"
              " redis.call('ZADD', KEYS[2], 0, 'silent') return 1");
          return &s;
        }(),
        {prefix + "relay:{silent}", prefix + "relays:region:eu"}, {}, std::move(done));
  });
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(picked("eu"), "silent");
  // Until Redis has expired its record (polled, not slept); from then on it is never picked
  // although it is still in the region's index.
  ASSERT_TRUE(eventually(
      [&] {
        auto exists = await<RedisReply>([&](auto done) {
          shared_client()->command({"EXISTS", prefix + "relay:{silent}"}, std::move(done));
        });
        return exists.ok() && exists->as_int() == 0;
      },
      10s));
  for (int i = 0; i < 3; ++i) EXPECT_EQ(picked("eu"), "b");
}

TEST_F(Registry, RefusesUnusableRegistrations) {
  RelayHeartbeat h;
  EXPECT_FALSE(h.start(shared_client(), relay("", "eu", 0), fast(prefix)).ok());
  EXPECT_FALSE(h.start(shared_client(), relay("a{b}", "eu", 0), fast(prefix)).ok());
  EXPECT_FALSE(h.start(shared_client(), relay("a", "", 0), fast(prefix)).ok());
  EXPECT_FALSE(
      h.start(shared_client(), relay("a", "eu", 0), RelayHeartbeatOptions{1s, 1s, prefix}).ok());
}

}  // namespace
}  // namespace sudachi::storage::redis::test

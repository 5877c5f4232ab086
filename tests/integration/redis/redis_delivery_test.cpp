// RedisDelivery: two instances on one real redis-server. Targeted and multi-target sends,
// lobby fan-out, a client replacing its connection across instances, presence lifecycle,
// and recovery after a Redis restart.
#include <gtest/gtest.h>

#include "delivery_harness.hpp"
#include "storage/redis/cluster_keys.hpp"

namespace sudachi::storage::redis::test {
namespace {

using namespace std::chrono_literals;

struct TwoInstances : ::testing::Test {
  std::string prefix = unique_prefix();
  std::unique_ptr<RedisDelivery> one = start_delivery(shared_server(), "one", prefix);
  std::unique_ptr<RedisDelivery> two = start_delivery(shared_server(), "two", prefix);
  ClusterKeys keys{prefix};

  std::shared_ptr<RecordingConnection> attach(RedisDelivery& d, const std::string& id) {
    auto c = std::make_shared<RecordingConnection>();
    EXPECT_EQ(d.attach(id, c), nullptr);
    // The presence claim is asynchronous: wait until other instances can find the client.
    EXPECT_TRUE(
        eventually([&] { return get_key(*shared_client(), keys.presence(id)).has_value(); }, 5s));
    return c;
  }
};

TEST_F(TwoInstances, TargetedMessageReachesTheOtherInstance) {
  auto a = attach(*one, "a");
  auto b = attach(*two, "b");
  one->to_client("b", frame("42[\"hello\"]"));
  one->to_client("a", frame("local"));
  ASSERT_TRUE(eventually([&] { return b->count() == 1; }, 5s));
  EXPECT_EQ(b->frames()[0], "42[\"hello\"]");
  EXPECT_EQ(a->frames(), std::vector<std::string>{"local"});
  EXPECT_EQ(one->local_connections() + two->local_connections(), 2u);
}

TEST_F(TwoInstances, MultiTargetDeliversOnceEachAndSkipsTheOffline) {
  auto a = attach(*one, "a");
  auto b = attach(*two, "b");
  auto c = attach(*two, "c");
  one->to_clients({"a", "b", "c", "nobody"}, frame("x"));
  ASSERT_TRUE(eventually([&] { return b->count() == 1 && c->count() == 1; }, 5s));
  // One message for b and c together: they share an instance.
  EXPECT_EQ(one->stats().published, 1u);
  // Nothing more arrives. Not a timer: messages from one instance to a client keep their
  // order, so a second copy of "x" would come before this marker. (a is local to `one`, and
  // the one message published went to `two`.)
  one->to_clients({"b", "c"}, frame("end"));
  ASSERT_TRUE(eventually([&] { return b->count() >= 2 && c->count() >= 2; }, 5s));
  EXPECT_EQ(a->frames(), std::vector<std::string>{"x"});
  EXPECT_EQ(b->frames(), (std::vector<std::string>{"x", "end"}));
  EXPECT_EQ(c->frames(), (std::vector<std::string>{"x", "end"}));
}

TEST_F(TwoInstances, KeepsTheOrderOfMessagesToOneClient) {
  auto b = attach(*two, "b");
  for (int i = 0; i < 50; ++i) one->to_client("b", frame(std::to_string(i)));
  ASSERT_TRUE(eventually([&] { return b->count() == 50; }, 5s));
  for (int i = 0; i < 50; ++i) EXPECT_EQ(b->frames()[i], std::to_string(i));
}

TEST_F(TwoInstances, LobbyUpdatesReachSubscribersOnEveryInstanceOnce) {
  auto a = attach(*one, "a");
  auto b = attach(*two, "b");
  auto other = attach(*two, "other");
  auto none = attach(*two, "none");
  one->subscribe_lobby("a", std::nullopt);
  two->subscribe_lobby("b", std::string("0100000000010000"));
  two->subscribe_lobby("other", std::string("01006A800016E000"));
  one->to_lobby("0100000000010000", frame("upd"));
  ASSERT_TRUE(eventually([&] { return a->count() == 1 && b->count() == 1; }, 5s));
  // A marker instead of a timer, sent from the other instance: Redis delivers publications
  // in the order it took them, so a second copy of "upd" (say, `one` not skipping its own
  // echo) would reach a before "mark". A wrong copy for other or none would have come with
  // the message that reached b.
  two->to_lobby("0100000000010000", frame("mark"));
  ASSERT_TRUE(eventually([&] { return a->count() >= 2 && b->count() >= 2; }, 5s));
  EXPECT_EQ(a->frames(), (std::vector<std::string>{"upd", "mark"}));
  EXPECT_EQ(b->frames(), (std::vector<std::string>{"upd", "mark"}));
  EXPECT_EQ(other->count(), 0u);
  EXPECT_EQ(none->count(), 0u);
  two->unsubscribe_lobby("b");
  two->to_lobby("0100000000010000", frame("upd2"));
  ASSERT_TRUE(eventually([&] { return a->count() == 3; }, 5s));
  EXPECT_EQ(b->count(), 2u);
}

TEST_F(TwoInstances, AttachElsewhereDisconnectsTheOldConnectionWithoutALeave) {
  auto old_connection = attach(*one, "x");
  auto fresh = std::make_shared<RecordingConnection>();
  EXPECT_EQ(two->attach("x", fresh), nullptr);  // the old one is on another instance
  ASSERT_TRUE(eventually([&] { return old_connection->disconnected(); }, 5s));
  EXPECT_EQ(one->local_connections(), 0u);
  // The transport reports the close: not the client's current connection any more.
  EXPECT_FALSE(one->detach("x", old_connection.get()));
  EXPECT_FALSE(fresh->disconnected());
  // Messages now go to the new connection, from either instance.
  one->to_client("x", frame("after"));
  ASSERT_TRUE(eventually([&] { return fresh->count() == 1; }, 5s));
  EXPECT_EQ(old_connection->count(), 0u);
  EXPECT_EQ(one->stats().kicked, 1u);
}

TEST_F(TwoInstances, DetachReleasesPresenceOnlyForTheCurrentConnection) {
  auto c = attach(*one, "y");
  const auto value = get_key(*shared_client(), keys.presence("y"));
  ASSERT_TRUE(value.has_value());
  EXPECT_EQ(value->substr(0, 4), "one|");
  EXPECT_TRUE(one->detach("y", c.get()));
  EXPECT_TRUE(eventually([&] { return !get_key(*shared_client(), keys.presence("y")); }, 5s));
  EXPECT_FALSE(one->detach("y", c.get()));
}

TEST_F(TwoInstances, HeartbeatDropsAConnectionWhosePresenceWasTaken) {
  // The kick message was lost (e.g. during an outage): the heartbeat notices instead.
  auto c = attach(*one, "z");
  auto r = await<RedisReply>([&](auto done) {
    shared_client()->command({"SET", keys.presence("z"), "two|999"}, std::move(done));
  });
  ASSERT_TRUE(r.ok());
  one->heartbeat();
  EXPECT_TRUE(eventually([&] { return c->disconnected(); }, 5s));
  EXPECT_FALSE(one->detach("z", c.get()));
}

TEST_F(TwoInstances, InstanceKeyIsAliveWhileRunning) {
  EXPECT_TRUE(
      eventually([&] { return get_key(*shared_client(), keys.instance("one")).has_value(); }, 5s));
  one.reset();
  EXPECT_TRUE(eventually([&] { return !get_key(*shared_client(), keys.instance("one")); }, 5s));
}

TEST(RedisDeliveryOptions, RefusesBadInstanceIdsAndTimings) {
  auto client = shared_client();
  auto bad_id =
      RedisDelivery::start(client, shared_server().options(), delivery_options("a b", "p:"));
  EXPECT_FALSE(bad_id.ok());
  auto opts = delivery_options("ok", "p:");
  opts.heartbeat_interval = opts.presence_ttl;
  EXPECT_FALSE(RedisDelivery::start(client, shared_server().options(), opts).ok());
}

TEST(RedisDeliveryRestart, RecoversAndReassertsPresenceAfterARedisRestart) {
  std::string error;
  auto server = RedisServer::start_new(error);
  ASSERT_TRUE(server) << error;
  const std::string prefix = "restart:";
  ClusterKeys keys(prefix);
  auto one = start_delivery(*server, "one", prefix);
  auto two = start_delivery(*server, "two", prefix);
  auto a = std::make_shared<RecordingConnection>();
  auto b = std::make_shared<RecordingConnection>();
  one->attach("a", a);
  two->attach("b", b);
  auto probe = new_client(server->options());
  ASSERT_TRUE(eventually([&] { return get_key(*probe, keys.presence("b")).has_value(); }, 5s));

  server->kill();  // no persistence: presence is gone with it
  EXPECT_TRUE(eventually([&] { return !one->healthy() && !two->healthy(); }, 5s));
  one->to_client("b", frame("lost"));  // fails fast, counted, never hangs
  ASSERT_TRUE(server->start(error)) << error;

  EXPECT_TRUE(eventually([&] { return one->healthy() && two->healthy(); }, 10s));
  // Re-asserted on resubscription, without waiting for the next heartbeat.
  EXPECT_TRUE(eventually(
      [&] {
        return get_key(*probe, keys.presence("a")).has_value() &&
               get_key(*probe, keys.presence("b")).has_value();
      },
      5s));
  one->to_client("b", frame("after"));
  ASSERT_TRUE(eventually([&] { return b->count() == 1; }, 5s));
  EXPECT_EQ(b->frames()[0], "after");
  EXPECT_FALSE(a->disconnected());
  EXPECT_FALSE(b->disconnected());
}

}  // namespace
}  // namespace sudachi::storage::redis::test

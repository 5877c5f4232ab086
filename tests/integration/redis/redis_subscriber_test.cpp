// RedisSubscriber: pub/sub round trip through a real Redis, patterns, unsubscribe, and the
// re-subscription after a Redis restart that cross-instance delivery relies on.
#include <future>
#include <mutex>
#include <vector>

#include <gtest/gtest.h>

#include "storage/redis/redis_subscriber.hpp"
#include "store_harness.hpp"

namespace sudachi::storage::redis::test {
namespace {

using namespace std::chrono_literals;

// Messages and state changes as the handlers saw them (they run on the subscriber thread).
struct Inbox {
  std::mutex mutex;
  std::vector<RedisMessage> messages;
  std::vector<bool> states;

  RedisSubscriber::MessageHandler message_handler() {
    return [this](const RedisMessage& m) {
      std::lock_guard lock(mutex);
      messages.push_back(m);
    };
  }
  RedisSubscriber::StateHandler state_handler() {
    return [this](bool up) {
      std::lock_guard lock(mutex);
      states.push_back(up);
    };
  }
  std::size_t count() {
    std::lock_guard lock(mutex);
    return messages.size();
  }
  RedisMessage at(std::size_t i) {
    std::lock_guard lock(mutex);
    return messages.at(i);
  }
  std::vector<bool> state_log() {
    std::lock_guard lock(mutex);
    return states;
  }
};

Status await_subscribe(RedisSubscriber& subscriber, const std::string& name, bool pattern) {
  return await<Unit>([&](auto done) {
    if (pattern) {
      subscriber.psubscribe(name, std::move(done));
    } else {
      subscriber.subscribe(name, std::move(done));
    }
  });
}

std::int64_t publish(RedisClient& client, const std::string& channel, const std::string& payload) {
  auto r = await<RedisReply>([&](auto done) {
    client.command({"PUBLISH", channel, payload}, std::move(done));
  });
  return r.ok() ? r->int_value() : -1;
}

TEST(RedisSubscriber, RoundTripForChannelsAndPatterns) {
  Inbox inbox;
  auto subscriber = RedisSubscriber::connect(shared_server().options(), inbox.message_handler(),
                                             inbox.state_handler());
  ASSERT_TRUE(subscriber.ok());
  const std::string p = unique_prefix();
  ASSERT_TRUE(await_subscribe(**subscriber, p + "room:1", false).ok());
  ASSERT_TRUE(await_subscribe(**subscriber, p + "lobby:*", true).ok());
  EXPECT_TRUE((*subscriber)->healthy());

  auto client = shared_client();
  const std::string binary("x\0y\r\n", 5);
  EXPECT_EQ(publish(*client, p + "room:1", binary), 1);
  EXPECT_EQ(publish(*client, p + "lobby:G1", "update"), 1);
  EXPECT_EQ(publish(*client, p + "elsewhere", "nobody"), 0);
  ASSERT_TRUE(eventually([&] { return inbox.count() == 2; }, 5s));
  EXPECT_EQ(inbox.at(0).channel, p + "room:1");
  EXPECT_EQ(inbox.at(0).pattern, "");
  EXPECT_EQ(inbox.at(0).payload, binary);
  EXPECT_EQ(inbox.at(1).pattern, p + "lobby:*");
  EXPECT_EQ(inbox.at(1).channel, p + "lobby:G1");
  EXPECT_EQ(inbox.at(1).payload, "update");

  (*subscriber)->unsubscribe(p + "room:1");
  ASSERT_TRUE(eventually([&] { return publish(*client, p + "room:1", "late") == 0; }, 5s));
  EXPECT_EQ(publish(*client, p + "lobby:G2", "still"), 1);
  ASSERT_TRUE(eventually([&] { return inbox.count() == 3; }, 5s));
  EXPECT_EQ(inbox.at(2).payload, "still");
  EXPECT_EQ((*subscriber)->stats().malformed, 0u);
}

TEST(RedisSubscriber, SubscribingWhileDisconnectedReportsUnavailableButKeepsTheChannel) {
  std::string error;
  auto server = RedisServer::start_new(error);
  ASSERT_TRUE(server) << error;
  RedisOptions options = server->options();
  server->kill();
  Inbox inbox;
  auto subscriber = RedisSubscriber::connect(options, inbox.message_handler());
  ASSERT_TRUE(subscriber.ok());
  auto status = await_subscribe(**subscriber, "later", false);
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.error().code, ErrorCode::unavailable);

  ASSERT_TRUE(server->start(error)) << error;
  auto client = new_client(server->options());
  ASSERT_TRUE(eventually([&] { return publish(*client, "later", "hello") == 1; }, 10s));
  ASSERT_TRUE(eventually([&] { return inbox.count() >= 1; }, 5s));
  EXPECT_EQ(inbox.at(0).payload, "hello");
}

TEST(RedisSubscriber, ResubscribesAfterARedisRestart) {
  std::string error;
  auto server = RedisServer::start_new(error);
  ASSERT_TRUE(server) << error;
  Inbox inbox;
  auto subscriber =
      RedisSubscriber::connect(server->options(), inbox.message_handler(), inbox.state_handler());
  ASSERT_TRUE(subscriber.ok());
  ASSERT_TRUE(await_subscribe(**subscriber, "events", false).ok());
  ASSERT_TRUE(await_subscribe(**subscriber, "node:*", true).ok());
  auto client = new_client(server->options());
  EXPECT_EQ(publish(*client, "events", "one"), 1);
  ASSERT_TRUE(eventually([&] { return inbox.count() == 1; }, 5s));

  server->kill();
  ASSERT_TRUE(eventually([&] { return !(*subscriber)->healthy(); }, 5s));
  ASSERT_TRUE(server->start(error)) << error;
  ASSERT_TRUE(eventually([&] { return (*subscriber)->healthy(); }, 10s));
  ASSERT_TRUE(eventually([&] { return client->healthy(); }, 10s));

  // Both subscriptions are back, on the same subscriber object.
  EXPECT_EQ(publish(*client, "events", "two"), 1);
  EXPECT_EQ(publish(*client, "node:7", "three"), 1);
  ASSERT_TRUE(eventually([&] { return inbox.count() == 3; }, 5s));
  EXPECT_EQ(inbox.at(1).payload, "two");
  EXPECT_EQ(inbox.at(2).channel, "node:7");
  // The state handler saw the gap: up, down, up (resynchronise on the second true).
  EXPECT_EQ(inbox.state_log(), (std::vector<bool>{true, false, true}));
  EXPECT_GE((*subscriber)->stats().connections, 2u);
}

}  // namespace
}  // namespace sudachi::storage::redis::test

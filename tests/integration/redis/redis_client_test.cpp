// RedisClient: commands, scripts, URL parsing, hostile replies, and above all its behaviour
// when Redis goes away: fail fast, never hang, reconnect by itself, reload scripts.
#include <future>
#include <thread>

#include <gtest/gtest.h>

#include "storage/redis/redis_client.hpp"
#include "storage/redis/redis_room_store.hpp"
#include "store_harness.hpp"

namespace sudachi::storage::redis::test {
namespace {

using namespace std::chrono_literals;

Result<RedisReply> run(RedisClient& client, std::vector<std::string> args) {
  return await<RedisReply>([&](auto done) { client.command(std::move(args), std::move(done)); });
}

const RedisScript& echo_script() {
  static const RedisScript script("return {KEYS[1], ARGV[1], 42}");
  return script;
}

Result<RedisReply> eval_echo(RedisClient& client, std::string key, std::string arg) {
  return await<RedisReply>([&](auto done) {
    client.eval(echo_script(), {std::move(key)}, {std::move(arg)}, std::move(done));
  });
}

TEST(RedisUrl, ParsesTheFormsRedisCliAccepts) {
  auto plain = parse_redis_url("redis://127.0.0.1:6390");
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ(plain->host, "127.0.0.1");
  EXPECT_EQ(plain->port, 6390);
  EXPECT_EQ(plain->database, 0);

  auto full = parse_redis_url("redis://user:p%40ss@redis.internal/3");
  ASSERT_TRUE(full.ok());
  EXPECT_EQ(full->username, "user");
  EXPECT_EQ(full->password, "p@ss");
  EXPECT_EQ(full->host, "redis.internal");
  EXPECT_EQ(full->port, 6379);
  EXPECT_EQ(full->database, 3);

  auto password_only = parse_redis_url("redis://:secret@[::1]:7000");
  ASSERT_TRUE(password_only.ok());
  EXPECT_EQ(password_only->username, "");
  EXPECT_EQ(password_only->password, "secret");
  EXPECT_EQ(password_only->host, "::1");

  for (const char* bad : {"http://h:1", "rediss://h", "redis://", "redis://h:0", "redis://h/x",
                          "redis://h/-1", "redis://h?db=1", "not a url"}) {
    auto parsed = parse_redis_url(bad);
    ASSERT_FALSE(parsed.ok()) << bad;
    EXPECT_EQ(parsed.error().code, ErrorCode::invalid_request);
  }
  auto secret = parse_redis_url("redis://u:topsecret@h/x");
  ASSERT_FALSE(secret.ok());
  EXPECT_EQ(secret.error().message.find("topsecret"), std::string::npos);
}

TEST(RedisReplyValue, WrongTypesReadAsEmptyNeverCrash) {
  const RedisReply array = RedisReply::array({RedisReply::string("1"), RedisReply()});
  EXPECT_FALSE(array.as_int());
  EXPECT_FALSE(array.as_string());
  EXPECT_EQ(array.text(), "");
  EXPECT_EQ(RedisReply::string("12x").as_int(), std::nullopt);
  EXPECT_EQ(RedisReply::string("-12").as_int(), -12);
  EXPECT_TRUE(RedisReply::integer(3).elements().empty());
  EXPECT_EQ(to_error(RedisReply::error("LOADING dataset")).code, ErrorCode::unavailable);
  EXPECT_EQ(to_error(RedisReply::error("WRONGTYPE x")).code, ErrorCode::internal);
}

TEST(RedisClient, CommandsAreBinarySafe) {
  auto client = shared_client();
  ASSERT_TRUE(client->healthy());
  const std::string key = unique_prefix() + "bin\r\n";
  const std::string value("a\0b\r\n$3\r\n", 10);
  auto set = run(*client, {"SET", key, value});
  ASSERT_TRUE(set.ok());
  EXPECT_EQ(set->type(), RedisReply::Type::status);
  auto got = run(*client, {"GET", key});
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->text(), value);
  auto missing = run(*client, {"GET", key + "-missing"});
  ASSERT_TRUE(missing.ok());
  EXPECT_TRUE(missing->is_nil());
  auto wrong = run(*client, {"INCR", key});  // an error reply is an answer, not a failure
  ASSERT_TRUE(wrong.ok());
  EXPECT_TRUE(wrong->is_error());
}

TEST(RedisClient, ManyCommandsInFlightAllComplete) {
  auto client = shared_client();
  const std::string key = unique_prefix() + "counter";
  std::atomic<int> done{0}, failed{0};
  for (int i = 0; i < 2'000; ++i) {
    client->command({"INCR", key}, [&](Result<RedisReply> r) {
      if (!r.ok() || r->type() != RedisReply::Type::integer) ++failed;
      ++done;
    });
  }
  ASSERT_TRUE(eventually([&] { return done.load() == 2'000; }, 10s));
  EXPECT_EQ(failed.load(), 0);
  EXPECT_EQ(run(*client, {"GET", key})->as_int(), 2'000);
}

TEST(RedisClient, EvalLoadsTheScriptWhenRedisDoesNotKnowIt) {
  auto client = new_client(shared_server().options());
  ASSERT_TRUE(run(*client, {"SCRIPT", "FLUSH"}).ok());
  const auto loads = client->stats().script_loads;
  auto first = eval_echo(*client, "k", "v");
  ASSERT_TRUE(first.ok());
  ASSERT_EQ(first->elements().size(), 3u);
  EXPECT_EQ(first->elements()[0].text(), "k");
  EXPECT_EQ(first->elements()[2].int_value(), 42);
  EXPECT_EQ(client->stats().script_loads, loads + 1);
  ASSERT_TRUE(eval_echo(*client, "k", "v").ok());
  EXPECT_EQ(client->stats().script_loads, loads + 1);  // cached now: EVALSHA only
}

TEST(RedisClient, UnreachableRedisFailsFastAndConnectDoesNotHang) {
  std::string error;
  auto server = RedisServer::start_new(error);
  ASSERT_TRUE(server) << error;
  RedisOptions options = server->options();
  server->kill();
  const auto start = std::chrono::steady_clock::now();
  auto client = new_client(options);
  ASSERT_TRUE(client);
  EXPECT_LT(std::chrono::steady_clock::now() - start, options.connect_timeout + 500ms);
  EXPECT_FALSE(client->healthy());
  for (int i = 0; i < 10; ++i) {
    const auto sent = std::chrono::steady_clock::now();
    auto reply = run(*client, {"PING"});
    ASSERT_FALSE(reply.ok());
    EXPECT_EQ(reply.error().code, ErrorCode::unavailable);
    // At once, not after command_timeout (2 s here); half of it, so that a loaded sanitizer
    // build does not flake.
    EXPECT_LT(std::chrono::steady_clock::now() - sent, options.command_timeout / 2);
  }
}

// Redis killed mid-run and restarted on the same port: commands fail fast meanwhile, the same
// client object reconnects by itself, and scripts are reloaded into the empty new server.
TEST(RedisClient, SurvivesARedisRestart) {
  std::string error;
  auto server = RedisServer::start_new(error);
  ASSERT_TRUE(server) << error;
  auto client = new_client(server->options());
  ASSERT_TRUE(client && client->healthy());
  ManualClock clock;
  RedisRoomStore store(client, clock);
  auto create = [&](const std::string& id, const std::string& host) {
    room::RoomRecord draft;
    draft.id = id;
    return await<room::RoomView>(
        [&](auto done) { store.create_room(draft, member(host), std::move(done)); });
  };
  ASSERT_TRUE(create("before", "alice").ok());
  ASSERT_TRUE(eval_echo(*client, "k", "v").ok());

  server->kill();
  ASSERT_TRUE(eventually([&] { return !client->healthy(); }, 5s));
  EXPECT_FALSE(store.healthy());
  for (int i = 0; i < 5; ++i) {
    const auto sent = std::chrono::steady_clock::now();
    auto created = create("during-" + std::to_string(i), "bob");
    EXPECT_EQ(code_of(created), "UNAVAILABLE");
    // Fast, not after command_timeout (2 s here); half of it against load-sensitive flakes.
    EXPECT_LT(std::chrono::steady_clock::now() - sent, server->options().command_timeout / 2);
  }

  ASSERT_TRUE(server->start(error)) << error;
  ASSERT_TRUE(eventually([&] { return client->healthy(); }, 10s));
  const auto loads = client->stats().script_loads;
  auto after = create("after", "carol");  // the new server is empty: scripts are reloaded
  ASSERT_TRUE(after.ok()) << after.error().message;
  EXPECT_EQ(after->room.host_client_id, "carol");
  EXPECT_GT(client->stats().script_loads, loads);
  EXPECT_GE(client->stats().connections, 2u);
}

// A server that keeps the connection open but answers nothing: every command still ends,
// with UNAVAILABLE, within command_timeout; then the client reconnects once it thaws.
TEST(RedisClient, AFrozenServerTimesCommandsOutAndTheClientRecovers) {
  std::string error;
  auto server = RedisServer::start_new(error);
  ASSERT_TRUE(server) << error;
  RedisOptions options = server->options();
  options.command_timeout = 500ms;
  options.health_interval = 0ms;
  auto client = new_client(options);
  ASSERT_TRUE(client && client->healthy());

  server->freeze();
  const auto sent = std::chrono::steady_clock::now();
  auto reply = run(*client, {"PING"});
  const auto waited = std::chrono::steady_clock::now() - sent;
  server->thaw();
  ASSERT_FALSE(reply.ok());
  EXPECT_EQ(reply.error().code, ErrorCode::unavailable);
  EXPECT_GE(waited, 450ms);
  EXPECT_LT(waited, 1'500ms);
  EXPECT_GE(client->stats().timeouts, 1u);
  ASSERT_TRUE(eventually([&] { return run(*client, {"PING"}).ok(); }, 10s));
}

TEST(RedisClient, DestructionCompletesPendingCallbacks) {
  std::string error;
  auto server = RedisServer::start_new(error);
  ASSERT_TRUE(server) << error;
  RedisOptions options = server->options();
  options.command_timeout = 10s;
  auto client = RedisClient::connect(options);
  ASSERT_TRUE(client.ok());
  server->freeze();  // replies never come
  std::atomic<int> completed{0};
  for (int i = 0; i < 10; ++i) {
    (*client)->command({"PING"}, [&](Result<RedisReply> r) {
      if (!r.ok() && r.error().code == ErrorCode::unavailable) ++completed;
    });
  }
  const auto start = std::chrono::steady_clock::now();
  client->reset();
  EXPECT_EQ(completed.load(), 10);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 2s);
  server->thaw();
}

}  // namespace
}  // namespace sudachi::storage::redis::test

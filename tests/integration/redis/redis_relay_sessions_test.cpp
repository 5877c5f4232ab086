// Relay sessions in Redis: the two mirrored p2p:failure reports of a pair, on any instances,
// end in one session; the record expires with the token lifetime; the key follows the
// documented schema; UNAVAILABLE without Redis.
#include <atomic>
#include <optional>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "storage/redis/redis_relay_sessions.hpp"
#include "store_harness.hpp"

namespace sudachi::storage::redis::test {
namespace {

using namespace std::chrono_literals;

room::RelaySessionRecord record(std::uint8_t tag, std::string relay_id = "relay-eu-1") {
  room::RelaySessionRecord r;
  r.session_id.fill(tag);
  r.session_id[0] = 0xab;
  r.relay = room::RelayEndpoint{std::move(relay_id), "relay.example.org", 3478, 3479, ""};
  r.expires_at_ms = 1'700'000'060'000 + tag;
  return r;
}

Result<room::RelaySessionRecord> claim(RedisRelaySessions& sessions, room::RelaySessionKey key,
                                       room::RelaySessionRecord candidate,
                                       std::int64_t ttl_ms = 60'000) {
  return await<room::RelaySessionRecord>([&](auto done) {
    sessions.claim(std::move(key), std::move(candidate), ttl_ms, std::move(done));
  });
}

Result<RedisReply> run(RedisClient& client, std::vector<std::string> args) {
  return await<RedisReply>([&](auto done) { client.command(std::move(args), std::move(done)); });
}

struct Sessions : ::testing::Test {
  std::string prefix = unique_prefix();
  RedisRelaySessions sessions{shared_client(), RedisRelaySessionsOptions{prefix}};
};

TEST(RelaySessionCodec, RoundTripsAndRefusesGarbage) {
  room::RelaySessionRecord r = record(7, "id|with:odd|chars");
  r.relay.host = "host with|bars";
  r.relay.udp_port = 65535;
  r.relay.tcp_port = 1;
  const std::string text = encode_relay_session(r);
  auto back = decode_relay_session(text);
  ASSERT_TRUE(back.has_value()) << text;
  EXPECT_EQ(back->session_id, r.session_id);
  EXPECT_EQ(back->relay.id, r.relay.id);
  EXPECT_EQ(back->relay.host, r.relay.host);
  EXPECT_EQ(back->relay.udp_port, 65535);
  EXPECT_EQ(back->relay.tcp_port, 1);
  EXPECT_EQ(back->expires_at_ms, r.expires_at_ms);
  for (std::string_view bad :
       {"", "x", "abab|1|2|3|1|a|h", "ababababababababababababababababab|1|2|3|1|a|h",
        "abababababababababababababababab|1|2|70000|1|a|h",
        "abababababababababababababababab|1|2|3|5|a|h",
        "abababababababababababababababab|1|2|3|1|a|",
        "abababababababababababababababxz|1|2|3|1|a|h"}) {
    EXPECT_FALSE(decode_relay_session(bad).has_value()) << bad;
  }
}

TEST_F(Sessions, FirstClaimStoresTheCandidateAndTheMirroredClaimGetsIt) {
  auto first = claim(sessions, {"room-1", "alice", "bob"}, record(1));
  ASSERT_TRUE(first.ok()) << first.error().message;
  EXPECT_EQ(first->session_id, record(1).session_id);
  EXPECT_EQ(first->relay.id, "relay-eu-1");
  EXPECT_EQ(first->relay.host, "relay.example.org");
  EXPECT_EQ(first->relay.udp_port, 3478);
  EXPECT_EQ(first->relay.tcp_port, 3479);
  EXPECT_EQ(first->expires_at_ms, record(1).expires_at_ms);

  auto mirrored = claim(sessions, {"room-1", "bob", "alice"}, record(2, "relay-us-1"));
  ASSERT_TRUE(mirrored.ok());
  EXPECT_EQ(mirrored->session_id, record(1).session_id);
  EXPECT_EQ(mirrored->relay.id, "relay-eu-1");
  EXPECT_EQ(mirrored->expires_at_ms, record(1).expires_at_ms);

  // Another pair, another room: their own sessions.
  auto other = claim(sessions, {"room-1", "alice", "carol"}, record(3));
  ASSERT_TRUE(other.ok());
  EXPECT_EQ(other->session_id, record(3).session_id);
  auto elsewhere = claim(sessions, {"room-2", "bob", "alice"}, record(4));
  ASSERT_TRUE(elsewhere.ok());
  EXPECT_EQ(elsewhere->session_id, record(4).session_id);
  // Client ids may contain ':': the key stays unambiguous.
  auto colon = claim(sessions, {"room-1", "alice:b", "ob"}, record(5));
  ASSERT_TRUE(colon.ok());
  EXPECT_EQ(colon->session_id, record(5).session_id);
}

TEST_F(Sessions, AnExpiredSessionIsReplaced) {
  // A TTL of 1 s: the second claim comes well within it even on a loaded sanitizer build.
  ASSERT_TRUE(claim(sessions, {"room", "a", "b"}, record(1), 1'000).ok());
  auto still = claim(sessions, {"room", "b", "a"}, record(2), 1'000);
  ASSERT_TRUE(still.ok());
  EXPECT_EQ(still->session_id, record(1).session_id);
  // Polled, not slept: a claim does not refresh the TTL (SET NX), so repeating it until the
  // record expires changes nothing before then, and the first claim after it wins.
  std::optional<room::RelaySessionRecord> fresh;
  ASSERT_TRUE(eventually(
      [&] {
        auto r = claim(sessions, {"room", "b", "a"}, record(3), 60'000);
        if (!r.ok()) return false;
        fresh = *r;
        return r->session_id != record(1).session_id;
      },
      10s));
  EXPECT_EQ(fresh->session_id, record(3).session_id);
}

TEST_F(Sessions, KeyFollowsTheDocumentedSchemaWithHashTagAndTtl) {
  ASSERT_TRUE(claim(sessions, {"room-9", "zed", "amy"}, record(1), 60'000).ok());
  const std::string key = prefix + "relaysess:{room-9}:3:amy:zed";
  EXPECT_EQ(sessions.key_of({"room-9", "amy", "zed"}), key);
  EXPECT_EQ(sessions.key_of({"room-9", "zed", "amy"}), key);
  auto client = shared_client();
  auto ttl = run(*client, {"PTTL", key});
  ASSERT_TRUE(ttl.ok());
  EXPECT_GT(ttl->int_value(), 50'000);
  EXPECT_LE(ttl->int_value(), 60'000);
  auto value = run(*client, {"GET", key});
  ASSERT_TRUE(value.ok());
  EXPECT_EQ(value->as_string().value_or(""), encode_relay_session(record(1)));
}

TEST_F(Sessions, ACorruptValueIsInternal) {
  auto client = shared_client();
  ASSERT_TRUE(
      run(*client, {"SET", sessions.key_of({"room", "a", "b"}), "garbage", "PX", "60000"}).ok());
  auto got = claim(sessions, {"room", "a", "b"}, record(1));
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.error().code, ErrorCode::internal);
}

TEST_F(Sessions, ConcurrentClaimsFromTwoInstancesAgreeOnOneRecord) {
  RedisRelaySessions other{new_client(shared_server().options()),
                           RedisRelaySessionsOptions{prefix}};
  std::vector<std::thread> threads;
  std::vector<Result<room::RelaySessionRecord>> got(32,
                                                    Error::make(ErrorCode::internal, "not run"));
  for (int i = 0; i < 32; ++i) {
    threads.emplace_back([&, i] {
      RedisRelaySessions& instance = i % 2 == 0 ? sessions : other;
      got[i] = claim(instance,
                     i % 4 < 2 ? room::RelaySessionKey{"race", "p1", "p2"}
                               : room::RelaySessionKey{"race", "p2", "p1"},
                     record(static_cast<std::uint8_t>(i + 1)));
    });
  }
  for (auto& t : threads) t.join();
  ASSERT_TRUE(got[0].ok());
  int winners = 0;
  for (int i = 0; i < 32; ++i) {
    ASSERT_TRUE(got[i].ok()) << i;
    EXPECT_EQ(got[i]->session_id, got[0]->session_id);
    EXPECT_EQ(got[i]->expires_at_ms, got[0]->expires_at_ms);
    winners += got[0]->session_id == record(static_cast<std::uint8_t>(i + 1)).session_id;
  }
  EXPECT_EQ(winners, 1);  // exactly one candidate was stored
}

TEST(RedisRelaySessions, WithoutRedisItIsUnavailable) {
  std::string error;
  auto server = RedisServer::start_new(error);
  ASSERT_TRUE(server) << error;
  auto client = new_client(server->options());
  server->kill();
  ASSERT_TRUE(eventually([&] { return !client->healthy(); }, 5s));
  RedisRelaySessions sessions(client, RedisRelaySessionsOptions{"rs:"});
  auto got = claim(sessions, {"room", "a", "b"}, record(1));
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.error().code, ErrorCode::unavailable);
}

}  // namespace
}  // namespace sudachi::storage::redis::test

#include "client/signaling/socketio_client.hpp"

#include <gtest/gtest.h>

#include <cctype>
#include <string>

#include <boost/json.hpp>

namespace sudachi::client {
namespace {
namespace json = boost::json;

SocketIoClient::Effects take(SocketIoClient& c) {
  SocketIoClient::Effects e;
  c.take_effects(e);
  return e;
}

SocketIoClient connected_client() {
  SocketIoClient c(1'000);
  c.start(json::object{{"token", "t"}}, 0);
  take(c);
  c.on_message(R"(0{"sid":"s1"})", 1);
  auto e = take(c);
  EXPECT_TRUE(e.connected);
  return c;
}

TEST(SocketIoClient, ConnectCarriesTheAuthPayload) {
  SocketIoClient c(1'000);
  EXPECT_EQ(c.state(), SocketIoClient::State::idle);
  c.start(json::object{{"token", "jwt"}}, 0);
  auto e = take(c);
  ASSERT_EQ(e.frames.size(), 1u);
  EXPECT_EQ(e.frames[0], R"(0{"token":"jwt"})");
  EXPECT_EQ(c.state(), SocketIoClient::State::connecting);
  c.on_message(R"(0{"sid":"xyz"})", 5);
  e = take(c);
  EXPECT_TRUE(e.connected);
  EXPECT_EQ(c.sid(), "xyz");
  EXPECT_EQ(c.state(), SocketIoClient::State::connected);
}

TEST(SocketIoClient, ConnectErrorEndsWithItsPayload) {
  SocketIoClient c(1'000);
  c.start(json::object{{"token", "bad"}}, 0);
  take(c);
  c.on_message(R"(4{"message":"Invalid authentication token","data":{"code":"AUTH_FAILED"}})", 1);
  auto e = take(c);
  EXPECT_TRUE(e.ended);
  ASSERT_TRUE(e.connect_error);
  EXPECT_EQ(e.connect_error->at("data").at("code").as_string(), "AUTH_FAILED");
  EXPECT_EQ(c.state(), SocketIoClient::State::closed);
}

TEST(SocketIoClient, ConnectDeadline) {
  SocketIoClient c(1'000);
  c.start(json::object{}, 100);
  take(c);
  EXPECT_EQ(c.next_deadline(), 1'100);
  c.on_timer(1'099);
  EXPECT_FALSE(take(c).ended);
  c.on_timer(1'100);
  auto e = take(c);
  EXPECT_TRUE(e.ended);
  EXPECT_TRUE(e.connect_timeout);
}

TEST(SocketIoClient, EmitNumbersAcksAndMatchesReplies) {
  auto c = connected_client();
  EXPECT_FALSE(SocketIoClient(1'000).emit("x", nullptr, 0, 100));  // not connected: refused
  const auto a = c.emit("room:list", json::object{{"limit", 5}}, 10, 1'000);
  const auto b = c.emit("room:leave", nullptr, 10, 1'000);
  ASSERT_TRUE(a && b);
  EXPECT_NE(*a, *b);
  auto e = take(c);
  ASSERT_EQ(e.frames.size(), 2u);
  EXPECT_EQ(e.frames[0], "2" + std::to_string(*a) + R"(["room:list",{"limit":5}])");
  EXPECT_EQ(e.frames[1], "2" + std::to_string(*b) + R"(["room:leave"])");
  EXPECT_EQ(c.pending_acks(), 2u);

  c.on_message("3" + std::to_string(*b) + R"([{"success":true}])", 20);
  c.on_message("3" + std::to_string(*a) + "[]", 21);
  e = take(c);
  ASSERT_EQ(e.acks.size(), 2u);
  EXPECT_EQ(e.acks[0].id, *b);
  ASSERT_TRUE(e.acks[0].payload);
  EXPECT_TRUE(e.acks[0].payload->at("success").as_bool());
  EXPECT_EQ(e.acks[1].id, *a);
  ASSERT_TRUE(e.acks[1].payload);
  EXPECT_TRUE(e.acks[1].payload->is_null());  // an ack without arguments
  EXPECT_EQ(c.pending_acks(), 0u);
}

TEST(SocketIoClient, UnansweredAcksTimeOutAndLateOnesAreDropped) {
  auto c = connected_client();
  const auto id = c.emit("room:join", json::object{}, 0, 500);
  ASSERT_TRUE(id);
  take(c);
  EXPECT_EQ(c.next_deadline(), 500);
  c.on_timer(499);
  EXPECT_TRUE(take(c).acks.empty());
  c.on_timer(500);
  auto e = take(c);
  ASSERT_EQ(e.acks.size(), 1u);
  EXPECT_TRUE(e.acks[0].timed_out);
  EXPECT_FALSE(e.acks[0].payload);
  // The answer arrives after all: late, not hostile.
  c.on_message("3" + std::to_string(*id) + "[{}]", 600);
  e = take(c);
  EXPECT_TRUE(e.acks.empty());
  EXPECT_FALSE(e.ended);
}

TEST(SocketIoClient, ClosingFailsPendingAcks) {
  auto c = connected_client();
  ASSERT_TRUE(c.emit("a", nullptr, 0, 1'000));
  ASSERT_TRUE(c.emit("b", nullptr, 0, 1'000));
  take(c);
  c.on_closed();
  auto e = take(c);
  EXPECT_TRUE(e.ended);
  ASSERT_EQ(e.acks.size(), 2u);
  EXPECT_FALSE(e.acks[0].timed_out);
  EXPECT_FALSE(e.acks[0].payload);
}

TEST(SocketIoClient, EventsCarryNameAndFirstArgument) {
  auto c = connected_client();
  c.on_message(R"(2["connected",{"clientId":"me"}])", 2);
  c.on_message(R"(2["room:closed"])", 3);
  auto e = take(c);
  ASSERT_EQ(e.events.size(), 2u);
  EXPECT_EQ(e.events[0].name, "connected");
  EXPECT_EQ(e.events[0].payload.at("clientId").as_string(), "me");
  EXPECT_EQ(e.events[1].name, "room:closed");
  EXPECT_TRUE(e.events[1].payload.is_null());
}

TEST(SocketIoClient, ServerDisconnectEnds) {
  auto c = connected_client();
  ASSERT_TRUE(c.emit("a", nullptr, 0, 1'000));
  take(c);
  c.on_message("1", 2);
  auto e = take(c);
  EXPECT_TRUE(e.ended);
  EXPECT_TRUE(e.server_disconnect);
  EXPECT_EQ(e.acks.size(), 1u);
}

TEST(SocketIoClient, ClientDisconnectSendsDisconnect) {
  auto c = connected_client();
  c.disconnect();
  auto e = take(c);
  ASSERT_EQ(e.frames.size(), 1u);
  EXPECT_EQ(e.frames[0], "1");
  EXPECT_TRUE(e.ended);
  EXPECT_EQ(c.state(), SocketIoClient::State::closed);
}

struct Hostile {
  const char* name;
  bool connect_first;
  const char* text;
};
class SocketIoHostile : public ::testing::TestWithParam<Hostile> {};

TEST_P(SocketIoHostile, EndsWithAProtocolError) {
  const Hostile& tc = GetParam();
  SocketIoClient c = tc.connect_first ? connected_client() : SocketIoClient(1'000);
  if (!tc.connect_first) {
    c.start(json::object{}, 0);
    take(c);
  }
  c.on_message(tc.text, 5);
  auto e = take(c);
  EXPECT_TRUE(e.ended) << tc.name;
  EXPECT_FALSE(e.protocol_error.empty()) << tc.name;
  EXPECT_EQ(c.state(), SocketIoClient::State::closed);
}

std::string case_name(const ::testing::TestParamInfo<Hostile>& param) {
  std::string name = param.param.name;
  for (char& ch : name)
    if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
  return name;
}

INSTANTIATE_TEST_SUITE_P(
    Cases, SocketIoHostile,
    ::testing::Values(Hostile{"garbage", true, "x"}, Hostile{"bad json", true, "2[\"a\","},
                      Hostile{"other namespace", true, R"(2/admin,["a"])"},
                      Hostile{"event before connect", false, R"(2["a"])"},
                      Hostile{"connect twice", true, R"(0{"sid":"again"})"},
                      Hostile{"connect without sid", false, R"(0{})"},
                      Hostile{"ack never asked for", true, "3999[]"},
                      Hostile{"ack without id", true, "3[]"},
                      Hostile{"binary event", true, R"(51-["a",{"_placeholder":true,"num":0}])"},
                      Hostile{"connect error after connect", true, R"(4{"message":"x"})"}),
    case_name);

}  // namespace
}  // namespace sudachi::client

#include "client/signaling/engineio_client.hpp"

#include <gtest/gtest.h>

#include <cctype>
#include <string>

namespace sudachi::client {
namespace {

constexpr const char* kOpen =
    R"(0{"sid":"abc","upgrades":[],"pingInterval":1000,"pingTimeout":500,"maxPayload":100})";

EngineIoClient::Effects take(EngineIoClient& c) {
  EngineIoClient::Effects e;
  c.take_effects(e);
  return e;
}

EngineIoClient opened(std::int64_t now = 0) {
  EngineIoClient c({}, now);
  c.on_text(kOpen, now);
  EXPECT_EQ(c.state(), EngineIoClient::State::open);
  take(c);
  return c;
}

TEST(EngineIoClient, OpenReadsTheHandshake) {
  EngineIoClient c({}, 0);
  EXPECT_EQ(c.state(), EngineIoClient::State::opening);
  c.on_text(kOpen, 10);
  auto e = take(c);
  EXPECT_TRUE(e.opened);
  EXPECT_FALSE(e.closed);
  EXPECT_EQ(c.handshake().sid, "abc");
  EXPECT_EQ(c.handshake().ping_interval_ms, 1000u);
  EXPECT_EQ(c.handshake().ping_timeout_ms, 500u);
  EXPECT_EQ(c.handshake().max_payload, 100u);
  // The server must ping within interval + timeout of the OPEN.
  EXPECT_EQ(c.next_deadline(), 10 + 1000 + 500);
}

TEST(EngineIoClient, AnswersPingsAndEachPingMovesTheDeadline) {
  auto c = opened(0);
  c.on_text("2", 900);
  auto e = take(c);
  ASSERT_EQ(e.frames.size(), 1u);
  EXPECT_EQ(e.frames[0], "3");
  EXPECT_EQ(c.next_deadline(), 900 + 1500);
  c.on_timer(1600);  // past the first deadline, not the new one
  EXPECT_EQ(c.state(), EngineIoClient::State::open);
  c.on_text("2x", 1700);  // data is echoed
  e = take(c);
  ASSERT_EQ(e.frames.size(), 1u);
  EXPECT_EQ(e.frames[0], "3x");
}

TEST(EngineIoClient, NoPingInTimeClosesWithPingTimeout) {
  auto c = opened(0);
  c.on_timer(1499);
  EXPECT_EQ(c.state(), EngineIoClient::State::open);
  c.on_timer(1500);
  auto e = take(c);
  EXPECT_EQ(c.state(), EngineIoClient::State::closed);
  ASSERT_TRUE(e.closed);
  EXPECT_EQ(*e.closed, EngineCloseReason::ping_timeout);
  EXPECT_FALSE(c.next_deadline());
}

TEST(EngineIoClient, NoOpenInTimeClosesWithOpenTimeout) {
  EngineIoClient::Config config;
  config.open_timeout_ms = 200;
  EngineIoClient c(config, 100);
  EXPECT_EQ(c.next_deadline(), 300);
  c.on_timer(299);
  EXPECT_EQ(c.state(), EngineIoClient::State::opening);
  c.on_timer(300);
  auto e = take(c);
  ASSERT_TRUE(e.closed);
  EXPECT_EQ(*e.closed, EngineCloseReason::open_timeout);
}

TEST(EngineIoClient, MessagesGoUpInOrder) {
  auto c = opened();
  c.on_text("40{\"sid\":\"x\"}", 1);
  c.on_text("6", 1);  // noop: ignored
  c.on_text("42[\"a\"]", 2);
  auto e = take(c);
  ASSERT_EQ(e.messages.size(), 2u);
  EXPECT_EQ(e.messages[0], "0{\"sid\":\"x\"}");
  EXPECT_EQ(e.messages[1], "2[\"a\"]");
  EXPECT_TRUE(e.frames.empty());
}

TEST(EngineIoClient, SendRespectsStateAndMaxPayload) {
  EngineIoClient c({}, 0);
  EXPECT_FALSE(c.send_message("hello"));  // not open yet
  c.on_text(kOpen, 0);
  take(c);
  EXPECT_TRUE(c.send_message("hello"));
  EXPECT_TRUE(c.send_message(std::string(99, 'x')));    // "4" + 99 = maxPayload
  EXPECT_FALSE(c.send_message(std::string(100, 'x')));  // one byte over
  auto e = take(c);
  ASSERT_EQ(e.frames.size(), 2u);
  EXPECT_EQ(e.frames[0], "4hello");
}

TEST(EngineIoClient, ServerCloseEndsTheSession) {
  auto c = opened();
  c.on_text("1", 5);
  auto e = take(c);
  ASSERT_TRUE(e.closed);
  EXPECT_EQ(*e.closed, EngineCloseReason::server_close);
  c.on_text("2", 6);  // ignored once closed
  e = take(c);
  EXPECT_TRUE(e.frames.empty());
  EXPECT_FALSE(e.closed);
}

TEST(EngineIoClient, ClientCloseSendsClose) {
  auto c = opened();
  c.close();
  auto e = take(c);
  ASSERT_EQ(e.frames.size(), 1u);
  EXPECT_EQ(e.frames[0], "1");
  ASSERT_TRUE(e.closed);
  EXPECT_EQ(*e.closed, EngineCloseReason::client_close);
  c.close();  // idempotent
  e = take(c);
  EXPECT_TRUE(e.frames.empty());
  EXPECT_FALSE(e.closed);
}

TEST(EngineIoClient, TransportCloseIsReported) {
  auto c = opened();
  c.on_transport_closed();
  auto e = take(c);
  ASSERT_TRUE(e.closed);
  EXPECT_EQ(*e.closed, EngineCloseReason::transport_close);
}

struct HostileCase {
  const char* name;
  bool open_first;
  const char* text;
};

class EngineIoHostile : public ::testing::TestWithParam<HostileCase> {};

TEST_P(EngineIoHostile, IsAProtocolError) {
  const HostileCase& tc = GetParam();
  EngineIoClient c({}, 0);
  if (tc.open_first) {
    c.on_text(kOpen, 0);
    take(c);
  }
  c.on_text(tc.text, 1);
  auto e = take(c);
  ASSERT_TRUE(e.closed) << tc.name;
  EXPECT_EQ(*e.closed, EngineCloseReason::protocol_error) << tc.name;
  EXPECT_FALSE(c.protocol_error().empty());
  EXPECT_FALSE(e.opened);
}

std::string case_name(const ::testing::TestParamInfo<HostileCase>& param) {
  std::string name = param.param.name;
  for (char& ch : name)
    if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
  return name;
}

INSTANTIATE_TEST_SUITE_P(
    Cases, EngineIoHostile,
    ::testing::Values(
        HostileCase{"empty", false, ""}, HostileCase{"unknown type", false, "9"},
        HostileCase{"message before open", false, "4hello"},
        HostileCase{"open not json", false, "0{nope"},
        HostileCase{"open not an object", false, "0[1,2]"},
        HostileCase{"open without sid", false, R"(0{"pingInterval":1000,"pingTimeout":500})"},
        HostileCase{"open with empty sid", false,
                    R"(0{"sid":"","pingInterval":1000,"pingTimeout":500})"},
        HostileCase{"zero ping interval", false,
                    R"(0{"sid":"a","pingInterval":0,"pingTimeout":500})"},
        HostileCase{"ping interval of a day", false,
                    R"(0{"sid":"a","pingInterval":86400000,"pingTimeout":500})"},
        HostileCase{"ping timeout as string", false,
                    R"(0{"sid":"a","pingInterval":1000,"pingTimeout":"500"})"},
        HostileCase{"tiny maxPayload", false,
                    R"(0{"sid":"a","pingInterval":1000,"pingTimeout":500,"maxPayload":1})"},
        HostileCase{"too deep", false, R"(0{"sid":{"a":{"b":{"c":{"d":{}}}}}})"},
        HostileCase{"second open", true, kOpen}, HostileCase{"pong from server", true, "3"},
        HostileCase{"upgrade", true, "5"}, HostileCase{"base64 binary", true, "bAAAA"}),
    case_name);

TEST(EngineIoClient, BinaryFrameIsAProtocolError) {
  auto c = opened();
  c.on_binary("\x01\x02", 1);
  auto e = take(c);
  ASSERT_TRUE(e.closed);
  EXPECT_EQ(*e.closed, EngineCloseReason::protocol_error);
}

}  // namespace
}  // namespace sudachi::client

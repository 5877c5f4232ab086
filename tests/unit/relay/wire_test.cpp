#include <gtest/gtest.h>

#include <array>
#include <string>
#include <vector>

#include "relay/wire.hpp"

namespace sudachi::relay::wire {
namespace {

TEST(RelayWire, HelloRoundTripAndPadding) {
  std::array<std::uint8_t, 600> buf{};
  const std::string token(100, 'A');
  const std::size_t n = encode_hello(buf, token, 0x1122334455667788ull);
  EXPECT_EQ(n, kHelloFixedSize + token.size());
  Hello h;
  ASSERT_EQ(parse_hello({buf.data(), n}, h), HelloParse::ok);
  EXPECT_EQ(h.token, token);
  EXPECT_EQ(h.rebind_key, 0x1122334455667788ull);

  const std::size_t padded = encode_hello(buf, "abc", 0);
  EXPECT_EQ(padded, kMinUdpHello);  // short tokens are padded so the reply fits
  ASSERT_EQ(parse_hello({buf.data(), padded}, h), HelloParse::ok);
  EXPECT_EQ(h.token, "abc");
}

TEST(RelayWire, HelloRejectsHostileInput) {
  std::array<std::uint8_t, 600> buf{};
  const std::size_t n = encode_hello(buf, std::string(100, 'x'), 0);
  Hello h;
  EXPECT_EQ(parse_hello({buf.data(), 10}, h), HelloParse::truncated);
  EXPECT_EQ(parse_hello({buf.data(), n - 1}, h), HelloParse::truncated);  // token overruns
  auto bad = buf;
  bad[4] ^= 0xff;
  EXPECT_EQ(parse_hello({bad.data(), n}, h), HelloParse::bad_magic);
  bad = buf;
  bad[1] = 2;
  EXPECT_EQ(parse_hello({bad.data(), n}, h), HelloParse::unsupported_version);
  bad = buf;
  put_u16(&bad[2], 0);
  EXPECT_EQ(parse_hello({bad.data(), n}, h), HelloParse::bad_length);
  put_u16(&bad[2], kMaxTokenSize + 1);
  EXPECT_EQ(parse_hello({bad.data(), bad.size()}, h), HelloParse::bad_length);
  EXPECT_EQ(encode_hello(buf, std::string(kMaxTokenSize + 1, 'x'), 0), 0u);
  EXPECT_EQ(encode_hello({buf.data(), 20}, std::string(100, 'x'), 0), 0u);
}

TEST(RelayWire, HelloParserSurvivesEveryPrefixAndByteFlip) {
  std::array<std::uint8_t, 200> buf{};
  const std::size_t n = encode_hello(buf, std::string(120, 'q'), 7);
  Hello h;
  for (std::size_t len = 0; len <= n; ++len) (void)parse_hello({buf.data(), len}, h);
  for (std::size_t i = 0; i < n; ++i) {
    for (int bit = 0; bit < 8; ++bit) {
      auto copy = buf;
      copy[i] ^= static_cast<std::uint8_t>(1 << bit);
      if (parse_hello({copy.data(), n}, h) == HelloParse::ok) {
        EXPECT_LE(h.token.size(), n - kHelloFixedSize);
      }
    }
  }
}

TEST(RelayWire, HelloReplyRoundTrip) {
  HelloReply r;
  r.status = Status::redirect;
  r.slot = 1;
  r.data_port = 3479;
  r.peer_bound = true;
  r.session_id[0] = 0xab;
  r.session_id[15] = 0xcd;
  r.rebind_key = 42;
  r.retry_after_s = 3;
  r.idle_timeout_s = 60;
  std::array<std::uint8_t, kHelloReplySize> out{};
  encode_hello_reply(out, r);
  EXPECT_EQ(out[0], 0xC2);
  EXPECT_EQ(out[2], 1);
  HelloReply back;
  ASSERT_TRUE(parse_hello_reply(out, back));
  EXPECT_EQ(back.status, Status::redirect);
  EXPECT_EQ(back.slot, 1);
  EXPECT_EQ(back.data_port, 3479);
  EXPECT_TRUE(back.peer_bound);
  EXPECT_EQ(back.session_id, r.session_id);
  EXPECT_EQ(back.rebind_key, 42u);
  EXPECT_EQ(back.retry_after_s, 3);
  EXPECT_EQ(back.idle_timeout_s, 60);
  EXPECT_FALSE(parse_hello_reply({out.data(), 35}, back));
  out[2] = 200;
  EXPECT_FALSE(parse_hello_reply(out, back));
}

TEST(RelayWire, StatusNamesAndTypeSpace) {
  EXPECT_EQ(to_string(Status::ok), "OK");
  EXPECT_EQ(to_string(Status::session_full), "SESSION_FULL");
  EXPECT_EQ(to_string(Status::over_capacity), "OVER_CAPACITY");
  EXPECT_EQ(static_cast<int>(Status::address_in_use), 12);
  for (int t = 0xC0; t <= 0xC6; ++t) EXPECT_TRUE(is_relay_type(static_cast<std::uint8_t>(t)));
  EXPECT_FALSE(is_relay_type(0x00));  // STUN Binding request
  EXPECT_FALSE(is_relay_type(0x01));  // STUN success response
}

TEST(RelayWire, Event) {
  std::array<std::uint8_t, kEventSize> e{};
  encode_event(e, Event::session_closed, CloseReason::idle_timeout);
  EXPECT_EQ(e, (std::array<std::uint8_t, 4>{0xC6, 2, 1, 0}));
}

}  // namespace
}  // namespace sudachi::relay::wire

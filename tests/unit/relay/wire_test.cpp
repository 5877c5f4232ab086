#include <gtest/gtest.h>

#include <array>
#include <string>
#include <vector>

#include "relay/wire.hpp"

namespace sudachi::relay::wire {
namespace {

TEST(RelayWire, UdpHelloCarriesTheCookieRightAfterTheToken) {
  std::array<std::uint8_t, kMaxUdpHello> buf{};
  const std::string token(100, 'A');
  const std::size_t n = encode_udp_hello(buf, token, 0x1122334455667788ull, 0x0102030405060708ull);
  EXPECT_EQ(n, kHelloFixedSize + token.size() + kCookieSize);
  // The documented layout, byte for byte: cookie at 16 + N, big-endian.
  EXPECT_EQ(buf[16 + 100], 0x01);
  EXPECT_EQ(buf[16 + 100 + 7], 0x08);
  Hello h;
  ASSERT_EQ(parse_hello({buf.data(), n}, h), HelloParse::ok);
  EXPECT_EQ(h.token, token);
  EXPECT_EQ(h.rebind_key, 0x1122334455667788ull);
  EXPECT_EQ(h.cookie, 0x0102030405060708ull);
  // Cut inside the cookie: no cookie, still a HELLO.
  ASSERT_EQ(parse_hello({buf.data(), n - 1}, h), HelloParse::ok);
  EXPECT_EQ(h.cookie, 0u);

  const std::size_t padded = encode_udp_hello(buf, "abc", 0, 42);
  EXPECT_EQ(padded, kMinUdpHello);  // short tokens are padded so the reply fits
  ASSERT_EQ(parse_hello({buf.data(), padded}, h), HelloParse::ok);
  EXPECT_EQ(h.token, "abc");
  EXPECT_EQ(h.cookie, 42u);
  EXPECT_EQ(get_u64(&buf[16 + 3]), 42u);
  for (std::size_t i = 16 + 3 + kCookieSize; i < padded; ++i) EXPECT_EQ(buf[i], 0) << i;

  EXPECT_EQ(encode_udp_hello(buf, std::string(kMaxTokenSize, 't'), 0, 1), kMaxUdpHello);
  EXPECT_LE(kMaxUdpHello, kMaxDatagram);
}

TEST(RelayWire, TcpHelloIsHeaderAndTokenOnly) {
  std::array<std::uint8_t, 600> buf{};
  const std::size_t n = encode_tcp_hello(buf, "token");
  EXPECT_EQ(n, kHelloFixedSize + 5);
  Hello h;
  ASSERT_EQ(parse_hello({buf.data(), n}, h), HelloParse::ok);
  EXPECT_EQ(h.token, "token");
  EXPECT_EQ(h.rebind_key, 0u);
  EXPECT_EQ(h.cookie, 0u);
}

TEST(RelayWire, HelloRejectsHostileInput) {
  std::array<std::uint8_t, 600> buf{};
  const std::size_t n = encode_tcp_hello(buf, std::string(100, 'x'));
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
  EXPECT_EQ(encode_udp_hello(buf, std::string(kMaxTokenSize + 1, 'x'), 0, 0), 0u);
  EXPECT_EQ(encode_udp_hello({buf.data(), 63}, "x", 0, 0), 0u);
  EXPECT_EQ(encode_udp_hello(buf, "", 0, 0), 0u);
  EXPECT_EQ(encode_tcp_hello({buf.data(), 20}, std::string(100, 'x')), 0u);
}

TEST(RelayWire, HelloParserSurvivesEveryPrefixAndByteFlip) {
  std::array<std::uint8_t, 200> buf{};
  const std::size_t n = encode_udp_hello(buf, std::string(120, 'q'), 7, 9);
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
  out[2] = 13;  // COOKIE: the cookie travels in the rebind key field (offset 24)
  ASSERT_TRUE(parse_hello_reply(out, back));
  EXPECT_EQ(back.status, Status::cookie);
  EXPECT_EQ(back.rebind_key, 42u);
  out[2] = 14;
  EXPECT_FALSE(parse_hello_reply(out, back));
}

TEST(RelayWire, StatusNamesAndTypeSpace) {
  EXPECT_EQ(to_string(Status::ok), "OK");
  EXPECT_EQ(to_string(Status::session_full), "SESSION_FULL");
  EXPECT_EQ(to_string(Status::over_capacity), "OVER_CAPACITY");
  EXPECT_EQ(static_cast<int>(Status::address_in_use), 12);
  EXPECT_EQ(static_cast<int>(Status::cookie), 13);
  EXPECT_EQ(to_string(Status::cookie), "COOKIE");
  EXPECT_EQ(kStatusCount, 14u);
  for (int t = 0xC0; t <= 0xC6; ++t) EXPECT_TRUE(is_relay_type(static_cast<std::uint8_t>(t)));
  EXPECT_FALSE(is_relay_type(0x00));  // STUN Binding request
  EXPECT_FALSE(is_relay_type(0x01));  // STUN success response
}

TEST(RelayWire, Event) {
  std::array<std::uint8_t, kEventSize> e{};
  encode_event(e, Event::session_closed, CloseReason::idle_timeout);
  EXPECT_EQ(e, (std::array<std::uint8_t, 4>{0xC6, 2, 1, 0}));
  Event event{};
  std::uint8_t reason = 0;
  ASSERT_TRUE(parse_event(e, event, reason));
  EXPECT_EQ(event, Event::session_closed);
  EXPECT_EQ(reason, 1);
  encode_event(e, Event::session_closed, CloseReason::max_lifetime);
  ASSERT_TRUE(parse_event(e, event, reason));
  EXPECT_EQ(reason, 5);
  EXPECT_FALSE(parse_event({e.data(), 3}, event, reason));
  const std::array<std::uint8_t, 5> longer = {0xC6, 1, 0, 0, 0};
  EXPECT_FALSE(parse_event(longer, event, reason));
  const std::array<std::uint8_t, 4> unknown = {0xC6, 3, 0, 0};
  EXPECT_FALSE(parse_event(unknown, event, reason));
  const std::array<std::uint8_t, 4> data = {0xC0, 1, 0, 0};
  EXPECT_FALSE(parse_event(data, event, reason));
}

}  // namespace
}  // namespace sudachi::relay::wire

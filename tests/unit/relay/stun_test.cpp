#include <gtest/gtest.h>

#include <array>
#include <cstring>
#include <vector>

#include "relay/stun.hpp"
#include "relay/wire.hpp"

namespace sudachi::relay::stun {
namespace {

Endpoint v4(std::uint8_t a, std::uint8_t b, std::uint8_t c, std::uint8_t d, std::uint16_t port) {
  Endpoint e;
  e.family = 4;
  e.port = port;
  e.addr[0] = a;
  e.addr[1] = b;
  e.addr[2] = c;
  e.addr[3] = d;
  return e;
}

const TransactionId kTid = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};

TEST(Stun, Crc32KnownVector) {
  const char* text = "123456789";
  EXPECT_EQ(crc32({reinterpret_cast<const std::uint8_t*>(text), 9}), 0xCBF43926u);
}

TEST(Stun, ParsesBindingRequestWithAndWithoutFingerprint) {
  std::array<std::uint8_t, 64> buf{};
  for (bool fp : {false, true}) {
    const std::size_t n = encode_binding_request(buf, kTid, fp);
    EXPECT_EQ(n, fp ? 28u : 20u);
    BindingRequest req;
    ASSERT_EQ(parse_binding_request({buf.data(), n}, req), Parse::binding_request);
    EXPECT_EQ(req.transaction_id, kTid);
    EXPECT_EQ(req.has_fingerprint, fp);
  }
}

TEST(Stun, RejectsMalformed) {
  std::array<std::uint8_t, 64> buf{};
  const std::size_t n = encode_binding_request(buf, kTid, true);
  BindingRequest req;
  EXPECT_EQ(parse_binding_request({buf.data(), 19}, req), Parse::not_stun);
  auto bad = buf;
  bad[27] ^= 1;  // fingerprint
  EXPECT_EQ(parse_binding_request({bad.data(), n}, req), Parse::malformed);
  bad = buf;
  bad[3] = 12;  // length field disagrees with the datagram
  EXPECT_EQ(parse_binding_request({bad.data(), n}, req), Parse::malformed);
  bad = buf;
  bad[4] = 0;  // cookie
  EXPECT_EQ(parse_binding_request({bad.data(), n}, req), Parse::not_stun);
  bad = buf;
  bad[23] = 200;  // attribute longer than the message
  EXPECT_EQ(parse_binding_request({bad.data(), n}, req), Parse::malformed);
  bad = buf;
  bad[1] = 0x11;  // Binding indication: valid STUN, not answered
  bad[2] = 0;
  bad[3] = 0;
  EXPECT_EQ(parse_binding_request({bad.data(), 20}, req), Parse::other_stun);
}

TEST(Stun, ResponseCarriesXorMappedAddressV4) {
  BindingRequest req{kTid, false};
  std::array<std::uint8_t, kMaxResponseSize> out{};
  const Endpoint mapped = v4(192, 0, 2, 1, 32853);
  const std::size_t n = encode_binding_response(out, req, mapped, false);
  ASSERT_EQ(n, 32u);
  EXPECT_EQ(out[0], 0x01);
  EXPECT_EQ(out[1], 0x01);
  // By hand: the port is XORed with the cookie's top half, the address with the cookie.
  EXPECT_EQ(((out[26] << 8) | out[27]) ^ 0x2112, 32853);
  EXPECT_EQ(out[28] ^ 0x21, 192);
  Endpoint back;
  ASSERT_TRUE(parse_binding_response({out.data(), n}, kTid, back));
  EXPECT_EQ(back, mapped);
}

TEST(Stun, ResponseV6WithFingerprint) {
  BindingRequest req{kTid, true};
  std::array<std::uint8_t, kMaxResponseSize> out{};
  Endpoint mapped;
  mapped.family = 6;
  mapped.port = 40000;
  for (int i = 0; i < 16; ++i) mapped.addr[i] = static_cast<std::uint8_t>(0x20 + i);
  const std::size_t n = encode_binding_response(out, req, mapped, true);
  ASSERT_EQ(n, kMaxResponseSize);
  Endpoint back;
  ASSERT_TRUE(parse_binding_response({out.data(), n}, kTid, back));
  EXPECT_EQ(back, mapped);
  // Our own request parser accepts the response's framing and fingerprint (as STUN).
  BindingRequest parsed;
  EXPECT_EQ(parse_binding_request({out.data(), n}, parsed), Parse::other_stun);
  EXPECT_EQ(encode_binding_response({out.data(), 40}, req, mapped, true), 0u);
}

// A hostile response (clients parse what any server sends) whose last attribute is not padded
// must not make the parser step past the end. Exactly sized, so ASan sees any overrun.
TEST(Stun, ResponseWithAnUnpaddedLastAttributeIsRefused) {
  std::vector<std::uint8_t> d(25, 0);
  d[0] = 0x01;
  d[1] = 0x01;  // Binding success
  d[3] = 5;     // length: one 4-byte attribute header and one value byte
  wire::put_u32(&d[4], kMagicCookie);
  std::memcpy(&d[8], kTid.data(), kTid.size());
  d[20] = 0x80;
  d[21] = 0x22;  // SOFTWARE
  d[23] = 1;
  d[24] = 'x';
  Endpoint mapped;
  EXPECT_FALSE(parse_binding_response(d, kTid, mapped));
}

}  // namespace
}  // namespace sudachi::relay::stun

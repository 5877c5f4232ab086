#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <string_view>
#include <vector>

// The client side of the relay handshake, written from docs/relay-protocol.md alone (sections
// 3.1-3.3) rather than from src/relay, so the benchmark also checks that the document suffices.
namespace sudachi::bench::wire_client {

inline constexpr std::uint8_t kData = 0xC0;
inline constexpr std::uint8_t kHello = 0xC1;
inline constexpr std::uint8_t kHelloReply = 0xC2;
inline constexpr std::uint8_t kEvent = 0xC6;
inline constexpr std::size_t kHelloReplySize = 36;
inline constexpr std::size_t kMinUdpHello = 64;

enum class Status : std::uint8_t { ok = 0, redirect = 1, cookie = 13 };

using Cookie = std::array<std::uint8_t, 8>;

// HELLO: type, version 1, u16 token length, "SDRY", u64 rebind key (0), token; on UDP the
// 8-byte return-routability cookie (zeros until the relay sent one, section 4.2), zero padded
// to at least 64 bytes; on TCP exactly 16 + N.
inline std::vector<std::uint8_t> encode_hello(std::string_view token, bool udp) {
  std::vector<std::uint8_t> out(16 + token.size() + (udp ? 8 : 0), 0);
  out[0] = kHello;
  out[1] = 1;
  out[2] = static_cast<std::uint8_t>(token.size() >> 8);
  out[3] = static_cast<std::uint8_t>(token.size());
  const char magic[4] = {'S', 'D', 'R', 'Y'};
  std::memcpy(out.data() + 4, magic, 4);
  std::memcpy(out.data() + 16, token.data(), token.size());
  if (udp && out.size() < kMinUdpHello) out.resize(kMinUdpHello, 0);
  return out;
}

// Puts the cookie from a COOKIE reply into a UDP HELLO made by encode_hello.
inline void set_hello_cookie(std::vector<std::uint8_t>& hello, const Cookie& cookie) {
  const std::size_t token_size = static_cast<std::size_t>(hello[2] << 8 | hello[3]);
  std::memcpy(hello.data() + 16 + token_size, cookie.data(), cookie.size());
}

struct HelloReply {
  std::uint8_t status = 0xFF;
  std::uint8_t slot = 0xFF;
  std::uint16_t data_port = 0;
  bool peer_bound = false;
  Cookie key{};  // on OK the rebind key, on COOKIE the cookie to echo
};

inline bool decode_hello_reply(std::span<const std::uint8_t> d, HelloReply& r) {
  if (d.size() < kHelloReplySize || d[0] != kHelloReply || d[1] != 1) return false;
  r.status = d[2];
  r.slot = d[3];
  r.data_port = static_cast<std::uint16_t>(d[4] << 8 | d[5]);
  r.peer_bound = d[6] == 1;
  std::memcpy(r.key.data(), d.data() + 24, r.key.size());
  return true;
}

// The baseline forwarder's registration (not part of the relay protocol): a socket announces
// the loopback port of its partner, and the forwarder echoes it back as the acknowledgement.
inline constexpr std::uint8_t kBaselineRegister = 0xB1;
inline constexpr std::uint8_t kBaselineAck = 0xB2;

}  // namespace sudachi::bench::wire_client

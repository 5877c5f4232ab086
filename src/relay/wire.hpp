#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

// The relay's own messages (docs/relay-protocol.md §3): pure encode/decode over byte spans,
// no I/O and no allocation, so hostile datagrams can be fuzzed and unit-tested in isolation.
namespace sudachi::relay::wire {

inline constexpr std::uint8_t kVersion = 1;
inline constexpr std::uint32_t kHelloMagic = 0x53445259;  // "SDRY"

enum class Type : std::uint8_t {
  data = 0xC0,
  hello = 0xC1,
  hello_reply = 0xC2,
  keepalive = 0xC3,
  keepalive_ack = 0xC4,
  bye = 0xC5,
  event = 0xC6,
};

// Wire values; never renumber (clients switch on them).
enum class Status : std::uint8_t {
  ok = 0,
  redirect = 1,
  session_full = 2,
  invalid_token = 3,
  expired = 4,
  wrong_relay = 5,
  over_capacity = 6,
  rate_limited = 7,
  draining = 8,
  unsupported_version = 9,
  malformed = 10,
  protocol_mismatch = 11,
  address_in_use = 12,
  cookie = 13,  // prove the source address: repeat the HELLO with the cookie (§4.2)
};
inline constexpr std::size_t kStatusCount = 14;
std::string_view to_string(Status status) noexcept;

enum class Event : std::uint8_t { peer_joined = 1, session_closed = 2 };
enum class CloseReason : std::uint8_t {
  none = 0,
  idle_timeout = 1,
  pairing_timeout = 2,
  peer_bye = 3,
  draining = 4,
  max_lifetime = 5
};

// TCP: the byte the relay sends after an OK reply, once the session's fate is known.
enum class TcpMarker : std::uint8_t { paired = 0x01, pairing_timeout = 0x02, draining = 0x03 };

inline constexpr std::size_t kHeaderSize = 4;       // DATA overhead
inline constexpr std::size_t kMaxDatagram = 1500;   // header included
inline constexpr std::size_t kHelloFixedSize = 16;  // before the token
inline constexpr std::size_t kMinUdpHello = 64;     // anti-amplification: >= reply size
inline constexpr std::size_t kMaxTokenSize = 512;
inline constexpr std::size_t kCookieSize = 8;  // UDP: right after the token
inline constexpr std::size_t kMaxUdpHello = kHelloFixedSize + kMaxTokenSize + kCookieSize;
inline constexpr std::size_t kHelloReplySize = 36;
inline constexpr std::size_t kEventSize = 4;
inline constexpr std::size_t kMaxKeepalive = 16;
static_assert(kMinUdpHello >= kHelloReplySize, "a HELLO must be able to carry its reply's size");

using SessionId = std::array<std::uint8_t, 16>;

// Whether the first byte marks a relay message (top two bits set) rather than STUN.
inline bool is_relay_type(std::uint8_t first_byte) {
  return (first_byte & 0xC0) == 0xC0;
}

struct Hello {
  std::uint8_t version = kVersion;
  std::uint64_t rebind_key = 0;
  std::string_view token;  // points into the parsed buffer
  // UDP: the 8 bytes after the token, big-endian; 0 (none) when the datagram ends before them.
  std::uint64_t cookie = 0;
};

enum class HelloParse { ok, truncated, bad_magic, bad_length, unsupported_version };

// Parses a HELLO from `bytes` (UDP: the whole datagram; TCP: header plus token). The 8 bytes
// after the token are the cookie when present; anything after them is padding and ignored.
HelloParse parse_hello(std::span<const std::uint8_t> bytes, Hello& out);

// TCP reads the fixed part first, then exactly `token_length` more bytes. Anything but ok
// means the header is not a version-1 HELLO (MALFORMED / UNSUPPORTED_VERSION).
HelloParse parse_hello_header(std::span<const std::uint8_t, kHelloFixedSize> header,
                              std::size_t& token_length);

// Writes a UDP HELLO: header, token, cookie (0: none yet), zero padding up to kMinUdpHello.
// Returns the size written, 0 when `out` is too small or the token's size is out of range.
// Used by clients and tests.
std::size_t encode_udp_hello(std::span<std::uint8_t> out, std::string_view token,
                             std::uint64_t rebind_key, std::uint64_t cookie);
// Writes a TCP HELLO: exactly header and token (no cookie, no padding).
std::size_t encode_tcp_hello(std::span<std::uint8_t> out, std::string_view token);

struct HelloReply {
  Status status = Status::ok;
  std::uint8_t slot = 0xFF;
  std::uint16_t data_port = 0;
  bool peer_bound = false;
  SessionId session_id{};
  std::uint64_t rebind_key = 0;
  std::uint16_t retry_after_s = 0;
  std::uint16_t idle_timeout_s = 0;
};

void encode_hello_reply(std::span<std::uint8_t, kHelloReplySize> out, const HelloReply& reply);
bool parse_hello_reply(std::span<const std::uint8_t> bytes, HelloReply& out);

void encode_event(std::span<std::uint8_t, kEventSize> out, Event event, CloseReason reason);
// An EVENT datagram (exactly 4 bytes, known event); the reason is passed through unchecked
// so that a client can log a reason a later relay adds.
bool parse_event(std::span<const std::uint8_t> bytes, Event& event, std::uint8_t& reason);

inline void put_u16(std::uint8_t* p, std::uint16_t v) {
  p[0] = static_cast<std::uint8_t>(v >> 8);
  p[1] = static_cast<std::uint8_t>(v);
}
inline void put_u32(std::uint8_t* p, std::uint32_t v) {
  put_u16(p, static_cast<std::uint16_t>(v >> 16));
  put_u16(p + 2, static_cast<std::uint16_t>(v));
}
inline void put_u64(std::uint8_t* p, std::uint64_t v) {
  put_u32(p, static_cast<std::uint32_t>(v >> 32));
  put_u32(p + 4, static_cast<std::uint32_t>(v));
}
inline std::uint16_t get_u16(const std::uint8_t* p) {
  return static_cast<std::uint16_t>((p[0] << 8) | p[1]);
}
inline std::uint32_t get_u32(const std::uint8_t* p) {
  return (std::uint32_t{get_u16(p)} << 16) | get_u16(p + 2);
}
inline std::uint64_t get_u64(const std::uint8_t* p) {
  return (std::uint64_t{get_u32(p)} << 32) | get_u32(p + 4);
}

}  // namespace sudachi::relay::wire

// Relay wire format fuzz target (docs/relay-protocol.md §3): the HELLO, HELLO_REPLY and EVENT
// parsers must never read past their input, and whatever parses must encode back to the same
// fields (the encoders and parsers agree on every offset, the cookie's included).
#include <algorithm>
#include <array>
#include <cstring>
#include <span>
#include <string>

#include "fuzz_support.hpp"
#include "relay/wire.hpp"

namespace sudachi::fuzz {
namespace {

namespace wire = relay::wire;

constexpr const char* kTarget = "relay_wire";

void check_hello(const std::uint8_t* data, std::size_t size) {
  const std::span<const std::uint8_t> in(data, size);
  wire::Hello h;
  const wire::HelloParse result = wire::parse_hello(in, h);
  if (size >= wire::kHelloFixedSize) {
    // The TCP header parser and the datagram parser agree on everything but the length.
    std::size_t token_length = 0;
    const auto header = wire::parse_hello_header(in.first<wire::kHelloFixedSize>(), token_length);
    SUDACHI_FUZZ_CHECK(header == result ||
                       (header == wire::HelloParse::ok && result == wire::HelloParse::truncated &&
                        size < wire::kHelloFixedSize + token_length));
  } else {
    SUDACHI_FUZZ_CHECK(result == wire::HelloParse::truncated);
  }
  if (result != wire::HelloParse::ok) return;
  const std::size_t n = h.token.size();
  SUDACHI_FUZZ_CHECK(n >= 1 && n <= wire::kMaxTokenSize);
  SUDACHI_FUZZ_CHECK(wire::kHelloFixedSize + n <= size);
  SUDACHI_FUZZ_CHECK(reinterpret_cast<const std::uint8_t*>(h.token.data()) ==
                     data + wire::kHelloFixedSize);
  SUDACHI_FUZZ_CHECK(h.rebind_key == wire::get_u64(data + 8));
  const std::size_t cookie_at = wire::kHelloFixedSize + n;
  SUDACHI_FUZZ_CHECK(h.cookie ==
                     (size >= cookie_at + wire::kCookieSize ? wire::get_u64(data + cookie_at) : 0));

  // Re-encoded as a UDP HELLO it parses to the same fields, at the documented offsets.
  std::array<std::uint8_t, wire::kMaxUdpHello> out{};
  const std::size_t udp = wire::encode_udp_hello(out, h.token, h.rebind_key, h.cookie);
  SUDACHI_FUZZ_CHECK(udp == std::max(cookie_at + wire::kCookieSize, wire::kMinUdpHello));
  SUDACHI_FUZZ_CHECK(std::memcmp(out.data(), data, cookie_at) == 0);
  wire::Hello back;
  SUDACHI_FUZZ_CHECK(wire::parse_hello({out.data(), udp}, back) == wire::HelloParse::ok);
  SUDACHI_FUZZ_CHECK(back.token == h.token && back.rebind_key == h.rebind_key &&
                     back.cookie == h.cookie);
  const std::size_t tcp = wire::encode_tcp_hello(out, h.token);
  SUDACHI_FUZZ_CHECK(tcp == cookie_at);
  SUDACHI_FUZZ_CHECK(wire::parse_hello({out.data(), tcp}, back) == wire::HelloParse::ok);
  SUDACHI_FUZZ_CHECK(back.token == h.token && back.cookie == 0);
}

void check_reply(const std::uint8_t* data, std::size_t size) {
  wire::HelloReply r;
  if (!wire::parse_hello_reply({data, size}, r)) return;
  SUDACHI_FUZZ_CHECK(size >= wire::kHelloReplySize);
  SUDACHI_FUZZ_CHECK(static_cast<std::size_t>(r.status) < wire::kStatusCount);
  std::array<std::uint8_t, wire::kHelloReplySize> out{};
  wire::encode_hello_reply(out, r);
  // Byte 6 (peer state) reads as a flag and byte 7 is reserved: the rest is copied exactly.
  for (std::size_t i = 0; i < out.size(); ++i) {
    if (i == 6) {
      SUDACHI_FUZZ_CHECK(out[i] == (data[i] != 0 ? 1 : 0));
    } else if (i == 7) {
      SUDACHI_FUZZ_CHECK(out[i] == 0);
    } else {
      SUDACHI_FUZZ_CHECK(out[i] == data[i]);
    }
  }
  SUDACHI_FUZZ_CHECK(!wire::to_string(r.status).empty() && wire::to_string(r.status) != "UNKNOWN");
}

void check_event(const std::uint8_t* data, std::size_t size) {
  wire::Event event{};
  std::uint8_t reason = 0;
  if (!wire::parse_event({data, size}, event, reason)) return;
  SUDACHI_FUZZ_CHECK(size == wire::kEventSize);
  std::array<std::uint8_t, wire::kEventSize> out{};
  wire::encode_event(out, event, static_cast<wire::CloseReason>(reason));
  SUDACHI_FUZZ_CHECK(std::memcmp(out.data(), data, 3) == 0 && out[3] == 0);
}

}  // namespace

int relay_wire_one_input(const std::uint8_t* data, std::size_t size) {
  // Every relay message type is tried on every input, so one corpus serves all parsers.
  check_hello(data, size);
  check_reply(data, size);
  check_event(data, size);
  if (size > 0) SUDACHI_FUZZ_CHECK(wire::is_relay_type(data[0]) == (data[0] >= 0xC0));
  return 0;
}

}  // namespace sudachi::fuzz

#ifndef SUDACHI_FUZZ_NO_ENTRY_POINT
extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  return sudachi::fuzz::relay_wire_one_input(data, size);
}
#endif

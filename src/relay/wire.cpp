#include "relay/wire.hpp"

#include <algorithm>
#include <cstring>

namespace sudachi::relay::wire {

std::string_view to_string(Status status) noexcept {
  switch (status) {
    case Status::ok:
      return "OK";
    case Status::redirect:
      return "REDIRECT";
    case Status::session_full:
      return "SESSION_FULL";
    case Status::invalid_token:
      return "INVALID_TOKEN";
    case Status::expired:
      return "EXPIRED";
    case Status::wrong_relay:
      return "WRONG_RELAY";
    case Status::over_capacity:
      return "OVER_CAPACITY";
    case Status::rate_limited:
      return "RATE_LIMITED";
    case Status::draining:
      return "DRAINING";
    case Status::unsupported_version:
      return "UNSUPPORTED_VERSION";
    case Status::malformed:
      return "MALFORMED";
    case Status::protocol_mismatch:
      return "PROTOCOL_MISMATCH";
    case Status::address_in_use:
      return "ADDRESS_IN_USE";
    case Status::cookie:
      return "COOKIE";
  }
  return "UNKNOWN";
}

HelloParse parse_hello_header(std::span<const std::uint8_t, kHelloFixedSize> h,
                              std::size_t& token_length) {
  if (h[0] != static_cast<std::uint8_t>(Type::hello)) return HelloParse::bad_magic;
  if (get_u32(&h[4]) != kHelloMagic) return HelloParse::bad_magic;
  // Version after magic: a foreign protocol is MALFORMED, a future HELLO is a version error.
  if (h[1] != kVersion) return HelloParse::unsupported_version;
  token_length = get_u16(&h[2]);
  if (token_length == 0 || token_length > kMaxTokenSize) return HelloParse::bad_length;
  return HelloParse::ok;
}

HelloParse parse_hello(std::span<const std::uint8_t> bytes, Hello& out) {
  if (bytes.size() < kHelloFixedSize) return HelloParse::truncated;
  std::size_t token_length = 0;
  const auto result = parse_hello_header(bytes.first<kHelloFixedSize>(), token_length);
  if (result != HelloParse::ok) return result;
  if (bytes.size() - kHelloFixedSize < token_length) return HelloParse::truncated;
  out.version = bytes[1];
  out.rebind_key = get_u64(&bytes[8]);
  out.token =
      std::string_view(reinterpret_cast<const char*>(bytes.data() + kHelloFixedSize), token_length);
  const std::size_t cookie_at = kHelloFixedSize + token_length;
  out.cookie = bytes.size() - cookie_at >= kCookieSize ? get_u64(&bytes[cookie_at]) : 0;
  return HelloParse::ok;
}

namespace {

// Header and token into `out`, zero-filled up to `size`; 0 when it does not fit.
std::size_t write_hello(std::span<std::uint8_t> out, std::string_view token,
                        std::uint64_t rebind_key, std::size_t size) {
  if (token.empty() || token.size() > kMaxTokenSize || out.size() < size) return 0;
  std::fill(out.begin(), out.begin() + static_cast<std::ptrdiff_t>(size), std::uint8_t{0});
  out[0] = static_cast<std::uint8_t>(Type::hello);
  out[1] = kVersion;
  put_u16(&out[2], static_cast<std::uint16_t>(token.size()));
  put_u32(&out[4], kHelloMagic);
  put_u64(&out[8], rebind_key);
  std::memcpy(out.data() + kHelloFixedSize, token.data(), token.size());
  return size;
}

}  // namespace

std::size_t encode_udp_hello(std::span<std::uint8_t> out, std::string_view token,
                             std::uint64_t rebind_key, std::uint64_t cookie) {
  const std::size_t cookie_at = kHelloFixedSize + token.size();
  const std::size_t size = std::max(cookie_at + kCookieSize, kMinUdpHello);
  if (write_hello(out, token, rebind_key, size) == 0) return 0;
  put_u64(&out[cookie_at], cookie);
  return size;
}

std::size_t encode_tcp_hello(std::span<std::uint8_t> out, std::string_view token) {
  return write_hello(out, token, 0, kHelloFixedSize + token.size());
}

void encode_hello_reply(std::span<std::uint8_t, kHelloReplySize> out, const HelloReply& r) {
  std::fill(out.begin(), out.end(), std::uint8_t{0});
  out[0] = static_cast<std::uint8_t>(Type::hello_reply);
  out[1] = kVersion;
  out[2] = static_cast<std::uint8_t>(r.status);
  out[3] = r.slot;
  put_u16(&out[4], r.data_port);
  out[6] = r.peer_bound ? 1 : 0;
  std::memcpy(&out[8], r.session_id.data(), r.session_id.size());
  put_u64(&out[24], r.rebind_key);
  put_u16(&out[32], r.retry_after_s);
  put_u16(&out[34], r.idle_timeout_s);
}

bool parse_hello_reply(std::span<const std::uint8_t> b, HelloReply& out) {
  if (b.size() < kHelloReplySize || b[0] != static_cast<std::uint8_t>(Type::hello_reply) ||
      b[1] != kVersion || b[2] >= kStatusCount) {
    return false;
  }
  out.status = static_cast<Status>(b[2]);
  out.slot = b[3];
  out.data_port = get_u16(&b[4]);
  out.peer_bound = b[6] != 0;
  std::memcpy(out.session_id.data(), &b[8], out.session_id.size());
  out.rebind_key = get_u64(&b[24]);
  out.retry_after_s = get_u16(&b[32]);
  out.idle_timeout_s = get_u16(&b[34]);
  return true;
}

void encode_event(std::span<std::uint8_t, kEventSize> out, Event event, CloseReason reason) {
  out[0] = static_cast<std::uint8_t>(Type::event);
  out[1] = static_cast<std::uint8_t>(event);
  out[2] = static_cast<std::uint8_t>(reason);
  out[3] = 0;
}

bool parse_event(std::span<const std::uint8_t> b, Event& event, std::uint8_t& reason) {
  if (b.size() != kEventSize || b[0] != static_cast<std::uint8_t>(Type::event)) return false;
  if (b[1] != static_cast<std::uint8_t>(Event::peer_joined) &&
      b[1] != static_cast<std::uint8_t>(Event::session_closed)) {
    return false;
  }
  event = static_cast<Event>(b[1]);
  reason = b[2];
  return true;
}

}  // namespace sudachi::relay::wire

#pragma once

#include <sys/socket.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>

// A UDP/TCP peer address as a plain value: the session table keys on it on the per-packet
// path, so it is trivially copyable, compared bytewise and hashed without allocation.
namespace sudachi::relay {

struct Endpoint {
  std::uint8_t family = 0;              // 4 or 6; 0 = none
  std::uint16_t port = 0;               // host order
  std::array<std::uint8_t, 16> addr{};  // IPv4 in the first 4 bytes, the rest zero

  bool operator==(const Endpoint&) const = default;
  bool valid() const { return family != 0; }

  // The IP alone, for per-IP rate limits (port zeroed).
  Endpoint ip_only() const {
    Endpoint e = *this;
    e.port = 0;
    return e;
  }

  // IPv4-mapped IPv6 addresses (::ffff:a.b.c.d, from dual-stack sockets) become IPv4, so the
  // same client is one key whichever socket saw it.
  static Endpoint from_sockaddr(const sockaddr* sa, socklen_t len);
  // Writes a sockaddr_in/in6 for this endpoint; `as_v6` maps IPv4 for an AF_INET6 socket.
  socklen_t to_sockaddr(sockaddr_storage& out, bool as_v6) const;
  std::string to_string() const;
};

struct EndpointHash {
  std::size_t operator()(const Endpoint& e) const noexcept;
};

}  // namespace sudachi::relay

#include "relay/endpoint.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <cstring>

namespace sudachi::relay {
namespace {

constexpr std::uint8_t kV4MappedPrefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

}  // namespace

Endpoint Endpoint::from_sockaddr(const sockaddr* sa, socklen_t len) {
  Endpoint e;
  if (sa == nullptr) return e;
  if (sa->sa_family == AF_INET && len >= static_cast<socklen_t>(sizeof(sockaddr_in))) {
    sockaddr_in in{};
    std::memcpy(&in, sa, sizeof in);
    e.family = 4;
    e.port = ntohs(in.sin_port);
    std::memcpy(e.addr.data(), &in.sin_addr, 4);
  } else if (sa->sa_family == AF_INET6 && len >= static_cast<socklen_t>(sizeof(sockaddr_in6))) {
    sockaddr_in6 in6{};
    std::memcpy(&in6, sa, sizeof in6);
    e.port = ntohs(in6.sin6_port);
    if (std::memcmp(&in6.sin6_addr, kV4MappedPrefix, sizeof kV4MappedPrefix) == 0) {
      e.family = 4;
      std::memcpy(e.addr.data(), reinterpret_cast<const std::uint8_t*>(&in6.sin6_addr) + 12, 4);
    } else {
      e.family = 6;
      std::memcpy(e.addr.data(), &in6.sin6_addr, 16);
    }
  }
  return e;
}

socklen_t Endpoint::to_sockaddr(sockaddr_storage& out, bool as_v6) const {
  std::memset(&out, 0, sizeof out);
  if (family == 4 && !as_v6) {
    sockaddr_in in{};
    in.sin_family = AF_INET;
    in.sin_port = htons(port);
    std::memcpy(&in.sin_addr, addr.data(), 4);
    std::memcpy(&out, &in, sizeof in);
    return sizeof in;
  }
  sockaddr_in6 in6{};
  in6.sin6_family = AF_INET6;
  in6.sin6_port = htons(port);
  auto* bytes = reinterpret_cast<std::uint8_t*>(&in6.sin6_addr);
  if (family == 4) {
    std::memcpy(bytes, kV4MappedPrefix, sizeof kV4MappedPrefix);
    std::memcpy(bytes + 12, addr.data(), 4);
  } else {
    std::memcpy(bytes, addr.data(), 16);
  }
  std::memcpy(&out, &in6, sizeof in6);
  return sizeof in6;
}

std::string Endpoint::to_string() const {
  char text[INET6_ADDRSTRLEN] = {};
  if (family == 4) {
    ::inet_ntop(AF_INET, addr.data(), text, sizeof text);
    return std::string(text) + ":" + std::to_string(port);
  }
  if (family == 6) {
    ::inet_ntop(AF_INET6, addr.data(), text, sizeof text);
    return "[" + std::string(text) + "]:" + std::to_string(port);
  }
  return "-";
}

std::size_t EndpointHash::operator()(const Endpoint& e) const noexcept {
  // FNV-1a over the significant bytes: cheap, and the table only needs spread, not secrecy
  // (a flood of spoofed sources is bounded by the rate limiter, not by the hash).
  std::uint64_t h = 1469598103934665603ull;
  auto mix = [&h](std::uint8_t b) {
    h ^= b;
    h *= 1099511628211ull;
  };
  mix(e.family);
  mix(static_cast<std::uint8_t>(e.port >> 8));
  mix(static_cast<std::uint8_t>(e.port));
  const std::size_t n = e.family == 6 ? 16 : 4;
  for (std::size_t i = 0; i < n; ++i) mix(e.addr[i]);
  return static_cast<std::size_t>(h);
}

}  // namespace sudachi::relay

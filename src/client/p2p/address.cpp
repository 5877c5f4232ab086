#include "client/p2p/address.hpp"

#include <arpa/inet.h>

#include <cstring>

namespace sudachi::client::p2p {

std::optional<Endpoint> parse_endpoint(std::string_view ip, std::uint16_t port) {
  if (ip.empty() || ip.size() >= INET6_ADDRSTRLEN) return std::nullopt;
  char text[INET6_ADDRSTRLEN] = {};
  std::memcpy(text, ip.data(), ip.size());
  Endpoint e;
  e.port = port;
  if (::inet_pton(AF_INET, text, e.addr.data()) == 1) {
    e.family = 4;
    return e;
  }
  if (::inet_pton(AF_INET6, text, e.addr.data()) == 1) {
    e.family = 6;
    // IPv4-mapped forms are IPv4: one address, one key (as Endpoint::from_sockaddr does).
    static constexpr std::uint8_t kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    if (std::memcmp(e.addr.data(), kMapped, sizeof kMapped) == 0) {
      std::memmove(e.addr.data(), e.addr.data() + 12, 4);
      std::memset(e.addr.data() + 4, 0, 12);
      e.family = 4;
    }
    return e;
  }
  return std::nullopt;
}

std::string ip_string(const Endpoint& e) {
  char text[INET6_ADDRSTRLEN] = {};
  if (e.family == 4) ::inet_ntop(AF_INET, e.addr.data(), text, sizeof text);
  if (e.family == 6) ::inet_ntop(AF_INET6, e.addr.data(), text, sizeof text);
  return text;
}

bool is_loopback(const Endpoint& e) {
  if (e.family == 4) return e.addr[0] == 127;
  if (e.family == 6) {
    for (int i = 0; i < 15; ++i)
      if (e.addr[i] != 0) return false;
    return e.addr[15] == 1;
  }
  return false;
}

bool is_link_local(const Endpoint& e) {
  if (e.family == 4) return e.addr[0] == 169 && e.addr[1] == 254;
  if (e.family == 6) return e.addr[0] == 0xfe && (e.addr[1] & 0xc0) == 0x80;
  return false;
}

bool is_private(const Endpoint& e) {
  const auto& a = e.addr;
  if (e.family == 4) {
    return a[0] == 10 || (a[0] == 172 && (a[1] & 0xf0) == 16) || (a[0] == 192 && a[1] == 168) ||
           (a[0] == 100 && (a[1] & 0xc0) == 64);
  }
  if (e.family == 6) return (a[0] & 0xfe) == 0xfc;
  return false;
}

bool is_probe_target(const Endpoint& e) {
  if (e.port == 0) return false;
  const auto& a = e.addr;
  if (e.family == 4) {
    if (a[0] == 0 || a[0] >= 224) return false;  // "this network", multicast, reserved, broadcast
    return true;
  }
  if (e.family == 6) {
    if (a[0] == 0xff) return false;  // multicast
    bool all_zero = true;
    for (auto b : a) all_zero = all_zero && b == 0;
    return !all_zero;
  }
  return false;
}

}  // namespace sudachi::client::p2p

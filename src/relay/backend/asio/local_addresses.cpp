#include "relay/backend/asio/local_addresses.hpp"

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>

#include <spdlog/spdlog.h>

namespace sudachi::relay::asio_backend {
namespace {

// Endpoint::from_sockaddr wants a length; getifaddrs gives none, but its sockaddrs are whole.
Endpoint address_of(const sockaddr* sa) {
  if (sa == nullptr) return {};
  if (sa->sa_family == AF_INET) return Endpoint::from_sockaddr(sa, sizeof(sockaddr_in));
  if (sa->sa_family == AF_INET6) return Endpoint::from_sockaddr(sa, sizeof(sockaddr_in6));
  return {};
}

Endpoint parse_ip(const std::string& text) {
  sockaddr_in v4{};
  sockaddr_in6 v6{};
  if (::inet_pton(AF_INET, text.c_str(), &v4.sin_addr) == 1) {
    v4.sin_family = AF_INET;
    return Endpoint::from_sockaddr(reinterpret_cast<const sockaddr*>(&v4), sizeof v4);
  }
  if (::inet_pton(AF_INET6, text.c_str(), &v6.sin6_addr) == 1) {
    v6.sin6_family = AF_INET6;
    return Endpoint::from_sockaddr(reinterpret_cast<const sockaddr*>(&v6), sizeof v6);
  }
  return {};
}

}  // namespace

SourceFilter::Config local_source_config(std::vector<std::uint16_t> own_ports,
                                         const std::vector<std::string>& extra) {
  SourceFilter::Config config;
  config.own_ports = std::move(own_ports);
  ifaddrs* list = nullptr;
  if (::getifaddrs(&list) == 0) {
    for (const ifaddrs* i = list; i != nullptr; i = i->ifa_next) {
      const Endpoint address = address_of(i->ifa_addr);
      if (address.valid()) config.local_addresses.push_back(address);
      if ((i->ifa_flags & IFF_BROADCAST) != 0 && i->ifa_addr != nullptr &&
          i->ifa_addr->sa_family == AF_INET) {
        const Endpoint broadcast = address_of(i->ifa_broadaddr);
        if (broadcast.valid()) config.broadcast_addresses.push_back(broadcast);
      }
    }
    ::freeifaddrs(list);
  } else {
    // Loopback stays covered; only a spoof of another interface address would get through.
    spdlog::warn("getifaddrs failed: the relay knows only loopback as its own address");
  }
  for (const std::string& text : extra) {
    const Endpoint address = parse_ip(text);
    if (address.valid()) config.local_addresses.push_back(address);
  }
  return config;
}

}  // namespace sudachi::relay::asio_backend

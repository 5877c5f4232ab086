#include "relay/source_filter.hpp"

#include <algorithm>

namespace sudachi::relay {

bool is_unroutable_source(const Endpoint& e) {
  if (e.family == 4) {
    const std::uint8_t first = e.addr[0];
    // 0.0.0.0/8 "this network" (incl. unspecified), 224.0.0.0/4 multicast, 240.0.0.0/4
    // reserved, which includes the limited broadcast 255.255.255.255.
    return first == 0 || first >= 224;
  }
  if (e.family == 6) {
    if (e.addr[0] == 0xff) return true;  // ff00::/8 multicast
    return std::all_of(e.addr.begin(), e.addr.end(), [](std::uint8_t b) { return b == 0; });
  }
  return true;  // no address at all
}

SourceFilter::SourceFilter(const Config& config) {
  for (const std::uint16_t port : config.own_ports) own_ports_.set(port);
  for (const Endpoint& e : config.local_addresses) local_.push_back(e.ip_only());
  for (const Endpoint& e : config.broadcast_addresses) broadcast_.push_back(e.ip_only());
}

bool SourceFilter::is_local(const Endpoint& ip) const {
  if (ip.family == 4 && ip.addr[0] == 127) return true;  // all of 127.0.0.0/8 is this host
  if (ip.family == 6) {
    static constexpr std::array<std::uint8_t, 16> kLoopback = {0, 0, 0, 0, 0, 0, 0, 0,
                                                               0, 0, 0, 0, 0, 0, 0, 1};
    if (ip.addr == kLoopback) return true;
  }
  return std::find(local_.begin(), local_.end(), ip) != local_.end();
}

bool SourceFilter::is_broadcast(const Endpoint& ip) const {
  return !broadcast_.empty() &&
         std::find(broadcast_.begin(), broadcast_.end(), ip) != broadcast_.end();
}

bool SourceFilter::refuse(const Endpoint& from) const {
  if (from.port == 0 || is_unroutable_source(from)) return true;
  const Endpoint ip = from.ip_only();
  if (is_broadcast(ip)) return true;
  return own_ports_.test(from.port) && is_local(ip);
}

}  // namespace sudachi::relay

#pragma once

#include <bitset>
#include <cstdint>
#include <vector>

#include "relay/endpoint.hpp"

namespace sudachi::relay {

// Source addresses the relay never answers, binds or forwards to (docs/relay-protocol.md
// §4.5): port 0; unspecified, multicast, broadcast and reserved addresses; and the relay's own
// ports on one of its own addresses. A datagram "from" any of those is spoofed, and answering
// it would reflect traffic at a group, a whole subnet or the relay itself (two slots bound to
// the relay's own ports forward to each other for ever).
//
// Immutable after construction; one instance is read by every worker without a lock. The
// per-datagram cost is a few compares, the interfaces' broadcast addresses (a handful) and one
// bit test: the list of local addresses is looked at only for a source port that is the
// relay's.
class SourceFilter {
 public:
  struct Config {
    std::vector<std::uint16_t> own_ports;  // every port the relay listens on
    // Addresses that reach this host besides loopback (which always does): interface
    // addresses, the bind address, a public address that a NAT maps here.
    std::vector<Endpoint> local_addresses;
    // Directed broadcast addresses of the local interfaces (refused from any port).
    std::vector<Endpoint> broadcast_addresses;
  };

  SourceFilter() = default;  // refuses only what is never a unicast host address
  explicit SourceFilter(const Config& config);

  bool refuse(const Endpoint& from) const;

 private:
  bool is_local(const Endpoint& ip) const;
  bool is_broadcast(const Endpoint& ip) const;

  std::bitset<65536> own_ports_;
  std::vector<Endpoint> local_;      // port 0
  std::vector<Endpoint> broadcast_;  // port 0
};

// Whether `ip` is never a unicast host: unspecified, multicast, limited broadcast, or from
// the reserved IPv4 ranges 0.0.0.0/8 and 240.0.0.0/4. Ports are ignored.
bool is_unroutable_source(const Endpoint& ip);

}  // namespace sudachi::relay

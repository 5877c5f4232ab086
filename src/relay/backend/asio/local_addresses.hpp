#pragma once

#include <string>
#include <vector>

#include "relay/source_filter.hpp"

namespace sudachi::relay::asio_backend {

// The source filter for a relay listening on `own_ports`: this host's interface addresses
// (getifaddrs(3), read once at start-up; an address added later is not known), their
// broadcast addresses, and `extra` (addresses a NAT forwards here; unparsable ones are
// skipped). Loopback is always local (SourceFilter knows it).
SourceFilter::Config local_source_config(std::vector<std::uint16_t> own_ports,
                                         const std::vector<std::string>& extra);

}  // namespace sudachi::relay::asio_backend

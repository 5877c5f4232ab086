#pragma once

#include <vector>

#include "client/p2p/address.hpp"

namespace sudachi::client::p2p::runtime {

// The addresses of the machine's interfaces that are up (ports 0), for host candidates and for
// telling "no NAT" in the NAT probe. Empty when the system will not say.
std::vector<Endpoint> interface_addresses();

}  // namespace sudachi::client::p2p::runtime

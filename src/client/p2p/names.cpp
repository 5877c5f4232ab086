#include "client/p2p/peer_network.hpp"

// Wire and log spellings of the seam's enums.
namespace sudachi::client::p2p {

std::string_view to_string(PathKind kind) noexcept {
  switch (kind) {
    case PathKind::direct:
      return "direct";
    case PathKind::relay:
      return "relay";
    case PathKind::none:
      break;
  }
  return "none";
}

std::string_view to_string(PeerState state) noexcept {
  switch (state) {
    case PeerState::gathering:
      return "gathering";
    case PeerState::checking:
      return "checking";
    case PeerState::direct:
      return "direct";
    case PeerState::relay_requested:
      return "relay-requested";
    case PeerState::relay:
      return "relay";
    case PeerState::failed:
      return "failed";
  }
  return "failed";
}

std::string_view to_string(MappingBehavior m) noexcept {
  switch (m) {
    case MappingBehavior::none:
      return "none";
    case MappingBehavior::endpoint_independent:
      return "endpoint-independent";
    case MappingBehavior::address_dependent:
      return "address-dependent";
    case MappingBehavior::address_and_port_dependent:
      return "address-and-port-dependent";
    case MappingBehavior::unknown:
      break;
  }
  return "unknown";
}

}  // namespace sudachi::client::p2p

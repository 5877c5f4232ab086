#include "client/p2p/stun_binding.hpp"

#include <algorithm>

namespace sudachi::client::p2p {

StunBinding::StunBinding(Endpoint server, relay::stun::TransactionId id, std::int64_t now_ms,
                         int first_rto_ms, int timeout_ms)
    : server_(server),
      id_(id),
      next_send_ms_(now_ms),
      deadline_ms_(now_ms + timeout_ms),
      rto_ms_(first_rto_ms) {}

std::size_t StunBinding::poll_request(std::span<std::uint8_t> out, std::int64_t now_ms) {
  if (finished(now_ms) || now_ms < next_send_ms_) return 0;
  next_send_ms_ = now_ms + rto_ms_;
  rto_ms_ *= 2;
  return relay::stun::encode_binding_request(out, id_, true);
}

bool StunBinding::on_datagram(const Endpoint& from, std::span<const std::uint8_t> bytes) {
  if (done() || from != server_) return false;
  Endpoint mapped;
  if (!relay::stun::parse_binding_response(bytes, id_, mapped)) return false;
  if (!mapped.valid()) return false;
  mapped_ = mapped;
  return true;
}

std::int64_t StunBinding::next_event_ms() const {
  return std::min(next_send_ms_, deadline_ms_);
}

MappingVerdict classify_mapping(std::span<const NatObservation> observations,
                                std::span<const Endpoint> local_addresses,
                                std::uint16_t local_port) {
  MappingVerdict v;
  std::vector<const NatObservation*> answered;
  for (const auto& o : observations)
    if (o.mapped) answered.push_back(&o);
  if (answered.empty()) {
    v.udp_blocked = !observations.empty();
    return v;
  }
  for (const auto* o : answered) {
    if (o->mapped->port != local_port) continue;
    const bool ours =
        std::any_of(local_addresses.begin(), local_addresses.end(),
                    [&](const Endpoint& a) { return a.ip_only() == o->mapped->ip_only(); });
    if (ours) {
      v.mapping = MappingBehavior::none;
      return v;
    }
  }
  for (const auto* a : answered)
    for (const auto* b : answered)
      if (a->server.ip_only() != b->server.ip_only()) v.distinct_ips = true;
  if (answered.size() < 2) return v;

  // Compare every two destinations: a different mapping for the same IP (other port) means
  // port-dependent; one only across IPs means address-dependent.
  bool port_dependent = false, address_dependent = false;
  for (const auto* a : answered) {
    for (const auto* b : answered) {
      if (a == b || a->server == b->server || *a->mapped == *b->mapped) continue;
      if (a->server.ip_only() == b->server.ip_only()) {
        port_dependent = true;
      } else {
        address_dependent = true;
      }
    }
  }
  if (port_dependent) {
    v.mapping = MappingBehavior::address_and_port_dependent;
  } else if (address_dependent) {
    v.mapping = MappingBehavior::address_dependent;
  } else {
    v.mapping = MappingBehavior::endpoint_independent;
  }
  return v;
}

}  // namespace sudachi::client::p2p

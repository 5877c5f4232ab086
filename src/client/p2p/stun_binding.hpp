#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "client/p2p/address.hpp"
#include "client/p2p/peer_network.hpp"
#include "relay/stun.hpp"

// STUN Binding from the client side (RFC 8489 §6.2.1 retransmissions, shortened: the relay is
// one round trip away and gathering is on the connect path), with the relay's codec.
namespace sudachi::client::p2p {

class StunBinding {
 public:
  // `first_rto_ms` doubles on each retransmission until `timeout_ms` after start.
  StunBinding(Endpoint server, relay::stun::TransactionId id, std::int64_t now_ms,
              int first_rto_ms = 100, int timeout_ms = 1500);

  const Endpoint& server() const { return server_; }
  // Writes the request (with FINGERPRINT: 28 bytes, enough for the relay to answer an IPv6
  // client within its 2x rule) when one is due now; 0 when nothing is to be sent.
  std::size_t poll_request(std::span<std::uint8_t> out, std::int64_t now_ms);
  // A datagram from `from`: true when it is our answer (mapped set, the binding is done).
  bool on_datagram(const Endpoint& from, std::span<const std::uint8_t> bytes);

  bool done() const { return mapped_.has_value(); }
  bool timed_out(std::int64_t now_ms) const { return !done() && now_ms >= deadline_ms_; }
  bool finished(std::int64_t now_ms) const { return done() || timed_out(now_ms); }
  const std::optional<Endpoint>& mapped() const { return mapped_; }
  // When poll_request() next has something to send, or the deadline.
  std::int64_t next_event_ms() const;

 private:
  Endpoint server_;
  relay::stun::TransactionId id_;
  std::int64_t next_send_ms_;
  std::int64_t deadline_ms_;
  int rto_ms_;
  std::optional<Endpoint> mapped_;
};

struct NatObservation {
  Endpoint server;
  std::optional<Endpoint> mapped;
};

struct MappingVerdict {
  MappingBehavior mapping = MappingBehavior::unknown;
  bool udp_blocked = false;
  // Whether destinations with different IP addresses answered: without them an
  // address-dependent mapping looks endpoint-independent.
  bool distinct_ips = false;
};

// RFC 4787 §4.1 mapping behaviour from bindings sent from one socket (port `local_port`) to
// several destinations. `local_addresses`: the machine's interface addresses (no NAT when a
// mapped address is one of them with our port).
MappingVerdict classify_mapping(std::span<const NatObservation> observations,
                                std::span<const Endpoint> local_addresses,
                                std::uint16_t local_port);

}  // namespace sudachi::client::p2p

#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "relay/endpoint.hpp"

// Addresses as plain values for the connectivity logic: the relay's Endpoint (trivially
// copyable, compared bytewise), plus the parsing and classification that candidates need.
namespace sudachi::client::p2p {

using Endpoint = relay::Endpoint;
using EndpointHash = relay::EndpointHash;

// A literal IPv4 or IPv6 address (no names, no brackets, no scope) plus a port.
std::optional<Endpoint> parse_endpoint(std::string_view ip, std::uint16_t port);

// The address alone as text ("192.0.2.1", "2001:db8::1"), for signals and logs.
std::string ip_string(const Endpoint& e);

// Addresses a peer must never make us send probes to: unspecified, multicast, broadcast,
// port 0. A hostile signal could otherwise aim our probes at arbitrary local services.
bool is_probe_target(const Endpoint& e);

bool is_loopback(const Endpoint& e);
bool is_link_local(const Endpoint& e);
// RFC 1918, RFC 6598 (carrier-grade NAT), IPv6 ULA: addresses that only mean something
// inside one site.
bool is_private(const Endpoint& e);

}  // namespace sudachi::client::p2p

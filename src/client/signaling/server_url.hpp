#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"

// Where a room server is: parsed from what a player or an operator typed (`--server`,
// SUDACHI_SERVER, ClientConfig::servers). http and ws mean plain TCP, https and wss mean TLS;
// the Socket.IO endpoint and the guest sign-up route hang off the optional base path, so a
// server published behind a reverse proxy at https://example.org/mp/ works.
namespace sudachi::client {

struct ServerUrl {
  bool tls = false;
  std::string host;  // a name, an IPv4 address, or an IPv6 address without brackets
  std::uint16_t port = 0;
  std::string base_path;  // "" or "/prefix" (no trailing slash)

  // The Engine.IO WebSocket request target: <base>/socket.io/?EIO=4&transport=websocket
  std::string socketio_target() const;
  // <base>/api/v1/auth/guest
  std::string signup_target() const;
  // The Host header: the host (bracketed when IPv6) and the port unless it is the default.
  std::string host_header() const;
  // A canonical text form for logs and events: scheme://host:port/base
  std::string to_string() const;
};

// Accepts scheme://host[:port][/path] with scheme http, https, ws or wss (any case), and a
// bare host[:port] as http. Refused: user info, query, fragment, other schemes, an empty
// host, a port outside 1..65535, characters that do not belong in a host.
Result<ServerUrl> parse_server_url(std::string_view text);

// A comma-separated list (SUDACHI_SERVER="https://a,https://b"); blanks around items are
// ignored, an empty item is an error, and so is an empty list.
Result<std::vector<ServerUrl>> parse_server_list(std::string_view text);

}  // namespace sudachi::client

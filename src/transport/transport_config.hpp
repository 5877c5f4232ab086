#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace sudachi::transport {

struct TransportConfig {
  std::string host = "127.0.0.1";
  std::uint16_t port = 8080;
  unsigned threads = 0;  // 0: one event loop per core

  // Engine.IO: announced in the OPEN packet and enforced.
  std::uint32_t ping_interval_ms = 25'000;
  std::uint32_t ping_timeout_ms = 20'000;
  std::uint64_t max_payload = 1'000'000;  // bytes per polling POST body or WebSocket message
  std::uint32_t upgrade_timeout_ms = 10'000;
  std::uint32_t connect_timeout_ms = 45'000;  // Engine.IO open -> Socket.IO CONNECT

  // A session whose peer does not read is closed rather than buffered without bound.
  std::size_t max_queued_frames = 4'096;
  std::size_t max_queued_bytes = 8u << 20;
  std::size_t max_packets_per_payload = 256;

  std::uint32_t http_header_timeout_ms = 30'000;  // first byte -> whole request (slow loris)
  std::uint32_t http_idle_timeout_ms = 75'000;    // keep-alive wait between requests
  std::uint32_t ws_close_timeout_ms = 2'000;      // our close frame -> the peer's, then cut
  std::size_t max_http_header_bytes = 16 * 1024;  // request line and fields: 431 beyond
  std::size_t max_target_bytes = 8 * 1024;        // request target: 414 beyond
  std::size_t max_api_body_bytes = 16 * 1024;     // REST bodies: 413 beyond

  // Connections: over the global cap or the per-IP cap a new connection is closed at once.
  // max_connections 0: derived at start from the descriptor limit, minus headroom for the
  // process's own files, Redis, PostgreSQL and logs.
  std::size_t max_connections = 0;
  std::size_t max_connections_per_ip = 256;

  // Behind reverse proxies: their addresses as CIDR blocks ("127.0.0.1/32,10.0.0.0/8"). Only
  // connections from them may name the client in X-Forwarded-For (client_address.hpp).
  std::string trusted_proxies;

  // Browser origins allowed to call the server cross-origin (CORS) and to open its WebSocket:
  // exact "scheme://host[:port]" strings, or "*". Requests without an Origin header (native
  // clients, the emulator) are not affected.
  std::vector<std::string> cors_origins;
};

}  // namespace sudachi::transport

#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

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

  std::uint32_t http_header_timeout_ms = 30'000;  // slow-loris guard
  std::uint32_t http_idle_timeout_ms = 75'000;    // keep-alive between requests
  std::size_t max_http_header_bytes = 16 * 1024;
  std::size_t max_api_body_bytes = 16 * 1024;

  // Behind a reverse proxy (nginx), take the client address from X-Forwarded-For; only safe
  // when the proxy overwrites that header.
  bool trust_forwarded_for = false;
};

}  // namespace sudachi::transport

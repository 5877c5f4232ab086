#pragma once

#include <cstdint>
#include <memory>

#include "common/clock.hpp"
#include "common/result.hpp"
#include "transport/transport_config.hpp"

namespace sudachi::auth {
class JwtVerifier;
}
namespace sudachi::metrics {
class Registry;
}
namespace sudachi::room {
class RoomService;
class RateLimiter;
}  // namespace sudachi::room

namespace sudachi::transport {

class HttpApi;

// The room server's network front: one event loop per thread, each with its own acceptor;
// HTTP, Engine.IO (polling and WebSocket) and Socket.IO in front of the RoomService and the
// REST routes. Keeps Asio and Beast out of this header.
class HttpServer {
 public:
  struct Dependencies {
    room::RoomService& service;
    const auth::JwtVerifier& jwt;
    room::RateLimiter& connection_limiter;  // per-IP new Engine.IO sessions
    room::RateLimiter& event_limiter;       // per-client Socket.IO packets
    HttpApi& api;
    metrics::Registry& metrics;
    const Clock& clock;
  };

  HttpServer(TransportConfig config, Dependencies deps);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Binds and starts the loops; returns the bound port (useful with port 0). Fails on a bad
  // listen address or trusted-proxy list, or when the port cannot be bound.
  Result<std::uint16_t> start();

  // Graceful shutdown, first half: refuse new Engine.IO sessions and close the transports of
  // existing ones so that clients reconnect elsewhere. HTTP (health, readiness) keeps answering.
  void begin_drain();
  bool draining() const;
  std::size_t sessions() const;
  // WebSocket streams still open, including those finishing their close handshake.
  std::size_t open_websockets() const;

  // Stops the loops and joins their threads. Idempotent.
  void stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace sudachi::transport

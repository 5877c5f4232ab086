#pragma once

#include <atomic>

#include "auth/jwt.hpp"
#include "common/clock.hpp"
#include "room/rate_limiter.hpp"
#include "room/room_service.hpp"
#include "transport/http_api.hpp"
#include "transport/session_registry.hpp"
#include "transport/transport_config.hpp"
#include "transport/transport_metrics.hpp"

namespace sudachi::transport {

// What every Engine.IO session of one server shares. Owned by HttpServer; outlives sessions.
struct SessionContext {
  const TransportConfig& config;
  SessionRegistry& registry;
  TransportMetrics& metrics;
  const auth::JwtVerifier& jwt;
  room::RoomService& service;
  const Clock& clock;
  room::RateLimiter& connection_limiter;  // per-IP new Engine.IO sessions
  HttpApi& api;
  std::atomic<bool> draining{false};
  // WebSocket streams alive, closing ones included: a drain waits for their close handshakes
  // so that clients see a clean close (and reconnect) rather than a reset.
  std::atomic<std::size_t> live_websockets{0};
};

}  // namespace sudachi::transport

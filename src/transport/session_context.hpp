#pragma once

#include <atomic>

#include "auth/jwt.hpp"
#include "common/clock.hpp"
#include "room/rate_limiter.hpp"
#include "room/room_service.hpp"
#include "transport/client_address.hpp"
#include "transport/connection_tracker.hpp"
#include "transport/http_api.hpp"
#include "transport/session_registry.hpp"
#include "transport/transport_config.hpp"
#include "transport/transport_metrics.hpp"

namespace sudachi::transport {

// What every connection and Engine.IO session of one server shares. Owned by HttpServer;
// outlives them all (the server joins its loops before destroying it).
struct SessionContext {
  const TransportConfig& config;
  SessionRegistry& registry;
  TransportMetrics& metrics;
  const auth::JwtVerifier& jwt;
  room::RoomService& service;
  const Clock& clock;
  room::RateLimiter& connection_limiter;  // per-IP new Engine.IO sessions
  room::RateLimiter& event_limiter;       // per-client Socket.IO packets (the event budget)
  HttpApi& api;
  const TrustedProxies& trusted_proxies;
  ConnectionTracker& connections;
  std::atomic<bool> draining{false};
  // WebSocket streams alive, closing ones included: a drain waits for their close handshakes
  // so that clients see a clean close (and reconnect) rather than a reset.
  std::atomic<std::size_t> live_websockets{0};
};

}  // namespace sudachi::transport

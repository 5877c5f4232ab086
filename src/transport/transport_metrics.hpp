#pragma once

#include <array>
#include <cstddef>
#include <string_view>

#include "metrics/registry.hpp"
#include "protocol/engineio/server_session.hpp"

namespace sudachi::transport {

// Why a request, handshake or connection was refused (sudachi_engineio_refused_total{reason}).
enum class Refusal {
  rate_limited,
  draining,
  payload_too_large,
  auth_failed,
  header_too_large,
  target_too_long,
  malformed_request,
  bad_forwarded_for,
  origin_not_allowed,
  over_connection_cap,
  over_ip_cap,
  bad_websocket_handshake,
  unknown_transport,
  unknown_sid,
  bad_handshake_method,
  bad_request,
  unsupported_protocol_version,
  kCount,
};
std::string_view to_string(Refusal r);

// sudachi_http_requests_total{route}: which part of the server answered.
enum class Route { api, engineio, other, kCount };

inline constexpr std::size_t kCloseReasons =
    static_cast<std::size_t>(engineio::CloseReason::server_shutdown) + 1;
// The metric label of a close reason: snake_case, stable (dashboards select on it).
std::string_view close_label(engineio::CloseReason reason);

// The transport's metrics. Every labelled child is resolved once here, at start-up; hot paths
// index arrays and never take the registry's lock or build a label string.
struct TransportMetrics {
  explicit TransportMetrics(metrics::Registry& registry);

  void refused(Refusal r) { refused_[static_cast<std::size_t>(r)]->inc(); }
  void closed(engineio::CloseReason r) { closed_[static_cast<std::size_t>(r)]->inc(); }
  void http_request(Route route, int status);

  metrics::Gauge& websocket_connections;  // websocket_connections_total (spec name, a gauge)
  metrics::Gauge& engine_sessions_polling;
  metrics::Gauge& engine_sessions_websocket;
  metrics::Gauge& socketio_connected;
  metrics::Gauge& tcp_connections;
  metrics::Counter& handshakes;
  metrics::Counter& upgrades;
  metrics::Counter& frames_in;
  metrics::Counter& frames_out;
  metrics::Counter& protocol_errors;
  metrics::Counter& accept_errors;

 private:
  std::array<metrics::Counter*, static_cast<std::size_t>(Refusal::kCount)> refused_{};
  std::array<metrics::Counter*, kCloseReasons> closed_{};
  // [route][status class 2xx..5xx]
  std::array<std::array<metrics::Counter*, 4>, static_cast<std::size_t>(Route::kCount)> http_{};
};

}  // namespace sudachi::transport

#include "transport/transport_metrics.hpp"

#include <string>

namespace sudachi::transport {

std::string_view to_string(Refusal r) {
  switch (r) {
    case Refusal::rate_limited:
      return "rate_limited";
    case Refusal::draining:
      return "draining";
    case Refusal::payload_too_large:
      return "payload_too_large";
    case Refusal::auth_failed:
      return "auth_failed";
    case Refusal::header_too_large:
      return "header_too_large";
    case Refusal::target_too_long:
      return "target_too_long";
    case Refusal::malformed_request:
      return "malformed_request";
    case Refusal::bad_forwarded_for:
      return "bad_forwarded_for";
    case Refusal::origin_not_allowed:
      return "origin_not_allowed";
    case Refusal::over_connection_cap:
      return "over_connection_cap";
    case Refusal::over_ip_cap:
      return "over_ip_cap";
    case Refusal::bad_websocket_handshake:
      return "bad_websocket_handshake";
    case Refusal::unknown_transport:
      return "engineio_error_0";
    case Refusal::unknown_sid:
      return "engineio_error_1";
    case Refusal::bad_handshake_method:
      return "engineio_error_2";
    case Refusal::bad_request:
      return "engineio_error_3";
    case Refusal::unsupported_protocol_version:
      return "engineio_error_5";
    case Refusal::kCount:
      break;
  }
  return "unknown";
}

std::string_view close_label(engineio::CloseReason reason) {
  using engineio::CloseReason;
  switch (reason) {
    case CloseReason::client_close:
      return "client_close";
    case CloseReason::transport_close:
      return "transport_close";
    case CloseReason::transport_error:
      return "transport_error";
    case CloseReason::ping_timeout:
      return "ping_timeout";
    case CloseReason::connect_timeout:
      return "connect_timeout";
    case CloseReason::slow_consumer:
      return "slow_consumer";
    case CloseReason::protocol_violation:
      return "engineio_violation";
    case CloseReason::upper_violation:
      return "socketio_violation";
    case CloseReason::payload_too_large:
      return "payload_too_large";
    case CloseReason::overlapping_poll:
      return "overlapping_poll";
    case CloseReason::server_disconnect:
      return "server_disconnect";
    case CloseReason::server_shutdown:
      return "server_shutdown";
  }
  return "unknown";
}

TransportMetrics::TransportMetrics(metrics::Registry& r)
    : websocket_connections(r.gauge("websocket_connections_total",
                                    "Active WebSocket connections (spec name; a gauge)")),
      engine_sessions_polling(
          r.gauge("sudachi_engineio_sessions_polling", "Engine.IO sessions on HTTP long-polling")),
      engine_sessions_websocket(
          r.gauge("sudachi_engineio_sessions_websocket", "Engine.IO sessions on WebSocket")),
      socketio_connected(r.gauge("sudachi_socketio_connected_clients",
                                 "Authenticated Socket.IO connections on this instance")),
      tcp_connections(r.gauge("sudachi_tcp_connections", "Open TCP connections (all routes)")),
      handshakes(r.counter("sudachi_engineio_handshakes_total", "Engine.IO sessions opened")),
      upgrades(
          r.counter("sudachi_engineio_upgrades_total", "Polling sessions upgraded to WebSocket")),
      frames_in(r.counter("sudachi_engineio_packets_received_total", "Engine.IO packets received")),
      frames_out(r.counter("sudachi_engineio_packets_sent_total", "Engine.IO packets sent")),
      protocol_errors(r.counter("sudachi_protocol_errors_total",
                                "Malformed Engine.IO or Socket.IO input from clients")),
      accept_errors(r.counter("sudachi_accept_errors_total",
                              "Failed accept() calls (descriptor exhaustion and the like)")) {
  auto refused =
      r.counter_family("sudachi_engineio_refused_total",
                       "Handshakes, requests or connections refused, by reason", {"reason"});
  for (std::size_t i = 0; i < refused_.size(); ++i) {
    refused_[i] = &refused.with({std::string(to_string(static_cast<Refusal>(i)))});
  }
  auto closed = r.counter_family("sudachi_engineio_closed_total",
                                 "Engine.IO sessions closed, by reason", {"reason"});
  for (std::size_t i = 0; i < closed_.size(); ++i) {
    closed_[i] = &closed.with({std::string(close_label(static_cast<engineio::CloseReason>(i)))});
  }
  auto http = r.counter_family("sudachi_http_requests_total", "HTTP requests by route and status",
                               {"route", "status"});
  static constexpr std::string_view kRoutes[] = {"api", "engineio", "other"};
  static constexpr std::string_view kClasses[] = {"2xx", "3xx", "4xx", "5xx"};
  for (std::size_t route = 0; route < http_.size(); ++route) {
    for (std::size_t c = 0; c < 4; ++c) {
      http_[route][c] = &http.with({std::string(kRoutes[route]), std::string(kClasses[c])});
    }
  }
}

void TransportMetrics::http_request(Route route, int status) {
  const int cls = status < 300 ? 0 : status < 400 ? 1 : status < 500 ? 2 : 3;
  http_[static_cast<std::size_t>(route)][static_cast<std::size_t>(cls)]->inc();
}

}  // namespace sudachi::transport

#include "transport/transport_metrics.hpp"

namespace sudachi::transport {

TransportMetrics::TransportMetrics(metrics::Registry& r)
    : websocket_connections(r.gauge("websocket_connections_total",
                                    "Active WebSocket connections (spec name; a gauge)")),
      engine_sessions_polling(
          r.gauge("sudachi_engineio_sessions_polling", "Engine.IO sessions on HTTP long-polling")),
      engine_sessions_websocket(
          r.gauge("sudachi_engineio_sessions_websocket", "Engine.IO sessions on WebSocket")),
      socketio_connected(r.gauge("sudachi_socketio_connected_clients",
                                 "Authenticated Socket.IO connections on this instance")),
      handshakes(r.counter("sudachi_engineio_handshakes_total", "Engine.IO sessions opened")),
      upgrades(
          r.counter("sudachi_engineio_upgrades_total", "Polling sessions upgraded to WebSocket")),
      refused(r.counter_family("sudachi_engineio_refused_total",
                               "Engine.IO handshakes or requests refused, by reason", {"reason"})),
      closed(r.counter_family("sudachi_engineio_closed_total",
                              "Engine.IO sessions closed, by reason", {"reason"})),
      http_requests(r.counter_family("sudachi_http_requests_total",
                                     "HTTP requests by route and status", {"route", "status"})),
      frames_in(r.counter("sudachi_engineio_packets_received_total", "Engine.IO packets received")),
      frames_out(r.counter("sudachi_engineio_packets_sent_total", "Engine.IO packets sent")),
      protocol_errors(r.counter("sudachi_protocol_errors_total",
                                "Malformed Engine.IO or Socket.IO input from clients")) {}

}  // namespace sudachi::transport

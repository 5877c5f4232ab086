#pragma once

#include "metrics/registry.hpp"

namespace sudachi::transport {

// The transport's counters, registered once; hot paths hold these references.
struct TransportMetrics {
  explicit TransportMetrics(metrics::Registry& registry);

  metrics::Gauge& websocket_connections;  // websocket_connections_total (spec name, a gauge)
  metrics::Gauge& engine_sessions_polling;
  metrics::Gauge& engine_sessions_websocket;
  metrics::Gauge& socketio_connected;
  metrics::Counter& handshakes;
  metrics::Counter& upgrades;
  metrics::Family<metrics::Counter> refused;        // by reason
  metrics::Family<metrics::Counter> closed;         // by reason
  metrics::Family<metrics::Counter> http_requests;  // by route class and status class
  metrics::Counter& frames_in;
  metrics::Counter& frames_out;
  metrics::Counter& protocol_errors;
};

}  // namespace sudachi::transport

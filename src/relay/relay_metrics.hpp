#pragma once

#include <cstdint>
#include <functional>
#include <mutex>
#include <span>
#include <string>
#include <vector>

#include "metrics/registry.hpp"
#include "relay/session_table.hpp"
#include "relay/worker_stats.hpp"

namespace sudachi::relay {

// The relay's Prometheus metrics, all declared here. Workers count into their own
// WorkerStats; collect() folds what they counted since the last scrape into the registry, so
// the per-packet path never touches a shared atomic.
//
//   relay_bandwidth_bytes_total{server_region}            bytes forwarded to peers (spec name)
//   sudachi_relay_sessions_active                         gauge
//   sudachi_relay_sessions_total{protocol}                sessions opened
//   sudachi_relay_sessions_closed_total{reason}
//   sudachi_relay_packets_total{protocol,direction}       UDP datagrams in/out
//   sudachi_relay_bytes_total{protocol,direction}         bytes in/out (UDP and TCP)
//   sudachi_relay_dropped_total{reason}                   UDP datagrams dropped
//   sudachi_relay_handshakes_total{protocol,status}       handshake results
//   sudachi_relay_stun_requests_total{result}
//   sudachi_relay_ip_limited_total{limit}                 handshakes refused by a per-IP cap
//   sudachi_relay_draining                                gauge, 1 while draining
class RelayMetrics {
 public:
  RelayMetrics(metrics::Registry& registry, const std::string& region);

  void collect(std::span<const WorkerStats* const> workers, const SessionBudget& budget,
               bool draining);

 private:
  struct Binding {
    metrics::Counter* target;
    std::function<std::uint64_t(const WorkerStats&)> read;
    std::uint64_t last = 0;
  };

  std::mutex mutex_;  // scrapes may overlap; never taken by a worker
  std::vector<Binding> bindings_;
  metrics::Gauge& active_;
  metrics::Gauge& draining_;
};

}  // namespace sudachi::relay

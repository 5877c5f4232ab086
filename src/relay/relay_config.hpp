#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "relay/session_table.hpp"
#include "relay/worker_stats.hpp"

namespace sudachi::relay {

// What a back end needs to run a relay; apps/relay fills it from flags and the environment.
struct RelayConfig {
  std::string bind_address = "0.0.0.0";
  std::uint16_t udp_port = 3478;  // main UDP port; workers 1..N-1 use the next ports (0: ephemeral)
  std::uint16_t tcp_port = 3478;
  std::uint16_t admin_port = 9478;
  std::size_t workers = 0;  // 0: one per core
  std::int64_t max_sessions = 10'000;
  // Per source IP (IPv6: per /64); 0: no cap. Slots bound (paired or not), and sessions
  // waiting for their second peer (TCP: also connections whose HELLO is not in yet).
  std::uint32_t max_sessions_per_ip = 128;
  std::uint32_t max_waiting_per_ip = 32;
  SessionLimits limits;
  double handshake_rate_per_s = 20;  // per source IP and relay port; 0: unlimited
  double handshake_burst = 40;
  std::int64_t drain_grace_ms = 30'000;
  std::int64_t tcp_handshake_timeout_ms = 10'000;
  std::size_t max_pending_tcp_handshakes = 1024;
  std::string relay_id = "local";
  std::string region = "local";
  // Addresses that reach this relay although no local interface holds them (a public address
  // a NAT forwards here): datagrams "from" them to the relay's ports are refused as spoofed.
  std::vector<std::string> extra_local_addresses;
};

struct BoundPorts {
  std::uint16_t udp = 0;
  std::uint16_t tcp = 0;
  std::uint16_t admin = 0;
};

// A running relay: binds, runs its workers, drains on request. AsioRelay implements it; the
// io_uring datapath plugs into AsioRelay's workers (UdpIo over a WorkerLoop, udp_io.hpp) rather
// than duplicating the workers, so both back ends share sessions, TCP, timers and drain.
class RelayBackend {
 public:
  virtual ~RelayBackend() = default;
  // Binds every socket and starts the worker threads; throws on bad configuration.
  virtual BoundPorts start() = 0;
  // Refuse new sessions, let running ones finish within the grace period, then stop.
  // Thread-safe; may be called from a signal-handling thread.
  virtual void begin_drain() = 0;
  // Blocks until every worker has stopped.
  virtual void wait() = 0;

  // For the metrics collector: each worker's counters (read concurrently, relaxed) and the
  // relay-wide session count.
  virtual std::vector<const WorkerStats*> worker_stats() const = 0;
  virtual const SessionBudget& budget() const = 0;
};

}  // namespace sudachi::relay

#pragma once

#include <cstdint>
#include <functional>
#include <memory>

#include "metrics/registry.hpp"
#include "relay/relay_config.hpp"
#include "relay_options.hpp"

namespace sudachi::app {

// sudachi-relay's entry in the room servers' Redis relay registry (docs/scaling.md): a
// RelayHeartbeat on its own thread announces {id, public host, bound ports, region, capacity}
// and the active session count, read from `active_sessions` at each heartbeat. The data path
// never sees Redis: the only shared state is the counter the workers keep anyway.
class RelayRegistration {
 public:
  // Connects (bounded wait; an unreachable Redis is retried in the background) and registers.
  // Throws std::runtime_error for a bad URL or an unusable registration.
  RelayRegistration(const RelayOptions& options, const relay::BoundPorts& ports,
                    std::function<std::int64_t()> active_sessions, metrics::Registry& registry);
  ~RelayRegistration();
  RelayRegistration(const RelayRegistration&) = delete;
  RelayRegistration& operator=(const RelayRegistration&) = delete;

  // Stops heartbeating and deletes the registration (waits at most 500 ms for Redis), so no
  // room server allocates this relay any more. Idempotent; thread-safe against itself.
  void deregister();
  // Refreshes the registry metrics (called when /metrics is scraped).
  void collect();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace sudachi::app

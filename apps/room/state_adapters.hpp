#pragma once

#include <memory>
#include <string>
#include <vector>

#include "common/clock.hpp"
#include "config.hpp"
#include "metrics/registry.hpp"
#include "room/delivery.hpp"
#include "room/rate_limiter.hpp"
#include "room/relay_directory.hpp"
#include "room/relay_sessions.hpp"
#include "room/room_store.hpp"

namespace sudachi::storage {
class MemoryRateLimiter;
class MemoryRelaySessions;
namespace redis {
class RedisClient;
class RedisDelivery;
class PresenceSweeper;
}  // namespace redis
}  // namespace sudachi::storage

namespace sudachi::app {

// The shared-state adapters the room server runs on: in-process ones (embedded, no
// REDIS_URL), or Redis ones (several instances; docs/scaling.md). Everything else in the
// wiring is the same for both.
class StateAdapters {
 public:
  // Throws on start-up errors (bad REDIS_URL, bad instance id).
  StateAdapters(const RoomServerConfig& config, const Clock& clock, metrics::Registry& registry);
  ~StateAdapters();

  room::RoomStore& store() { return *store_; }
  room::Delivery& delivery() { return *delivery_; }
  room::RateLimiter& event_limiter() { return *event_limiter_; }
  room::RateLimiter& relay_limiter() { return *relay_limiter_; }
  room::RateLimiter& connection_limiter() { return *connection_limiter_; }
  room::RateLimiter& guest_limiter() { return *guest_limiter_; }
  room::RelayDirectory& relays() { return *relays_; }
  room::RelaySessions& relay_sessions() { return *relay_sessions_; }

  // With Redis: clients of dead instances that never came back are handed to `on_gone`
  // (the room service takes them out of their rooms). Call once, after the service exists.
  void start_presence_sweep(std::function<void(std::string)> on_gone);
  // State store and cross-instance delivery reachable (for /ready).
  bool healthy() const;
  // Once a second: memory limiter and relay session sweeps, presence sweep, metrics.
  void maintenance();
  // At shutdown, with the transport stopped: lets Redis callbacks still in flight (which call
  // back into the room service) finish before the service is destroyed. Bounded.
  void quiesce();

 private:
  void open_embedded(const RoomServerConfig& config, const Clock& clock);
  void open_redis(const RoomServerConfig& config, const Clock& clock);
  void update_metrics();

  // Declared first: destroyed last, after everything that posts to it.
  std::shared_ptr<storage::redis::RedisClient> redis_;
  std::string redis_prefix_;
  std::chrono::milliseconds presence_ttl_{15'000};
  std::unique_ptr<room::RoomStore> store_;
  std::unique_ptr<room::Delivery> delivery_;
  storage::redis::RedisDelivery* redis_delivery_ = nullptr;  // delivery_ when Redis
  std::vector<std::shared_ptr<storage::MemoryRateLimiter>> memory_limiters_;  // swept
  std::shared_ptr<room::RateLimiter> event_limiter_, relay_limiter_, connection_limiter_,
      guest_limiter_;
  std::unique_ptr<room::RelayDirectory> relays_;
  std::unique_ptr<room::RelaySessions> relay_sessions_;
  storage::MemoryRelaySessions* memory_relay_sessions_ = nullptr;  // relay_sessions_ when embedded
  std::unique_ptr<storage::redis::PresenceSweeper> sweeper_;

  struct Metrics;
  std::unique_ptr<Metrics> metrics_;
};

}  // namespace sudachi::app

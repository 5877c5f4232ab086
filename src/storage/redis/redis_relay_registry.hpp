#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "common/result.hpp"
#include "room/relay_directory.hpp"
#include "storage/redis/periodic_task.hpp"
#include "storage/redis/redis_client.hpp"

namespace sudachi::storage::redis {

// What a relay announces about itself.
struct RelayInfo {
  std::string id;    // 1..64 characters, no '{' '}' (the relay refuses tokens for another id)
  std::string host;  // what clients connect to
  std::uint16_t udp_port = 3478;
  std::uint16_t tcp_port = 3478;
  std::string region;         // non-empty
  std::int64_t load = 0;      // active sessions
  std::int64_t capacity = 0;  // sessions it accepts at most; 0: no limit
};

// INVALID_REQUEST naming the field, for a registration that cannot work.
Status validate_relay_info(const RelayInfo& info);

struct RelayHeartbeatOptions {
  std::chrono::milliseconds interval{3'000};
  std::chrono::milliseconds ttl{10'000};  // a relay silent this long is never picked
  std::string key_prefix;                 // the room servers' prefix
  // When set, read at every heartbeat (on the heartbeat's thread) for the load to announce,
  // instead of the last update_load(). Must be cheap and thread-safe (a relaxed atomic load).
  std::function<std::int64_t()> load_source;
};

// Runs inside sudachi-relay: registers the relay in Redis and renews the registration with
// its current load every `interval`, on its own thread (only posting commands: never blocks
// the relay's data path). A relay that dies stops renewing and drops out of the directory
// after `ttl`; stop() (and the destructor) deregisters at once.
//
//   auto client = RedisClient::connect_url(url);            // shared_ptr it
//   RelayHeartbeat heartbeat;
//   heartbeat.start(client, info, {});                       // at start-up
//   heartbeat.update_load(sessions.active());                // whenever it changes, or each tick
//   (or options.load_source = [&] { return sessions.active(); }: read at each heartbeat)
class RelayHeartbeat {
 public:
  RelayHeartbeat() = default;
  ~RelayHeartbeat() { stop(); }
  RelayHeartbeat(const RelayHeartbeat&) = delete;
  RelayHeartbeat& operator=(const RelayHeartbeat&) = delete;

  Status start(std::shared_ptr<RedisClient> client, RelayInfo info,
               RelayHeartbeatOptions options = {});
  void update_load(std::int64_t sessions) { load_->store(sessions, std::memory_order_relaxed); }
  // Deregisters (waits at most 500 ms for Redis) and stops the thread.
  void stop();
  // Registrations Redis accepted (for the relay's metrics and tests).
  std::uint64_t beats() const { return beats_->load(std::memory_order_relaxed); }

 private:
  void beat();

  std::shared_ptr<RedisClient> client_;
  RelayInfo info_;
  RelayHeartbeatOptions options_;
  std::shared_ptr<std::atomic<std::int64_t>> load_ = std::make_shared<std::atomic<std::int64_t>>(0);
  std::shared_ptr<std::atomic<std::uint64_t>> beats_ =
      std::make_shared<std::atomic<std::uint64_t>>(0);
  PeriodicTask task_;
};

// The room server's RelayDirectory when relays register themselves: the least-loaded live
// relay (below capacity) of the requested region, else of any region; NO_RELAY_AVAILABLE
// when none; UNAVAILABLE while Redis is down. One script per pick, bounded work (the
// `scan_limit` least-loaded entries of an index), no KEYS.
class RedisRelayDirectory final : public room::RelayDirectory {
 public:
  RedisRelayDirectory(std::shared_ptr<RedisClient> client, std::string key_prefix = {},
                      int scan_limit = 100);
  // The callback runs on the Redis thread.
  void pick(std::string region, std::function<void(Result<room::RelayEndpoint>)> done) override;

 private:
  std::shared_ptr<RedisClient> client_;
  const std::string prefix_;
  const int scan_limit_;
};

}  // namespace sudachi::storage::redis

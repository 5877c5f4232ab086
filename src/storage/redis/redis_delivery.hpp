#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"
#include "room/delivery.hpp"
#include "storage/redis/redis_client.hpp"
#include "storage/redis/redis_options.hpp"

namespace sudachi::storage::redis {

struct RedisDeliveryOptions {
  std::string instance_id;  // unique per process: valid_instance_id()
  std::string key_prefix;   // as the room store's
  // A client's presence (and the instance key) expires this long after the last heartbeat of
  // its instance: a killed instance's clients count as gone after at most this.
  std::chrono::milliseconds presence_ttl{15'000};
  std::chrono::milliseconds heartbeat_interval{5'000};  // < presence_ttl / 2
  std::size_t refresh_batch = 256;                      // presence keys per heartbeat script
};

struct RedisDeliveryStats {
  std::uint64_t published = 0;      // messages published to other instances
  std::uint64_t received = 0;       // messages from other instances, decoded
  std::uint64_t malformed = 0;      // undecodable messages, ignored
  std::uint64_t undeliverable = 0;  // remote sends dropped: Redis unavailable
  std::uint64_t kicked = 0;         // local connections replaced by one on another instance
};

// The scale-out Delivery (docs/scaling.md). Sockets of this instance are in a local table;
// every other client is reached through Redis pub/sub:
// - presence:{cid} names the instance (and connection serial) holding each client, renewed
//   by a heartbeat with a TTL; to_client / to_clients send locally when they can, otherwise
//   look the recipients up (one MGET) and PUBLISH one message per owning instance on its
//   channel inst:<id>, carrying the ready-made frame.
// - to_lobby fans out to this instance's lobby subscribers at once and publishes on
//   lobby:<gameId>, which every instance pattern-subscribes; the origin skips its own echo.
// - attach claims the presence atomically; if another instance held the client, that
//   instance is told (a kick message) to disconnect its connection, without the departure
//   counting as the client leaving (its registration is gone before the transport reports
//   the close).
// - On every (re)subscription after a Redis outage the heartbeat runs at once, re-asserting
//   the presence of every local client; a presence now held elsewhere means this connection
//   was replaced while the kick was lost, and it is disconnected.
// Delivery is at most once, like Redis pub/sub: messages sent while Redis is unreachable are
// dropped (counted). Nothing here blocks a network thread: Redis work is posted, and the
// subscriber and client callbacks run on their own threads.
class RedisDelivery final : public room::Delivery {
 public:
  // Starts the subscriber (its own connection, from `subscriber_options`) and the heartbeat.
  // INVALID_REQUEST for bad options; an unreachable Redis is not an error (it keeps trying).
  static Result<std::unique_ptr<RedisDelivery>> start(std::shared_ptr<RedisClient> client,
                                                      const RedisOptions& subscriber_options,
                                                      RedisDeliveryOptions options);
  ~RedisDelivery() override;

  std::shared_ptr<room::ClientConnection> attach(
      const std::string& client_id, std::shared_ptr<room::ClientConnection> connection) override;
  bool detach(const std::string& client_id, const room::ClientConnection* connection) override;
  void to_client(std::string_view client_id, room::SharedFrame frame) override;
  void to_clients(const std::vector<std::string>& client_ids, room::SharedFrame frame) override;
  void subscribe_lobby(const std::string& client_id, std::optional<std::string> game_id) override;
  void unsubscribe_lobby(const std::string& client_id) override;
  void to_lobby(std::string_view game_id, room::SharedFrame frame) override;
  std::size_t local_connections() const override;

  // Renews the instance key and the local clients' presence now (the timer does it every
  // heartbeat_interval).
  void heartbeat();
  // The pub/sub connection is up with every subscription confirmed, and the local clients'
  // presence has been written since (for /ready: other instances can reach them).
  bool healthy() const;
  RedisDeliveryStats stats() const;
  const std::string& instance_id() const;

  struct State;  // defined in the .cpp (public only so that its helpers can name it)

 private:
  explicit RedisDelivery(std::shared_ptr<State> state);
  std::shared_ptr<State> state_;
};

}  // namespace sudachi::storage::redis

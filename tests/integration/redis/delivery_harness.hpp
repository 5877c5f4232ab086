#pragma once

// Two (or more) RedisDelivery instances on one redis-server, and connections that record
// what they are sent, for the cross-instance delivery tests.

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "room/delivery.hpp"
#include "storage/redis/redis_delivery.hpp"
#include "store_harness.hpp"

namespace sudachi::storage::redis::test {

class RecordingConnection final : public room::ClientConnection {
 public:
  void send(room::SharedFrame frame) override {
    std::lock_guard lock(mutex_);
    frames_.push_back(*frame);
  }
  void disconnect() override {
    std::lock_guard lock(mutex_);
    disconnected_ = true;
  }
  std::vector<std::string> frames() const {
    std::lock_guard lock(mutex_);
    return frames_;
  }
  std::size_t count() const {
    std::lock_guard lock(mutex_);
    return frames_.size();
  }
  bool disconnected() const {
    std::lock_guard lock(mutex_);
    return disconnected_;
  }

 private:
  mutable std::mutex mutex_;
  std::vector<std::string> frames_;
  bool disconnected_ = false;
};

inline room::SharedFrame frame(std::string text) {
  return std::make_shared<const std::string>(std::move(text));
}

inline RedisDeliveryOptions delivery_options(
    const std::string& instance, const std::string& prefix,
    std::chrono::milliseconds ttl = std::chrono::seconds(5)) {
  RedisDeliveryOptions o;
  o.instance_id = instance;
  o.key_prefix = prefix;
  o.presence_ttl = ttl;
  o.heartbeat_interval = ttl / 4;
  return o;
}

// A delivery on `server`, with its own command client; waits until it is subscribed.
inline std::unique_ptr<RedisDelivery> start_delivery(
    RedisServer& server, const std::string& instance, const std::string& prefix,
    std::chrono::milliseconds ttl = std::chrono::seconds(5),
    std::shared_ptr<RedisClient> client = nullptr) {
  if (!client) client = new_client(server.options());
  auto delivery =
      RedisDelivery::start(client, server.options(), delivery_options(instance, prefix, ttl));
  EXPECT_TRUE(delivery.ok());
  if (!delivery) return nullptr;
  EXPECT_TRUE(eventually([&] { return (*delivery)->healthy(); }, std::chrono::seconds(5)));
  return std::move(delivery).value();
}

inline std::optional<std::string> get_key(RedisClient& client, const std::string& key) {
  auto r = await<RedisReply>([&](auto done) { client.command({"GET", key}, std::move(done)); });
  if (!r) return std::nullopt;
  auto s = r->as_string();
  return s ? std::optional<std::string>(std::string(*s)) : std::nullopt;
}

}  // namespace sudachi::storage::redis::test

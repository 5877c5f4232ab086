#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "room/delivery.hpp"
#include "storage/memory/lobby_subscriptions.hpp"

namespace sudachi::storage {

// The embedded-mode Delivery: every client is connected to this process, so routing is a
// lookup in a table of local connections. The table is split over independently locked
// shards; a send copies the connection's shared_ptr out under the shard lock and sends after
// releasing it, so a slow transport never holds up routing for other clients.
class MemoryDelivery final : public room::Delivery {
 public:
  std::shared_ptr<room::ClientConnection> attach(
      const std::string& client_id, std::shared_ptr<room::ClientConnection> connection) override;
  bool detach(const std::string& client_id, const room::ClientConnection* connection) override;

  void to_client(std::string_view client_id, room::SharedFrame frame) override;
  void to_clients(const std::vector<std::string>& client_ids, room::SharedFrame frame) override;

  // Subscribes the client's current connection; ignored when the client is not attached.
  void subscribe_lobby(const std::string& client_id, std::optional<std::string> game_id) override;
  void unsubscribe_lobby(const std::string& client_id) override;
  void to_lobby(std::string_view game_id, room::SharedFrame frame) override;

  std::size_t local_connections() const override;
  std::size_t lobby_subscribers() const { return lobby_.size(); }

 private:
  static constexpr std::size_t kShards = 32;
  struct Shard {
    mutable std::mutex mutex;
    std::unordered_map<std::string, std::shared_ptr<room::ClientConnection>> connections;
  };
  Shard& shard(std::string_view client_id) const;
  std::shared_ptr<room::ClientConnection> find(std::string_view client_id) const;

  mutable std::array<Shard, kShards> shards_;
  std::atomic<std::size_t> connection_count_{0};
  memory::LobbySubscriptions lobby_;
};

}  // namespace sudachi::storage

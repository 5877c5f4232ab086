#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "room/delivery.hpp"

namespace sudachi::storage::memory {

// Who receives room:list:update: each subscriber with its game filter (none = every game),
// indexed by game so that a change of one game's room costs O(its subscribers), not
// O(all subscribers). A subscription belongs to one connection: a reconnect (a new
// connection of the same client) starts unsubscribed, and the old connection's detach cannot
// drop the new connection's subscription.
class LobbySubscriptions {
 public:
  // Replaces any subscription of the client.
  void subscribe(const std::string& client_id, std::shared_ptr<room::ClientConnection> connection,
                 std::optional<std::string> game_id);
  void unsubscribe(const std::string& client_id);
  // Drops the client's subscription only if it was made on `connection`.
  void unsubscribe_connection(const std::string& client_id,
                              const room::ClientConnection* connection);
  // The connections to notify of a change to a room of `game_id`.
  std::vector<std::shared_ptr<room::ClientConnection>> recipients(std::string_view game_id) const;
  std::size_t size() const;

 private:
  using Connections = std::unordered_map<std::string, std::shared_ptr<room::ClientConnection>>;
  struct Subscription {
    std::shared_ptr<room::ClientConnection> connection;
    std::optional<std::string> game_id;
  };
  Connections& bucket(const std::optional<std::string>& game_id);
  void erase_locked(const std::string& client_id);

  mutable std::shared_mutex mutex_;
  std::unordered_map<std::string, Subscription> by_client_;
  Connections all_games_;                                 // subscribers without a filter
  std::unordered_map<std::string, Connections> by_game_;  // subscribers of one game
};

}  // namespace sudachi::storage::memory

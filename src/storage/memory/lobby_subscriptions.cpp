#include "storage/memory/lobby_subscriptions.hpp"

#include <mutex>
#include <utility>

namespace sudachi::storage::memory {

LobbySubscriptions::Connections& LobbySubscriptions::bucket(
    const std::optional<std::string>& game_id) {
  return game_id ? by_game_[*game_id] : all_games_;
}

void LobbySubscriptions::erase_locked(const std::string& client_id) {
  auto it = by_client_.find(client_id);
  if (it == by_client_.end()) return;
  if (it->second.game_id) {
    auto game = by_game_.find(*it->second.game_id);
    if (game != by_game_.end()) {
      game->second.erase(client_id);
      if (game->second.empty()) by_game_.erase(game);
    }
  } else {
    all_games_.erase(client_id);
  }
  by_client_.erase(it);
}

void LobbySubscriptions::subscribe(const std::string& client_id,
                                   std::shared_ptr<room::ClientConnection> connection,
                                   std::optional<std::string> game_id) {
  std::unique_lock lock(mutex_);
  erase_locked(client_id);
  bucket(game_id)[client_id] = connection;
  by_client_.emplace(client_id, Subscription{std::move(connection), std::move(game_id)});
}

void LobbySubscriptions::unsubscribe(const std::string& client_id) {
  std::unique_lock lock(mutex_);
  erase_locked(client_id);
}

void LobbySubscriptions::unsubscribe_connection(const std::string& client_id,
                                                const room::ClientConnection* connection) {
  std::unique_lock lock(mutex_);
  auto it = by_client_.find(client_id);
  if (it != by_client_.end() && it->second.connection.get() == connection) erase_locked(client_id);
}

std::vector<std::shared_ptr<room::ClientConnection>> LobbySubscriptions::recipients(
    std::string_view game_id) const {
  std::shared_lock lock(mutex_);
  std::vector<std::shared_ptr<room::ClientConnection>> out;
  out.reserve(all_games_.size());
  for (const auto& [client, connection] : all_games_) out.push_back(connection);
  // by_game_ is keyed by std::string; one temporary per broadcast is negligible.
  auto game = by_game_.find(std::string(game_id));
  if (game != by_game_.end()) {
    for (const auto& [client, connection] : game->second) out.push_back(connection);
  }
  return out;
}

std::size_t LobbySubscriptions::size() const {
  std::shared_lock lock(mutex_);
  return by_client_.size();
}

}  // namespace sudachi::storage::memory

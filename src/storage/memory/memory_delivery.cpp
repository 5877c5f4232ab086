#include "storage/memory/memory_delivery.hpp"

#include <utility>

#include "storage/memory/sharding.hpp"

namespace sudachi::storage {

MemoryDelivery::Shard& MemoryDelivery::shard(std::string_view client_id) const {
  return shards_[memory::shard_of(client_id, kShards)];
}

std::shared_ptr<room::ClientConnection> MemoryDelivery::find(std::string_view client_id) const {
  Shard& s = shard(client_id);
  std::lock_guard lock(s.mutex);
  // The map is keyed by std::string (no heterogeneous lookup for unordered_map in GCC 12).
  auto it = s.connections.find(std::string(client_id));
  return it == s.connections.end() ? nullptr : it->second;
}

std::shared_ptr<room::ClientConnection> MemoryDelivery::attach(
    const std::string& client_id, std::shared_ptr<room::ClientConnection> connection) {
  std::shared_ptr<room::ClientConnection> previous;
  {
    Shard& s = shard(client_id);
    std::lock_guard lock(s.mutex);
    auto [it, inserted] = s.connections.try_emplace(client_id, connection);
    if (inserted) {
      connection_count_.fetch_add(1, std::memory_order_relaxed);
    } else {
      previous = std::exchange(it->second, std::move(connection));
    }
  }
  // The replaced connection is about to be disconnected: it stops receiving lobby updates now.
  if (previous) lobby_.unsubscribe_connection(client_id, previous.get());
  return previous;
}

bool MemoryDelivery::detach(const std::string& client_id,
                            const room::ClientConnection* connection) {
  bool removed = false;
  {
    Shard& s = shard(client_id);
    std::lock_guard lock(s.mutex);
    auto it = s.connections.find(client_id);
    if (it != s.connections.end() && it->second.get() == connection) {
      s.connections.erase(it);
      connection_count_.fetch_sub(1, std::memory_order_relaxed);
      removed = true;
    }
  }
  // Only this connection's subscription: a newer connection's one stays.
  lobby_.unsubscribe_connection(client_id, connection);
  return removed;
}

void MemoryDelivery::to_client(std::string_view client_id, room::SharedFrame frame) {
  if (auto connection = find(client_id)) connection->send(std::move(frame));
}

void MemoryDelivery::to_clients(const std::vector<std::string>& client_ids,
                                room::SharedFrame frame) {
  for (const std::string& client_id : client_ids) {
    if (auto connection = find(client_id)) connection->send(frame);
  }
}

void MemoryDelivery::subscribe_lobby(const std::string& client_id,
                                     std::optional<std::string> game_id) {
  auto connection = find(client_id);
  if (!connection) return;
  const room::ClientConnection* subscribed = connection.get();
  lobby_.subscribe(client_id, std::move(connection), std::move(game_id));
  // If the connection was detached or replaced between find() and subscribe(), its detach
  // may have run before the subscription existed: drop it here so it cannot linger.
  if (find(client_id).get() != subscribed) lobby_.unsubscribe_connection(client_id, subscribed);
}

void MemoryDelivery::unsubscribe_lobby(const std::string& client_id) {
  lobby_.unsubscribe(client_id);
}

void MemoryDelivery::to_lobby(std::string_view game_id, room::SharedFrame frame) {
  for (const auto& connection : lobby_.recipients(game_id)) connection->send(frame);
}

std::size_t MemoryDelivery::local_connections() const {
  return connection_count_.load(std::memory_order_relaxed);
}

}  // namespace sudachi::storage

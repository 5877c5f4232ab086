#include "storage/redis/local_connections.hpp"

#include <functional>
#include <utility>

namespace sudachi::storage::redis {

LocalConnections::Shard& LocalConnections::shard(std::string_view client_id) const {
  return shards_[std::hash<std::string_view>{}(client_id) % kShards];
}

LocalConnections::Attached LocalConnections::attach(
    const std::string& client_id, std::shared_ptr<room::ClientConnection> connection) {
  Attached out;
  out.serial = next_serial_.fetch_add(1, std::memory_order_relaxed);
  Shard& s = shard(client_id);
  std::lock_guard lock(s.mutex);
  auto [it, inserted] = s.slots.try_emplace(client_id);
  if (inserted) {
    count_.fetch_add(1, std::memory_order_relaxed);
  } else {
    out.previous = std::move(it->second.connection);
  }
  it->second = Slot{std::move(connection), out.serial};
  return out;
}

std::uint64_t LocalConnections::detach(const std::string& client_id,
                                       const room::ClientConnection* connection) {
  Shard& s = shard(client_id);
  std::lock_guard lock(s.mutex);
  auto it = s.slots.find(client_id);
  if (it == s.slots.end() || it->second.connection.get() != connection) return 0;
  const std::uint64_t serial = it->second.serial;
  s.slots.erase(it);
  count_.fetch_sub(1, std::memory_order_relaxed);
  return serial;
}

std::shared_ptr<room::ClientConnection> LocalConnections::remove_if_serial(
    const std::string& client_id, std::uint64_t serial) {
  Shard& s = shard(client_id);
  std::lock_guard lock(s.mutex);
  auto it = s.slots.find(client_id);
  if (it == s.slots.end() || it->second.serial != serial) return nullptr;
  auto connection = std::move(it->second.connection);
  s.slots.erase(it);
  count_.fetch_sub(1, std::memory_order_relaxed);
  return connection;
}

std::shared_ptr<room::ClientConnection> LocalConnections::find(std::string_view client_id) const {
  Shard& s = shard(client_id);
  std::lock_guard lock(s.mutex);
  auto it = s.slots.find(std::string(client_id));
  return it == s.slots.end() ? nullptr : it->second.connection;
}

std::vector<LocalConnections::Entry> LocalConnections::snapshot() const {
  std::vector<Entry> out;
  out.reserve(size());
  for (const Shard& s : shards_) {
    std::lock_guard lock(s.mutex);
    for (const auto& [client_id, slot] : s.slots) out.push_back(Entry{client_id, slot.serial});
  }
  return out;
}

}  // namespace sudachi::storage::redis

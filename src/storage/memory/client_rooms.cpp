#include "storage/memory/client_rooms.hpp"

#include "storage/memory/sharding.hpp"

namespace sudachi::storage::memory {

ClientRooms::Stripe& ClientRooms::stripe(const std::string& client_id) const {
  return stripes_[shard_of(client_id, kStripes)];
}

std::optional<std::string> ClientRooms::room_of(const std::string& client_id) const {
  Stripe& s = stripe(client_id);
  std::lock_guard lock(s.mutex);
  auto it = s.room_by_client.find(client_id);
  if (it == s.room_by_client.end()) return std::nullopt;
  return it->second;
}

bool ClientRooms::claim(const std::string& client_id, const std::string& room_id) {
  Stripe& s = stripe(client_id);
  std::lock_guard lock(s.mutex);
  return s.room_by_client.try_emplace(client_id, room_id).second;
}

void ClientRooms::release(const std::string& client_id, const std::string& room_id) {
  Stripe& s = stripe(client_id);
  std::lock_guard lock(s.mutex);
  auto it = s.room_by_client.find(client_id);
  if (it != s.room_by_client.end() && it->second == room_id) s.room_by_client.erase(it);
}

}  // namespace sudachi::storage::memory

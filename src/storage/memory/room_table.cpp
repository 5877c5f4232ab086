#include "storage/memory/room_table.hpp"

#include <utility>

#include "storage/memory/sharding.hpp"

namespace sudachi::storage::memory {

RoomTable::Shard& RoomTable::shard(const std::string& room_id) const {
  return shards_[shard_of(room_id, kShards)];
}

std::shared_ptr<RoomEntry> RoomTable::find(const std::string& room_id) const {
  Shard& s = shard(room_id);
  std::lock_guard lock(s.mutex);
  auto it = s.rooms.find(room_id);
  return it == s.rooms.end() ? nullptr : it->second;
}

bool RoomTable::insert(const std::string& room_id, std::shared_ptr<RoomEntry> entry) {
  Shard& s = shard(room_id);
  std::lock_guard lock(s.mutex);
  return s.rooms.try_emplace(room_id, std::move(entry)).second;
}

void RoomTable::erase(const std::string& room_id) {
  Shard& s = shard(room_id);
  std::lock_guard lock(s.mutex);
  s.rooms.erase(room_id);
}

}  // namespace sudachi::storage::memory

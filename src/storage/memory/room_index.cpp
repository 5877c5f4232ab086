#include "storage/memory/room_index.hpp"

#include <mutex>

namespace sudachi::storage::memory {
namespace {

bool matches(const room::RoomRecord& room, const room::RoomFilter& filter) {
  if (filter.region && room.region != *filter.region) return false;
  if (filter.has_password && room.has_password() != *filter.has_password) return false;
  // notFull is a restriction switch: true hides full rooms, false is the same as absent.
  if (filter.not_full.value_or(false) && room.players >= room.max_players) return false;
  return true;
}

}  // namespace

void RoomIndex::add_to_order(const room::RoomRecord& room) {
  if (room.visibility != room::Visibility::public_room) return;
  const room::RoomRecord* stored = &rooms_.at(room.id);
  public_.emplace(Key{room.created_at_ms, room.id}, stored);
  public_by_game_[room.game_id].emplace(Key{room.created_at_ms, room.id}, stored);
}

void RoomIndex::remove_from_order(const room::RoomRecord& room) {
  if (room.visibility != room::Visibility::public_room) return;
  const Key key{room.created_at_ms, room.id};
  public_.erase(key);
  auto game = public_by_game_.find(room.game_id);
  if (game == public_by_game_.end()) return;
  game->second.erase(key);
  if (game->second.empty()) public_by_game_.erase(game);
}

void RoomIndex::upsert(const room::RoomRecord& room) {
  std::unique_lock lock(mutex_);
  auto it = rooms_.find(room.id);
  if (it == rooms_.end()) {
    rooms_.emplace(room.id, room);
    ++count_by_game_[room.game_id];
    add_to_order(room);
    return;
  }
  room::RoomRecord& stored = it->second;
  // Joins and leaves change only counts: the ordering keys stay, so just refresh the copy.
  const bool same_place = stored.visibility == room.visibility &&
                          stored.created_at_ms == room.created_at_ms &&
                          stored.game_id == room.game_id;
  if (same_place) {
    stored = room;
    return;
  }
  remove_from_order(stored);
  if (stored.game_id != room.game_id) {
    if (--count_by_game_[stored.game_id] == 0) count_by_game_.erase(stored.game_id);
    ++count_by_game_[room.game_id];
  }
  stored = room;
  add_to_order(stored);
}

void RoomIndex::erase(const std::string& room_id) {
  std::unique_lock lock(mutex_);
  auto it = rooms_.find(room_id);
  if (it == rooms_.end()) return;
  remove_from_order(it->second);
  if (--count_by_game_[it->second.game_id] == 0) count_by_game_.erase(it->second.game_id);
  rooms_.erase(it);
}

room::RoomPage RoomIndex::list(const room::RoomFilter& filter) const {
  std::shared_lock lock(mutex_);
  const Ordered* candidates = &public_;
  if (filter.game_id) {
    auto game = public_by_game_.find(*filter.game_id);
    if (game == public_by_game_.end()) return {};
    candidates = &game->second;
  }
  const std::int64_t first = filter.offset > 0 ? filter.offset : 0;
  const std::int64_t end = filter.limit > 0 ? first + filter.limit : first;
  room::RoomPage page;
  std::int64_t index = 0;
  for (const auto& [key, room] : *candidates) {
    if (!matches(*room, filter)) continue;
    if (index >= first && index < end) page.rooms.push_back(*room);
    ++index;
  }
  page.total = static_cast<int>(index);
  return page;
}

std::size_t RoomIndex::size() const {
  std::shared_lock lock(mutex_);
  return rooms_.size();
}

std::map<std::string, int> RoomIndex::count_by_game() const {
  std::shared_lock lock(mutex_);
  return count_by_game_;
}

}  // namespace sudachi::storage::memory

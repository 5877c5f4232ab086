#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <shared_mutex>
#include <string>
#include <unordered_map>

#include "room/model.hpp"

namespace sudachi::storage::memory {

// A copy of every room's record, ordered for the lobby. The store refreshes it (with the
// room's mutex held: lock order room, then index) after every change, so a listing is one
// consistent snapshot taken under a shared lock, without locking any room.
//
// Order: newest first, by (created_at, id) descending, which is also what a Redis sorted set
// scored by created_at gives with ZREVRANGE (ties by member, descending).
class RoomIndex {
 public:
  void upsert(const room::RoomRecord& room);
  void erase(const std::string& room_id);

  // Public rooms matching the filter; `total` counts them all, `rooms` is the offset/limit
  // slice (a negative offset counts as 0, a limit <= 0 returns no rooms but the total).
  room::RoomPage list(const room::RoomFilter& filter) const;

  std::size_t size() const;
  std::map<std::string, int> count_by_game() const;  // all rooms, private ones included

 private:
  struct Key {
    std::int64_t created_at_ms;
    std::string id;
  };
  struct NewestFirst {
    bool operator()(const Key& a, const Key& b) const {
      if (a.created_at_ms != b.created_at_ms) return a.created_at_ms > b.created_at_ms;
      return a.id > b.id;
    }
  };
  // Values point into rooms_ (unordered_map nodes never move).
  using Ordered = std::map<Key, const room::RoomRecord*, NewestFirst>;

  void add_to_order(const room::RoomRecord& room);
  void remove_from_order(const room::RoomRecord& room);

  mutable std::shared_mutex mutex_;
  std::unordered_map<std::string, room::RoomRecord> rooms_;  // every room, by id
  Ordered public_;                                           // public rooms
  std::unordered_map<std::string, Ordered> public_by_game_;  // public rooms of each game
  std::map<std::string, int> count_by_game_;                 // every room, for the gauge
};

}  // namespace sudachi::storage::memory

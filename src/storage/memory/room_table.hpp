#pragma once

#include <array>
#include <cstddef>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <unordered_set>

#include "room/model.hpp"

namespace sudachi::storage::memory {

// One room and everything the store knows about it, guarded by its own mutex: operations on
// different rooms never wait for each other.
struct RoomEntry {
  std::mutex mutex;
  // Set (under `mutex`) when the room is deleted. A thread that found the entry in the table
  // just before the deletion locks it afterwards and must treat it as ROOM_NOT_FOUND.
  bool removed = false;
  room::RoomView view;                     // members in join order: the host-migration order
  std::unordered_set<std::string> banned;  // kicked clients; lives as long as the room
};

// Room id -> entry, split over independently locked shards. A shard lock is held only for the
// map operation itself and never while taking another lock; the store inserts and erases with
// the room's own mutex held (lock order: room, then shard).
class RoomTable {
 public:
  std::shared_ptr<RoomEntry> find(const std::string& room_id) const;
  // False (and nothing changes) when the id is taken.
  bool insert(const std::string& room_id, std::shared_ptr<RoomEntry> entry);
  void erase(const std::string& room_id);

 private:
  static constexpr std::size_t kShards = 64;
  struct Shard {
    mutable std::mutex mutex;
    std::unordered_map<std::string, std::shared_ptr<RoomEntry>> rooms;
  };
  Shard& shard(const std::string& room_id) const;

  mutable std::array<Shard, kShards> shards_;
};

}  // namespace sudachi::storage::memory

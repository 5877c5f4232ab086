#pragma once

#include <cstddef>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "common/clock.hpp"
#include "room/room_store.hpp"
#include "storage/memory/client_rooms.hpp"
#include "storage/memory/room_index.hpp"
#include "storage/memory/room_table.hpp"

namespace sudachi::storage {

// The embedded-mode RoomStore: rooms in process memory, lost on restart.
//
// Concurrency: each room has its own mutex (memory::RoomEntry); the room table, the
// client -> room claims and the lobby index have their own short-lived locks. An operation
// locks at most one room, and then at most one of the others at a time, always in the order
// room -> (table shard | client stripe | index): no deadlock, and every change to a room is
// complete before its mutex is released, so no caller sees half of one. Callbacks run inline,
// after every lock is released, so they may call back into the store.
//
// Decisions the interface leaves open:
// - a room id that does not exist is ROOM_NOT_FOUND for every operation that names one,
//   ahead of NOT_IN_ROOM (the contract's precedence puts ROOM_NOT_FOUND first);
// - a host kicking itself is INVALID_REQUEST (leaving is room:leave);
// - created_at / joined_at left at 0 by the caller are stamped with the clock's wall time.
class MemoryRoomStore final : public room::RoomStore {
 public:
  explicit MemoryRoomStore(const Clock& clock);

  void create_room(room::RoomRecord draft, room::Member host,
                   room::Callback<room::RoomView> done) override;
  void get_room(std::string room_id, room::Callback<room::RoomView> done) override;
  void room_of(std::string client_id, room::Callback<std::optional<std::string>> done) override;
  void check_join(std::string room_id, std::string client_id,
                  room::Callback<room::RoomRecord> done) override;
  void join_room(std::string room_id, room::Member member, std::string expected_password_hash,
                 room::Callback<room::RoomView> done) override;
  void leave_room(std::string room_id, std::string client_id,
                  room::Callback<room::LeaveOutcome> done) override;
  void kick(std::string room_id, std::string host_client_id, std::string target_client_id,
            room::Callback<room::LeaveOutcome> done) override;
  void close_room(std::string room_id, std::string host_client_id,
                  room::Callback<room::RoomView> done) override;
  void update_room(std::string room_id, std::string host_client_id, room::RoomUpdate update,
                   room::Callback<room::RoomView> done) override;
  void list_rooms(room::RoomFilter filter, room::Callback<room::RoomPage> done) override;
  void record_p2p(std::string room_id, room::P2pOutcome outcome,
                  room::Callback<Unit> done) override;
  bool healthy() const override { return true; }

  // For the rooms_active_total{game_id} gauge: every room, private ones included.
  std::size_t room_count() const;
  std::map<std::string, int> rooms_by_game() const;

 private:
  // A room found in the table and locked, or nothing when it does not exist (any more).
  struct LockedRoom {
    std::shared_ptr<memory::RoomEntry> entry;
    std::unique_lock<std::mutex> lock;
  };
  std::optional<LockedRoom> lock_room(const std::string& room_id);

  // The bodies of the operations. Each returns with every lock released, so the public
  // methods can hand the result to the callback afterwards.
  Result<room::RoomView> do_create(room::RoomRecord draft, room::Member host);
  Result<room::RoomView> do_get(const std::string& room_id);
  Status do_record_p2p(const std::string& room_id, room::P2pOutcome outcome);
  Result<room::RoomRecord> do_check_join(const std::string& room_id, const std::string& client_id);
  Result<room::RoomView> do_join(const std::string& room_id, room::Member member,
                                 const std::string& expected_password_hash);
  Result<room::LeaveOutcome> do_leave(const std::string& room_id, const std::string& client_id);
  Result<room::LeaveOutcome> do_kick(const std::string& room_id, const std::string& host_id,
                                     const std::string& target_id);
  Result<room::RoomView> do_close(const std::string& room_id, const std::string& host_id);
  Result<room::RoomView> do_update(const std::string& room_id, const std::string& host_id,
                                   const room::RoomUpdate& update);

  // The checks every join makes, in the contract's order up to BANNED.
  std::optional<ErrorCode> join_blocker(const memory::RoomEntry& entry,
                                        const std::string& client_id) const;
  // NOT_IN_ROOM unless `client_id` is a member, then NOT_HOST unless it is the host.
  static std::optional<ErrorCode> host_blocker(const memory::RoomEntry& entry,
                                               const std::string& client_id);
  // Removes member `index` of a locked room: host migration, or deletion when it empties.
  room::LeaveOutcome remove_member(memory::RoomEntry& entry, std::size_t index);
  // Deletes a locked room from the table, the index and its members' claims.
  void remove_room(memory::RoomEntry& entry);

  const Clock& clock_;
  memory::RoomTable table_;
  memory::ClientRooms clients_;
  memory::RoomIndex index_;
};

}  // namespace sudachi::storage

#pragma once

#include <functional>
#include <optional>
#include <string>

#include "common/result.hpp"
#include "room/model.hpp"

namespace sudachi::room {

template <class T>
using Callback = std::function<void(Result<T>)>;

// Shared room state. Every operation is atomic as a whole (the in-process store under a
// per-room lock; the Redis store as one Lua script), because several server threads, and
// in production several server instances, act on the same rooms at once.
//
// Callbacks may run before the call returns (in-process store) or later on another thread
// (Redis store); callers must not assume either, and must not hold locks across the call.
// Errors are the contract codes; UNAVAILABLE when the backing service is unreachable.
class RoomStore {
 public:
  virtual ~RoomStore() = default;

  // Inserts `draft` (id, created_at and the rest filled in by the caller) with `host` as the
  // only member. ALREADY_IN_ROOM if the host is in a room.
  virtual void create_room(RoomRecord draft, Member host, Callback<RoomView> done) = 0;

  virtual void get_room(std::string room_id, Callback<RoomView> done) = 0;

  // The room the client is in, if any.
  virtual void room_of(std::string client_id, Callback<std::optional<std::string>> done) = 0;

  // Checks, in the contract's precedence, ROOM_NOT_FOUND, ALREADY_IN_ROOM, BANNED, and returns
  // the room so the caller can verify a password outside any lock (hashing is slow).
  virtual void check_join(std::string room_id, std::string client_id,
                          Callback<RoomRecord> done) = 0;

  // Seats `member`. Re-checks everything check_join checked, then that the room's password
  // hash still equals `expected_password_hash` (WRONG_PASSWORD otherwise: it changed after the
  // caller verified it), then ROOM_FULL. Returns the room with its members after the join.
  virtual void join_room(std::string room_id, Member member, std::string expected_password_hash,
                         Callback<RoomView> done) = 0;

  // Removes the client. NOT_IN_ROOM if it is not a member. Migrates the host to the
  // longest-present member; deletes the room when it becomes empty.
  virtual void leave_room(std::string room_id, std::string client_id,
                          Callback<LeaveOutcome> done) = 0;

  // Host removes `target_client_id` and bans it from the room. NOT_IN_ROOM (caller not a
  // member), NOT_HOST, then NOT_IN_ROOM again if the target is not a member.
  virtual void kick(std::string room_id, std::string host_client_id, std::string target_client_id,
                    Callback<LeaveOutcome> done) = 0;

  // Host closes the room: returns the room and members as they were, and deletes it.
  virtual void close_room(std::string room_id, std::string host_client_id,
                          Callback<RoomView> done) = 0;

  // Host changes settings. INVALID_REQUEST when max_players would drop below the current count.
  virtual void update_room(std::string room_id, std::string host_client_id, RoomUpdate update,
                           Callback<RoomView> done) = 0;

  // Public rooms only, newest first, paginated after filtering.
  virtual void list_rooms(RoomFilter filter, Callback<RoomPage> done) = 0;

  // Counts a P2P outcome in the room's connection counts.
  virtual void record_p2p(std::string room_id, P2pOutcome outcome, Callback<Unit> done) = 0;

  // Whether the backing service answers (for /ready).
  virtual bool healthy() const = 0;
};

}  // namespace sudachi::room

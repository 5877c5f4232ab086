#pragma once

#include <array>
#include <cstddef>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

namespace sudachi::storage::memory {

// Client id -> the room it is in, over lock stripes. This is what makes "a client is in at
// most one room" hold across rooms: seating a client first claims it here, and the claim
// fails when the client already has a room. The store changes it only with the room's mutex
// held (lock order: room, then stripe), so a room's member list and these claims agree for
// anyone who reads the member list under that mutex.
class ClientRooms {
 public:
  std::optional<std::string> room_of(const std::string& client_id) const;
  // Records that the client is in `room_id`; false (and nothing changes) if it is in a room.
  bool claim(const std::string& client_id, const std::string& room_id);
  // Forgets the client's room, but only if it is `room_id` (a stale release is harmless).
  void release(const std::string& client_id, const std::string& room_id);

 private:
  static constexpr std::size_t kStripes = 64;
  struct Stripe {
    mutable std::mutex mutex;
    std::unordered_map<std::string, std::string> room_by_client;
  };
  Stripe& stripe(const std::string& client_id) const;

  mutable std::array<Stripe, kStripes> stripes_;
};

}  // namespace sudachi::storage::memory

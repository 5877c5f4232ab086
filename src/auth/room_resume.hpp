#pragma once

#include <string>
#include <string_view>

// Room resume keys: the proof that a client created a room, so that it can re-create the
// room under the same id when the server lost it (an embedded server restarted, or the player
// failed over to another server of the same deployment). Members then find their room again by
// its id, and nobody else can squat that id: the key is
//   base64url(HMAC-SHA256(secret, "room-resume" 0x00 room_id 0x00 client_id))
// (room and client ids never contain NUL, so the encoding is unambiguous). Servers sharing the
// JWT secret accept each other's keys. Thread-safe: no state after construction.
namespace sudachi::auth {

class RoomResumeKeys {
 public:
  // An empty secret disables resuming: key() returns "" and verify() refuses everything.
  explicit RoomResumeKeys(std::string secret);

  bool enabled() const { return !secret_.empty(); }
  std::string key(std::string_view room_id, std::string_view client_id) const;
  // Constant-time comparison of the whole key.
  bool verify(std::string_view room_id, std::string_view client_id, std::string_view key) const;

 private:
  std::string secret_;
};

}  // namespace sudachi::auth

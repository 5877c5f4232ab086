#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace sudachi::room {

enum class Visibility { public_room, private_room };

// How peers of a room ended up connected; counted per room for room_history.connection_types
// and for the p2p_connection_success_rate histogram.
struct ConnectionCounts {
  int direct = 0;  // p2p:success with connectionType "direct"
  int relay = 0;   // p2p:success with connectionType "relay", or a use:relay allocation
  int failed = 0;  // p2p:failure reports
};

// A room as the store keeps it. `players` is the current member count, `peak_players` the
// most members it ever had at once (room_history.actual_players).
struct RoomRecord {
  std::string id;
  std::string game_id;  // 16 hex digits, upper-case as the client sent it is kept verbatim
  std::string game_name;
  std::string name;
  std::string host_client_id;
  std::string host_username;
  // The host at creation (room_history.host_client_id); hosts migrate, this does not. Empty
  // from stores that do not keep it, and then the current host stands in.
  std::string creator_client_id;
  int max_players = 2;
  int players = 0;
  int peak_players = 0;
  std::string password_hash;  // empty: no password. Never sent to clients.
  Visibility visibility = Visibility::public_room;
  std::string region;
  std::int64_t created_at_ms = 0;
  ConnectionCounts connections;

  bool has_password() const { return !password_hash.empty(); }
};

struct Member {
  std::string client_id;
  std::string username;
  std::string platform;
  std::int64_t joined_at_ms = 0;
};

// A room with its members, oldest member first (the host-migration order).
struct RoomView {
  RoomRecord room;
  std::vector<Member> members;
};

struct RoomFilter {
  std::optional<std::string> game_id;
  std::optional<std::string> region;
  std::optional<bool> has_password;
  std::optional<bool> not_full;
  int offset = 0;
  int limit = 50;
};

struct RoomPage {
  std::vector<RoomRecord> rooms;
  int total = 0;  // public rooms matching the filter, before offset/limit
};

// Partial update by the host; unset fields stay as they are.
struct RoomUpdate {
  std::optional<std::string> name;
  std::optional<int> max_players;
  std::optional<std::string> password_hash;  // "" removes the password
  std::optional<Visibility> visibility;
};

enum class LeaveReason { left, kicked, disconnected };

struct LeaveOutcome {
  RoomView after;   // the room after the departure (members without the leaver)
  Member departed;  // who left
  std::optional<std::string>
      new_host_client_id;  // set when the host left and another member took over
  bool closed = false;     // the room was empty and is gone
};

enum class P2pOutcome { direct, relay, failed };

}  // namespace sudachi::room

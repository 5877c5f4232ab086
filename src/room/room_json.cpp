#include "room/room_json.hpp"

namespace sudachi::room {
namespace json = boost::json;

std::string_view to_string(Visibility visibility) noexcept {
  return visibility == Visibility::private_room ? "private" : "public";
}

std::string_view to_string(LeaveReason reason) noexcept {
  switch (reason) {
    case LeaveReason::left:
      return "left";
    case LeaveReason::kicked:
      return "kicked";
    case LeaveReason::disconnected:
      return "disconnected";
  }
  return "left";
}

json::object room_to_json(const RoomRecord& room) {
  return json::object{
      {"id", room.id},
      {"gameId", room.game_id},
      {"gameName", room.game_name},
      {"name", room.name},
      {"hostClientId", room.host_client_id},
      {"hostUsername", room.host_username},
      {"maxPlayers", room.max_players},
      {"players", room.players},
      {"hasPassword", room.has_password()},
      {"visibility", to_string(room.visibility)},
      {"region", room.region},
      {"createdAt", room.created_at_ms},
  };
}

json::object member_to_json(const Member& member) {
  return json::object{
      {"clientId", member.client_id},
      {"username", member.username},
      {"platform", member.platform},
      {"joinedAt", member.joined_at_ms},
  };
}

json::object error_to_json(const Error& error) {
  json::object out{{"code", to_string(error.code)}, {"message", error.message}};
  if (error.retry_after_seconds > 0) out["retryAfter"] = error.retry_after_seconds;
  return out;
}

}  // namespace sudachi::room

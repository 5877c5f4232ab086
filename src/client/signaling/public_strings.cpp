// The to_string functions of the public header (<sudachi/mp.hpp>): the spellings are part of
// the API (the CLI prints them, the C API hands them out), so they never change.
#include "client/signaling/room_codec.hpp"
#include "common/error_code.hpp"
#include "sudachi/mp.hpp"

namespace sudachi::mp {

std::string_view to_string(ErrorCode code) noexcept {
  // The server's codes are spelled by the server's own table (one list of wire names).
  if (const auto server = client::server_code(code)) return sudachi::to_string(*server);
  switch (code) {
    case ErrorCode::timeout:
      return "TIMEOUT";
    case ErrorCode::disconnected:
      return "DISCONNECTED";
    case ErrorCode::unreachable:
      return "UNREACHABLE";
    case ErrorCode::protocol_error:
      return "PROTOCOL_ERROR";
    case ErrorCode::invalid_argument:
      return "INVALID_ARGUMENT";
    case ErrorCode::room_lost:
      return "ROOM_LOST";
    case ErrorCode::unknown:
      return "UNKNOWN";
    default:
      return "";
  }
}

std::string_view to_string(PathKind path) noexcept {
  switch (path) {
    case PathKind::none:
      return "none";
    case PathKind::direct:
      return "direct";
    case PathKind::relay:
      return "relay";
  }
  return "none";
}

std::string_view to_string(ConnectionState state) noexcept {
  switch (state) {
    case ConnectionState::connecting:
      return "connecting";
    case ConnectionState::connected:
      return "connected";
    case ConnectionState::reconnecting:
      return "reconnecting";
    case ConnectionState::offline:
      return "offline";
  }
  return "offline";
}

std::string_view to_string(EventType type) noexcept {
  switch (type) {
    case EventType::connection:
      return "connection";
    case EventType::room_joined:
      return "room_joined";
    case EventType::room_left:
      return "room_left";
    case EventType::room_updated:
      return "room_updated";
    case EventType::member_joined:
      return "member_joined";
    case EventType::member_left:
      return "member_left";
    case EventType::host_changed:
      return "host_changed";
    case EventType::chat:
      return "chat";
    case EventType::lobby_update:
      return "lobby_update";
    case EventType::peer_connected:
      return "peer_connected";
    case EventType::peer_path_changed:
      return "peer_path_changed";
    case EventType::peer_disconnected:
      return "peer_disconnected";
    case EventType::peer_failed:
      return "peer_failed";
    case EventType::call_done:
      return "call_done";
    case EventType::error:
      return "error";
  }
  return "error";
}

std::string_view to_string(Call call) noexcept {
  switch (call) {
    case Call::none:
      return "none";
    case Call::list_rooms:
      return "list_rooms";
    case Call::create_room:
      return "create_room";
    case Call::join_room:
      return "join_room";
    case Call::leave_room:
      return "leave_room";
    case Call::close_room:
      return "close_room";
    case Call::kick:
      return "kick";
    case Call::update_room:
      return "update_room";
    case Call::chat:
      return "chat";
    case Call::subscribe_lobby:
      return "subscribe_lobby";
    case Call::unsubscribe_lobby:
      return "unsubscribe_lobby";
  }
  return "none";
}

}  // namespace sudachi::mp

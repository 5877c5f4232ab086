#include "common/error_code.hpp"

namespace sudachi {

std::string_view to_string(ErrorCode code) noexcept {
  switch (code) {
    case ErrorCode::auth_failed:
      return "AUTH_FAILED";
    case ErrorCode::rate_limited:
      return "RATE_LIMITED";
    case ErrorCode::invalid_request:
      return "INVALID_REQUEST";
    case ErrorCode::room_not_found:
      return "ROOM_NOT_FOUND";
    case ErrorCode::room_full:
      return "ROOM_FULL";
    case ErrorCode::wrong_password:
      return "WRONG_PASSWORD";
    case ErrorCode::not_host:
      return "NOT_HOST";
    case ErrorCode::not_in_room:
      return "NOT_IN_ROOM";
    case ErrorCode::already_in_room:
      return "ALREADY_IN_ROOM";
    case ErrorCode::banned:
      return "BANNED";
    case ErrorCode::no_relay_available:
      return "NO_RELAY_AVAILABLE";
    case ErrorCode::unavailable:
      return "UNAVAILABLE";
    case ErrorCode::internal:
      return "INTERNAL";
  }
  return "INTERNAL";
}

std::string_view default_message(ErrorCode code) noexcept {
  switch (code) {
    case ErrorCode::auth_failed:
      return "Invalid authentication token";
    case ErrorCode::rate_limited:
      return "Too many requests";
    case ErrorCode::invalid_request:
      return "Invalid request";
    case ErrorCode::room_not_found:
      return "Room not found";
    case ErrorCode::room_full:
      return "Room is full";
    case ErrorCode::wrong_password:
      return "Wrong password";
    case ErrorCode::not_host:
      return "Only the host can do this";
    case ErrorCode::not_in_room:
      return "Not a member of this room";
    case ErrorCode::already_in_room:
      return "Already in a room";
    case ErrorCode::banned:
      return "Banned from this room";
    case ErrorCode::no_relay_available:
      return "No relay server available";
    case ErrorCode::unavailable:
      return "Service temporarily unavailable";
    case ErrorCode::internal:
      return "Internal server error";
  }
  return "Internal server error";
}

}  // namespace sudachi

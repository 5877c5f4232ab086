#pragma once

#include <string_view>

namespace sudachi {

// The error codes of the room-server contract (DESIGN.md). The wire spelling is the
// upper-snake name returned by to_string(); clients switch on it, so never rename one.
enum class ErrorCode {
  auth_failed,
  rate_limited,
  invalid_request,
  room_not_found,
  room_full,
  wrong_password,
  not_host,
  not_in_room,
  already_in_room,
  banned,
  no_relay_available,
  unavailable,
  internal,  // keep last: tables indexed by code are sized from it
};

std::string_view to_string(ErrorCode code) noexcept;

// A human-readable default message for a code, used when the caller has nothing better.
std::string_view default_message(ErrorCode code) noexcept;

}  // namespace sudachi

#pragma once

#include <string_view>

#include <boost/json/object.hpp>

#include "common/result.hpp"
#include "room/model.hpp"

// The public JSON shapes of docs/room-protocol.md. The password hash, peak count and
// connection counts of a room are internal and never leave the server.
namespace sudachi::room {

// {id, gameId, gameName, name, hostClientId, hostUsername, maxPlayers, players, hasPassword,
//  visibility: "public"|"private", region, createdAt}
boost::json::object room_to_json(const RoomRecord& room);

// {clientId, username, platform, joinedAt}
boost::json::object member_to_json(const Member& member);

// {code, message, retryAfter?} (retryAfter only for a positive retry_after_seconds)
boost::json::object error_to_json(const Error& error);

std::string_view to_string(Visibility visibility) noexcept;
std::string_view to_string(LeaveReason reason) noexcept;

}  // namespace sudachi::room

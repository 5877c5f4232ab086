#pragma once

#include <array>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"
#include "room/model.hpp"
#include "storage/redis/redis_reply.hpp"

namespace sudachi::storage::redis {

// The fields of a room's hash, in the order the scripts return them (HMGET). The Lua side is
// generated from this list (room_scripts.cpp), so the two cannot drift apart.
inline constexpr std::array<std::string_view, 17> kRoomFields = {
    "id",      "game_id", "game_name", "name",    "host",    "host_name",
    "creator", "max",     "players",   "peak",    "pw",      "vis",
    "region",  "created", "c_direct",  "c_relay", "c_failed"};

// field, value, field, value... for HSET, the whole record.
std::vector<std::string> encode_room(const room::RoomRecord& room);

// Decoding of the scripts' replies. Every script answers an array whose first element is
// "OK" or a contract error code ("ROOM_FULL", optionally followed by a message). Anything
// else (a Redis error reply, a wrong type, a short array) is INTERNAL, or UNAVAILABLE for
// the transient Redis errors: a hostile or corrupted reply never crashes and never passes
// for data.
Status script_status(const RedisReply& reply);
Result<room::RoomRecord> decode_room(const RedisReply& fields);
Result<std::vector<room::Member>> decode_members(const RedisReply& flat);
// {"OK", fields, members}
Result<room::RoomView> decode_view(const RedisReply& reply);
// {"OK", fields, members, departed(4), new_host|nil, closed 0|1}
Result<room::LeaveOutcome> decode_leave(const RedisReply& reply);
// {"OK", total, [fields...]}
Result<room::RoomPage> decode_page(const RedisReply& reply);
// {"OK", room_id|nil}
Result<std::optional<std::string>> decode_room_of(const RedisReply& reply);

}  // namespace sudachi::storage::redis

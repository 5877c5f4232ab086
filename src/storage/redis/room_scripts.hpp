#pragma once

#include "storage/redis/redis_script.hpp"

namespace sudachi::storage::redis {

// The room store's Lua scripts, one per operation: each runs atomically in Redis, so every
// multi-step change is indivisible across all server instances. Every script takes
// ARGV[1] = key prefix, ARGV[2] = room TTL in ms, then its own arguments (room_scripts.cpp),
// and answers {"OK", ...} or {"<CONTRACT_CODE>"[, message]} (room_codec.hpp).
const RedisScript& create_room_script();
const RedisScript& get_room_script();
const RedisScript& room_of_script();
const RedisScript& join_room_script();  // also check_join (ARGV check_only = 1)
const RedisScript& leave_room_script();
const RedisScript& kick_script();
const RedisScript& close_room_script();
const RedisScript& update_room_script();
const RedisScript& record_p2p_script();
const RedisScript& list_rooms_script();

}  // namespace sudachi::storage::redis

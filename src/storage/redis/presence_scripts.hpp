#pragma once

#include "storage/redis/redis_script.hpp"

namespace sudachi::storage::redis {

// Presence of clients on instances (docs/scaling.md), one Lua script per step so that each
// is atomic across instances. Times come from Redis (TIME), so instances with skewed clocks
// agree on ages.
//
// claim:   KEYS presence, seen; ARGV value, ttl_ms, client_id.
//          Sets the client's presence to this connection and answers the previous value
//          (nil if none): the caller kicks the previous connection when another instance held it.
// refresh: KEYS seen, instance, presence_1..n; ARGV ttl_ms, instance_ttl_ms, instance_info, n,
//          value_1..n, client_1..n.
//          The heartbeat: renews the instance key and each presence still ours (or gone, e.g.
//          after a Redis restart: re-asserted). Answers the clients whose presence another
//          instance now holds: their connection here was replaced and must go.
// release: KEYS presence, seen; ARGV value, client_id. Deletes the presence if it is still ours.
// sweep:   KEYS seen; ARGV prefix, grace_ms, limit.
//          Takes (ZREM) at most `limit` clients not refreshed for grace_ms and answers those
//          without presence: their instance died and they did not come back. Each such client
//          is answered to exactly one sweeping instance.
const RedisScript& presence_claim_script();
const RedisScript& presence_refresh_script();
const RedisScript& presence_release_script();
const RedisScript& presence_sweep_script();

}  // namespace sudachi::storage::redis

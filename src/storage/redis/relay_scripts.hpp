#pragma once

#include "storage/redis/redis_script.hpp"

namespace sudachi::storage::redis {

// The relay registry's scripts (docs/scaling.md, "Relay registry"). Each is atomic, so a
// heartbeat and a pick never see half of each other.
//
// register:   KEYS relay, relays:all, relays:region:<region>;
//             ARGV id, host, udp, tcp, region, load, capacity, ttl_ms, prefix.
//             Writes the relay's hash with its TTL and its load into both indexes (moving it
//             out of its old region's index when the region changed).
// deregister: KEYS relay, relays:all; ARGV id, prefix. A relay stopping cleanly.
// pick:       KEYS relays:region:<region> (or relays:all), relays:all; ARGV prefix, limit.
//             The least-loaded live relay below capacity in the first index, else in the
//             second; entries whose hash expired are removed when met. Answers the relay's
//             fields {id, host, udp, tcp, region, load, capacity} or an empty array, and counts
//             the new session in its load (the relay's next heartbeat sets the true number),
//             so that picks between heartbeats spread.
const RedisScript& relay_register_script();
const RedisScript& relay_deregister_script();
const RedisScript& relay_pick_script();

}  // namespace sudachi::storage::redis

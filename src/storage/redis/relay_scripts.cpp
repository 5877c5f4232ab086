#include "storage/redis/relay_scripts.hpp"

namespace sudachi::storage::redis {

const RedisScript& relay_register_script() {
  static const RedisScript script(R"lua(
local id, region, prefix = ARGV[1], ARGV[5], ARGV[9]
local old = redis.call('HGET', KEYS[1], 'region')
if old and old ~= region then redis.call('ZREM', prefix .. 'relays:region:' .. old, id) end
redis.call('HSET', KEYS[1], 'id', id, 'host', ARGV[2], 'udp', ARGV[3], 'tcp', ARGV[4],
           'region', region, 'load', ARGV[6], 'capacity', ARGV[7])
redis.call('PEXPIRE', KEYS[1], ARGV[8])
redis.call('ZADD', KEYS[2], ARGV[6], id)
redis.call('ZADD', KEYS[3], ARGV[6], id)
return 1
)lua");
  return script;
}

const RedisScript& relay_deregister_script() {
  static const RedisScript script(R"lua(
local region = redis.call('HGET', KEYS[1], 'region')
if region then redis.call('ZREM', ARGV[2] .. 'relays:region:' .. region, ARGV[1]) end
redis.call('DEL', KEYS[1])
redis.call('ZREM', KEYS[2], ARGV[1])
return 1
)lua");
  return script;
}

const RedisScript& relay_pick_script() {
  // The region index of a stale entry is unknown once its hash expired: it is pruned from
  // the index being walked only, and from the others when a pick meets it there.
  static const RedisScript script(R"lua(
local prefix, limit = ARGV[1], tonumber(ARGV[2])
local function rkey(id) return prefix .. 'relay:{' .. id .. '}' end
local function pick_from(index)
  for _, id in ipairs(redis.call('ZRANGE', index, 0, limit - 1)) do
    local h = redis.call('HMGET', rkey(id), 'id', 'host', 'udp', 'tcp', 'region', 'load', 'capacity')
    if not h[1] then
      redis.call('ZREM', index, id)
    else
      local load, capacity = tonumber(h[6]) or 0, tonumber(h[7]) or 0
      if capacity <= 0 or load < capacity then
        redis.call('HINCRBY', rkey(id), 'load', 1)
        redis.call('ZINCRBY', prefix .. 'relays:all', 1, id)
        redis.call('ZINCRBY', prefix .. 'relays:region:' .. h[5], 1, id)
        h[6] = tostring(load + 1)
        return h
      end
    end
  end
  return nil
end
return pick_from(KEYS[1]) or (KEYS[1] ~= KEYS[2] and pick_from(KEYS[2])) or {}
)lua");
  return script;
}

}  // namespace sudachi::storage::redis

#include "storage/redis/presence_scripts.hpp"

namespace sudachi::storage::redis {
namespace {

// Milliseconds of Redis' clock. Redis 7 replicates script effects, so TIME before writes is
// allowed.
constexpr const char* kNow = R"lua(
local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
)lua";

std::string with_now(const char* body) {
  return std::string(kNow) + body;
}

}  // namespace

const RedisScript& presence_claim_script() {
  static const RedisScript script(with_now(R"lua(
local previous = redis.call('GET', KEYS[1])
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
redis.call('ZADD', KEYS[2], now_ms(), ARGV[3])
return previous
)lua"));
  return script;
}

const RedisScript& presence_refresh_script() {
  static const RedisScript script(with_now(R"lua(
local ttl, n = ARGV[1], tonumber(ARGV[4])
redis.call('SET', KEYS[2], ARGV[3], 'PX', ARGV[2])
local now = now_ms()
local lost = {}
for i = 1, n do
  local key, value, cid = KEYS[2 + i], ARGV[4 + i], ARGV[4 + n + i]
  local current = redis.call('GET', key)
  if (not current) or current == value then
    redis.call('SET', key, value, 'PX', ttl)
    redis.call('ZADD', KEYS[1], now, cid)
  else
    lost[#lost + 1] = cid
  end
end
return lost
)lua"));
  return script;
}

const RedisScript& presence_release_script() {
  static const RedisScript script(R"lua(
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('DEL', KEYS[1])
  redis.call('ZREM', KEYS[2], ARGV[2])
  return 1
end
return 0
)lua");
  return script;
}

const RedisScript& presence_sweep_script() {
  // The presence key is derived from the prefix (not declared): see docs/redis.md, Cluster.
  static const RedisScript script(with_now(R"lua(
local prefix, grace, limit = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3])
local stale = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now_ms() - grace, 'LIMIT', 0, limit)
local gone = {}
for _, cid in ipairs(stale) do
  redis.call('ZREM', KEYS[1], cid)
  if redis.call('EXISTS', prefix .. 'presence:{' .. cid .. '}') == 0 then gone[#gone + 1] = cid end
end
return gone
)lua"));
  return script;
}

}  // namespace sudachi::storage::redis

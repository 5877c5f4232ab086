#include "storage/redis/rate_limit_script.hpp"

namespace sudachi::storage::redis {

// The key holds the window's count, expiring with the window (opened by its first request),
// or "B" while the key is blocked, expiring with the block. So: a refused request during a
// block changes nothing; when the block ends the key starts afresh; without a block, requests
// over the limit are refused (and counted) until the window ends, as MemoryRateLimiter does.
const RedisScript& rate_limit_script() {
  static const RedisScript script(R"lua(
local key = KEYS[1]
local points, duration, block = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local value = redis.call('GET', key)
if value == 'B' then
  local left = redis.call('PTTL', key)
  if left < 0 then  -- a block without expiry cannot be ours: restore the bound
    redis.call('PEXPIRE', key, block)
    left = block
  end
  return {0, left}
end
if value and not tonumber(value) then redis.call('DEL', key) end  -- foreign data: start over
local count = redis.call('INCR', key)
local left = duration
if count == 1 then
  redis.call('PEXPIRE', key, duration)
else
  left = redis.call('PTTL', key)
  if left < 0 then
    redis.call('PEXPIRE', key, duration)
    left = duration
  end
end
if count <= points then return {1, 0} end
if block > 0 then
  redis.call('SET', key, 'B', 'PX', block)
  return {0, block}
end
return {0, left}
)lua");
  return script;
}

}  // namespace sudachi::storage::redis

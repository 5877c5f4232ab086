#include "storage/redis/room_scripts.hpp"

#include <string>

#include "storage/redis/room_codec.hpp"

namespace sudachi::storage::redis {
namespace {

// Shared by every script. Key names mirror RedisKeys (redis_keys.hpp). Keys other than
// KEYS[1] are derived here from the prefix: fine on a single Redis, and the list of them is
// what Redis Cluster would need declared or split (docs/redis.md, "Cluster").
constexpr const char* kHelpers = R"lua(
local P = ARGV[1]
local TTL = tonumber(ARGV[2])
local F = {}
for i, name in ipairs(FIELDS) do F[name] = i end

local function rkey(id) return P .. 'room:{' .. id .. '}' end
local function mkey(id) return rkey(id) .. ':members' end
local function pkey(id) return rkey(id) .. ':profiles' end
local function bkey(id) return rkey(id) .. ':bans' end
local function ckey(cid) return P .. 'client:{' .. cid .. '}:room' end
local PUBLIC = P .. 'rooms:public'
local function gkey(game) return P .. 'rooms:game:' .. game end

local function exists(id) return redis.call('EXISTS', rkey(id)) == 1 end
local function is_member(id, cid) return redis.call('ZSCORE', mkey(id), cid) ~= false end
local function fields(id) return redis.call('HMGET', rkey(id), unpack(FIELDS)) end

-- {cid, username, platform, joined_at, ...} in join order
local function members(id)
  local out = {}
  for _, cid in ipairs(redis.call('ZRANGE', mkey(id), 0, -1)) do
    local p = redis.call('HMGET', pkey(id), 'u:' .. cid, 'p:' .. cid, 'j:' .. cid)
    out[#out + 1] = cid
    out[#out + 1] = p[1] or ''
    out[#out + 1] = p[2] or ''
    out[#out + 1] = p[3] or '0'
  end
  return out
end

local function view(id) return {'OK', fields(id), members(id)} end

-- The room the client is in. A claim whose room expired (or that outlived its membership)
-- is stale: dropped here, so a client is never locked out by an abandoned room.
local function room_of(cid)
  local id = redis.call('GET', ckey(cid))
  if not id then return nil end
  if exists(id) and is_member(id, cid) then return id end
  redis.call('DEL', ckey(cid))
  return nil
end

-- Forgets the client's claim, but only if it is this room's.
local function release(cid, id)
  if redis.call('GET', ckey(cid)) == id then redis.call('DEL', ckey(cid)) end
end

-- Activity: the room's keys and its members' claims live TTL ms more.
local function touch(id)
  for _, key in ipairs({rkey(id), mkey(id), pkey(id), bkey(id)}) do
    redis.call('PEXPIRE', key, TTL)
  end
  for _, cid in ipairs(redis.call('ZRANGE', mkey(id), 0, -1)) do
    redis.call('PEXPIRE', ckey(cid), TTL)
  end
end

-- Keeps the lobby indexes in step with the room's visibility.
local function reindex(id)
  local r = redis.call('HMGET', rkey(id), 'vis', 'created', 'game_id')
  if r[1] == 'public' then
    redis.call('ZADD', PUBLIC, r[2], id)
    redis.call('ZADD', gkey(r[3]), r[2], id)
  else
    redis.call('ZREM', PUBLIC, id)
    redis.call('ZREM', gkey(r[3]), id)
  end
end

local function delete_room(id)
  local game = redis.call('HGET', rkey(id), 'game_id')
  for _, cid in ipairs(redis.call('ZRANGE', mkey(id), 0, -1)) do release(cid, id) end
  redis.call('DEL', rkey(id), mkey(id), pkey(id), bkey(id))
  redis.call('ZREM', PUBLIC, id)
  if game then redis.call('ZREM', gkey(game), id) end
end

-- NOT_IN_ROOM unless a member, then NOT_HOST unless the host.
local function host_blocker(id, cid)
  if not is_member(id, cid) then return 'NOT_IN_ROOM' end
  if redis.call('HGET', rkey(id), 'host') ~= cid then return 'NOT_HOST' end
  return nil
end

-- Removes a member: host migration to the longest-present member, deletion when empty.
local function remove_member(id, cid)
  local p = redis.call('HMGET', pkey(id), 'u:' .. cid, 'p:' .. cid, 'j:' .. cid)
  local departed = {cid, p[1] or '', p[2] or '', p[3] or '0'}
  redis.call('ZREM', mkey(id), cid)
  redis.call('HDEL', pkey(id), 'u:' .. cid, 'p:' .. cid, 'j:' .. cid)
  release(cid, id)
  local count = redis.call('ZCARD', mkey(id))
  redis.call('HSET', rkey(id), 'players', count)
  if count == 0 then
    local last = fields(id)
    delete_room(id)
    return {'OK', last, {}, departed, false, 1}
  end
  local new_host = false
  if redis.call('HGET', rkey(id), 'host') == cid then
    new_host = redis.call('ZRANGE', mkey(id), 0, 0)[1]
    local name = redis.call('HGET', pkey(id), 'u:' .. new_host) or ''
    redis.call('HSET', rkey(id), 'host', new_host, 'host_name', name)
  end
  touch(id)
  return {'OK', fields(id), members(id), departed, new_host, 0}
end
)lua";

// ARGV: 3 room id, 4 host id, 5 username, 6 platform, 7 joined_at, 8.. field/value pairs
constexpr const char* kCreate = R"lua(
local id, cid = ARGV[3], ARGV[4]
if exists(id) then return {'INTERNAL', 'Room id collision'} end
if room_of(cid) then return {'ALREADY_IN_ROOM'} end
-- Leftovers of an expired room with this id (its keys expire one by one).
redis.call('DEL', mkey(id), pkey(id), bkey(id))
local record = {}
for i = 8, #ARGV do record[#record + 1] = ARGV[i] end
redis.call('HSET', rkey(id), unpack(record))
redis.call('HSET', rkey(id), 'seq', 1)
redis.call('ZADD', mkey(id), 1, cid)
redis.call('HSET', pkey(id), 'u:' .. cid, ARGV[5], 'p:' .. cid, ARGV[6], 'j:' .. cid, ARGV[7])
redis.call('SET', ckey(cid), id)
reindex(id)
touch(id)
return view(id)
)lua";

// ARGV: 3 room id
constexpr const char* kGet = R"lua(
local id = ARGV[3]
if not exists(id) then return {'ROOM_NOT_FOUND'} end
touch(id)
return view(id)
)lua";

// ARGV: 3 client id
constexpr const char* kRoomOf = R"lua(
return {'OK', room_of(ARGV[3]) or false}
)lua";

// ARGV: 3 room id, 4 client id, 5 username, 6 platform, 7 joined_at, 8 expected password
// hash, 9 check only ("1": the checks up to BANNED, nothing written)
constexpr const char* kJoin = R"lua(
local id, cid = ARGV[3], ARGV[4]
if not exists(id) then return {'ROOM_NOT_FOUND'} end
if room_of(cid) then return {'ALREADY_IN_ROOM'} end
if redis.call('SISMEMBER', bkey(id), cid) == 1 then return {'BANNED'} end
if ARGV[9] == '1' then return {'OK', fields(id), {}} end
local r = redis.call('HMGET', rkey(id), 'pw', 'max', 'peak')
-- The caller verified the password against this hash; if it changed since, that proves nothing.
if (r[1] or '') ~= ARGV[8] then return {'WRONG_PASSWORD'} end
local count = redis.call('ZCARD', mkey(id))
if count >= (tonumber(r[2]) or 0) then return {'ROOM_FULL'} end
local seq = redis.call('HINCRBY', rkey(id), 'seq', 1)
redis.call('ZADD', mkey(id), seq, cid)
redis.call('HSET', pkey(id), 'u:' .. cid, ARGV[5], 'p:' .. cid, ARGV[6], 'j:' .. cid, ARGV[7])
count = count + 1
redis.call('HSET', rkey(id), 'players', count, 'peak', math.max(count, tonumber(r[3]) or 0))
redis.call('SET', ckey(cid), id)
touch(id)
return view(id)
)lua";

// ARGV: 3 room id, 4 client id
constexpr const char* kLeave = R"lua(
local id, cid = ARGV[3], ARGV[4]
if not exists(id) then return {'ROOM_NOT_FOUND'} end
if not is_member(id, cid) then return {'NOT_IN_ROOM'} end
return remove_member(id, cid)
)lua";

// ARGV: 3 room id, 4 host id, 5 target id
constexpr const char* kKick = R"lua(
local id, host, target = ARGV[3], ARGV[4], ARGV[5]
if not exists(id) then return {'ROOM_NOT_FOUND'} end
local blocker = host_blocker(id, host)
if blocker then return {blocker} end
if target == host then return {'INVALID_REQUEST', 'The host cannot kick itself'} end
if not is_member(id, target) then return {'NOT_IN_ROOM'} end
redis.call('SADD', bkey(id), target)
return remove_member(id, target)
)lua";

// ARGV: 3 room id, 4 host id
constexpr const char* kClose = R"lua(
local id, host = ARGV[3], ARGV[4]
if not exists(id) then return {'ROOM_NOT_FOUND'} end
local blocker = host_blocker(id, host)
if blocker then return {blocker} end
local before = view(id)
delete_room(id)
return before
)lua";

// ARGV: 3 room id, 4 host id, then a set-flag ("1") and a value for each of name,
// max_players, password hash, visibility: 5/6, 7/8, 9/10, 11/12
constexpr const char* kUpdate = R"lua(
local id, host = ARGV[3], ARGV[4]
if not exists(id) then return {'ROOM_NOT_FOUND'} end
local blocker = host_blocker(id, host)
if blocker then return {blocker} end
-- Validate everything before changing anything: a refused update changes nothing.
if ARGV[7] == '1' and tonumber(ARGV[8]) < redis.call('ZCARD', mkey(id)) then
  return {'INVALID_REQUEST', 'maxPlayers is below the current player count'}
end
if ARGV[5] == '1' then redis.call('HSET', rkey(id), 'name', ARGV[6]) end
if ARGV[7] == '1' then redis.call('HSET', rkey(id), 'max', ARGV[8]) end
if ARGV[9] == '1' then redis.call('HSET', rkey(id), 'pw', ARGV[10]) end
if ARGV[11] == '1' then redis.call('HSET', rkey(id), 'vis', ARGV[12]) end
reindex(id)
touch(id)
return view(id)
)lua";

// ARGV: 3 room id, 4 counter field (c_direct, c_relay, c_failed)
constexpr const char* kRecordP2p = R"lua(
local id = ARGV[3]
if not exists(id) then return {'ROOM_NOT_FOUND'} end
redis.call('HINCRBY', rkey(id), ARGV[4], 1)
touch(id)
return {'OK'}
)lua";

// KEYS[1] the index to walk (rooms:public or rooms:game:<id>). ARGV: 3 offset, 4 limit,
// 5 region set ("1"), 6 region, 7 has_password (-1 any, 0, 1), 8 not_full ("1"), 9 scan cap.
// Answers {'OK', total, {fields...}}.
//
// Without region/password/notFull filters the index is exactly the result: total is ZCARD and
// the page comes straight from ZREVRANGE (O(log N + limit)). With them, the script walks the
// index newest first, examining at most `scan cap` entries, so one listing costs Redis a
// bounded amount of work whatever the lobby's size; total then counts matches among those.
// Entries whose room expired are removed from the indexes as they are met.
constexpr const char* kList = R"lua(
local index = KEYS[1]
local offset = math.max(tonumber(ARGV[3]) or 0, 0)
local limit = math.max(tonumber(ARGV[4]) or 0, 0)
local by_region, region = ARGV[5] == '1', ARGV[6]
local password = tonumber(ARGV[7]) or -1
local not_full = ARGV[8] == '1'
local cap = tonumber(ARGV[9]) or 1000
local rooms = {}

local function drop_stale(id)
  redis.call('ZREM', index, id)
  redis.call('ZREM', PUBLIC, id)
end

local function matches(f)
  if f[F.vis] ~= 'public' then return false end
  if by_region and f[F.region] ~= region then return false end
  if password >= 0 and ((f[F.pw] or '') ~= '') ~= (password == 1) then return false end
  if not_full and (tonumber(f[F.players]) or 0) >= (tonumber(f[F.max]) or 0) then return false end
  return true
end

if not (by_region or password >= 0 or not_full) then
  local pos, rounds = offset, 0
  while #rooms < limit and rounds < 8 do
    rounds = rounds + 1
    local ids = redis.call('ZREVRANGE', index, pos, pos + (limit - #rooms) - 1)
    if #ids == 0 then break end
    local kept = 0
    for _, id in ipairs(ids) do
      local f = fields(id)
      if f[1] then
        rooms[#rooms + 1] = f
        kept = kept + 1
      else
        drop_stale(id)
      end
    end
    pos = pos + kept
  end
  return {'OK', redis.call('ZCARD', index), rooms}
end

local total, pos, examined, batch = 0, 0, 0, 100
while examined < cap do
  local ids = redis.call('ZREVRANGE', index, pos, pos + math.min(batch, cap - examined) - 1)
  if #ids == 0 then break end
  examined = examined + #ids
  for _, id in ipairs(ids) do
    local f = fields(id)
    if not f[1] then
      drop_stale(id)
    else
      pos = pos + 1
      if matches(f) then
        if total >= offset and total < offset + limit then rooms[#rooms + 1] = f end
        total = total + 1
      end
    end
  end
end
return {'OK', total, rooms}
)lua";

std::string fields_table() {
  std::string out = "local FIELDS = {";
  for (std::string_view name : kRoomFields) out.append("'").append(name).append("',");
  out += "}\n";
  return out;
}

RedisScript make(const char* body) {
  return RedisScript(fields_table() + kHelpers + body);
}

}  // namespace

const RedisScript& create_room_script() {
  static const RedisScript s = make(kCreate);
  return s;
}
const RedisScript& get_room_script() {
  static const RedisScript s = make(kGet);
  return s;
}
const RedisScript& room_of_script() {
  static const RedisScript s = make(kRoomOf);
  return s;
}
const RedisScript& join_room_script() {
  static const RedisScript s = make(kJoin);
  return s;
}
const RedisScript& leave_room_script() {
  static const RedisScript s = make(kLeave);
  return s;
}
const RedisScript& kick_script() {
  static const RedisScript s = make(kKick);
  return s;
}
const RedisScript& close_room_script() {
  static const RedisScript s = make(kClose);
  return s;
}
const RedisScript& update_room_script() {
  static const RedisScript s = make(kUpdate);
  return s;
}
const RedisScript& record_p2p_script() {
  static const RedisScript s = make(kRecordP2p);
  return s;
}
const RedisScript& list_rooms_script() {
  static const RedisScript s = make(kList);
  return s;
}

}  // namespace sudachi::storage::redis

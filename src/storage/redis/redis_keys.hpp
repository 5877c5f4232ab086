#pragma once

#include <string>
#include <string_view>

namespace sudachi::storage::redis {

// The key schema (docs/redis.md). A room's keys carry the room id as a hash tag, so they share
// one Redis Cluster slot and a script may touch them together there too:
//   <p>room:{<id>}            HASH    the room record (fields: room_codec.hpp) and `seq`
//   <p>room:{<id>}:members    ZSET    client ids scored by join sequence (join order)
//   <p>room:{<id>}:profiles   HASH    u:<cid> username, p:<cid> platform, j:<cid> joined_at
//   <p>room:{<id>}:bans       SET     kicked client ids
//   <p>client:{<cid>}:room    STRING  the room the client is in
//   <p>rooms:public           ZSET    public room ids by created_at (ms)
//   <p>rooms:game:<gameId>    ZSET    public room ids of one game by created_at
// The room scripts build the same names in Lua (room_scripts.cpp); a test checks they agree.
// The prefix must not contain '{' or '}' (it would move the hash tag).
class RedisKeys {
 public:
  explicit RedisKeys(std::string prefix = {}) : prefix_(std::move(prefix)) {}

  const std::string& prefix() const { return prefix_; }
  std::string room(std::string_view id) const;
  std::string members(std::string_view id) const;
  std::string profiles(std::string_view id) const;
  std::string bans(std::string_view id) const;
  std::string client(std::string_view client_id) const;
  std::string public_index() const;
  std::string game_index(std::string_view game_id) const;

 private:
  std::string prefix_;
};

}  // namespace sudachi::storage::redis

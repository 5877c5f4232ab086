#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "room/relay_sessions.hpp"
#include "storage/redis/redis_client.hpp"

namespace sudachi::storage::redis {

struct RedisRelaySessionsOptions {
  std::string key_prefix;  // as the room store's; no '{' or '}'
};

// The RelaySessions shared by every instance: one key per peer pair, claimed by one Lua script
// (SET NX PX, else GET), so that two instances handling the two mirrored p2p:failure reports of
// a pair agree on one session. Key (docs/redis.md, "Key schema"):
//   <p>relaysess:{<roomId>}:<len(a)>:<a>:<b>   STRING  the record, TTL = the token lifetime
// with a < b; the room id is the hash tag, so the key shares the room's Cluster slot. The
// length of `a` makes the name unambiguous although client ids may contain ':'.
// UNAVAILABLE when Redis cannot answer; INTERNAL for a corrupt value.
class RedisRelaySessions final : public room::RelaySessions {
 public:
  RedisRelaySessions(std::shared_ptr<RedisClient> client, RedisRelaySessionsOptions options = {});

  // The callback runs on the Redis thread.
  void claim(room::RelaySessionKey key, room::RelaySessionRecord candidate, std::int64_t ttl_ms,
             room::Callback<room::RelaySessionRecord> done) override;

  std::string key_of(const room::RelaySessionKey& key) const;

 private:
  std::shared_ptr<RedisClient> client_;
  RedisRelaySessionsOptions options_;
};

// The stored value, one line of text:
//   <32 hex session id>|<expires_at_ms>|<udp port>|<tcp port>|<len(relay id)>|<relay id>|<host>
// The relay id is length-prefixed and the host is the rest, so neither needs escaping.
std::string encode_relay_session(const room::RelaySessionRecord& record);
std::optional<room::RelaySessionRecord> decode_relay_session(std::string_view text);

}  // namespace sudachi::storage::redis

#pragma once

#include <string>
#include <string_view>

namespace sudachi::storage::redis {

// Keys and channels of cross-instance operation (docs/scaling.md), beside the room store's
// RedisKeys. Same prefix rule: no '{' or '}'. Per-client keys carry the client id as hash tag,
// the tag of the room store's client:{<cid>}:room, so one client's keys share a Cluster slot.
//   <p>presence:{<cid>}        STRING  "<instance>|<serial>": which instance holds the client
//   <p>presence:seen           ZSET    client ids by the last presence refresh (ms, Redis time)
//   <p>instance:<id>           STRING  liveness of an instance (JSON info), TTL
//   <p>inst:<id>               channel messages for the clients of one instance
//   <p>lobby:<gameId>          channel room:list:update frames of one game (PSUBSCRIBE lobby:*)
//   <p>relay:{<id>}            HASH    a relay's registration, TTL
//   <p>relays:all              ZSET    relay ids by load (sessions)
//   <p>relays:region:<region>  ZSET    relay ids of one region by load
class ClusterKeys {
 public:
  explicit ClusterKeys(std::string prefix = {}) : prefix_(std::move(prefix)) {}

  const std::string& prefix() const { return prefix_; }
  std::string presence(std::string_view client_id) const {
    return cat("presence:{", client_id, "}");
  }
  std::string presence_seen() const { return prefix_ + "presence:seen"; }
  std::string instance(std::string_view id) const { return cat("instance:", id); }
  std::string instance_channel(std::string_view id) const { return cat("inst:", id); }
  std::string lobby_channel(std::string_view game_id) const { return cat("lobby:", game_id); }
  std::string lobby_pattern() const { return prefix_ + "lobby:*"; }
  std::string relay(std::string_view id) const { return cat("relay:{", id, "}"); }
  std::string relays_all() const { return prefix_ + "relays:all"; }
  std::string relays_region(std::string_view region) const { return cat("relays:region:", region); }

 private:
  std::string cat(std::string_view a, std::string_view b, std::string_view c = {}) const {
    std::string out = prefix_;
    out.append(a).append(b).append(c);
    return out;
  }
  std::string prefix_;
};

}  // namespace sudachi::storage::redis

#include "storage/redis/redis_keys.hpp"

namespace sudachi::storage::redis {

std::string RedisKeys::room(std::string_view id) const {
  std::string key = prefix_;
  key.append("room:{").append(id).append("}");
  return key;
}

std::string RedisKeys::members(std::string_view id) const {
  return room(id) + ":members";
}
std::string RedisKeys::profiles(std::string_view id) const {
  return room(id) + ":profiles";
}
std::string RedisKeys::bans(std::string_view id) const {
  return room(id) + ":bans";
}

std::string RedisKeys::client(std::string_view client_id) const {
  std::string key = prefix_;
  key.append("client:{").append(client_id).append("}:room");
  return key;
}

std::string RedisKeys::public_index() const {
  return prefix_ + "rooms:public";
}

std::string RedisKeys::game_index(std::string_view game_id) const {
  std::string key = prefix_;
  key.append("rooms:game:").append(game_id);
  return key;
}

}  // namespace sudachi::storage::redis

#include "storage/redis/internal/reply_convert.hpp"

#include <hiredis/hiredis.h>

#include <string>
#include <vector>

namespace sudachi::storage::redis::internal {

RedisReply convert_reply(const redisReply* reply) {
  if (reply == nullptr) return RedisReply();
  auto text = [reply] { return reply->str ? std::string(reply->str, reply->len) : std::string(); };
  switch (reply->type) {
    case REDIS_REPLY_NIL:
      return RedisReply();
    case REDIS_REPLY_INTEGER:
      return RedisReply::integer(reply->integer);
    case REDIS_REPLY_STRING:
      return RedisReply::string(text());
    case REDIS_REPLY_STATUS:
      return RedisReply::status(text());
    case REDIS_REPLY_ERROR:
      return RedisReply::error(text());
    case REDIS_REPLY_ARRAY: {
      std::vector<RedisReply> elements;
      elements.reserve(reply->elements);
      for (std::size_t i = 0; i < reply->elements; ++i) {
        elements.push_back(convert_reply(reply->element ? reply->element[i] : nullptr));
      }
      return RedisReply::array(std::move(elements));
    }
    default:
      return RedisReply::error("ERR unknown reply type " + std::to_string(reply->type));
  }
}

}  // namespace sudachi::storage::redis::internal

#pragma once

#include "storage/redis/redis_reply.hpp"

struct redisReply;

namespace sudachi::storage::redis::internal {

// Copies a hiredis reply tree into an owned RedisReply. Unknown reply types (none exist in
// hiredis 0.14's RESP2, but a newer library could add some) become error replies rather than
// being trusted. The depth is bounded by hiredis' reader (7 levels of nesting).
RedisReply convert_reply(const redisReply* reply);

}  // namespace sudachi::storage::redis::internal

#pragma once

#include "storage/redis/redis_script.hpp"

namespace sudachi::storage::redis {

// Fixed window plus block, for one key, atomically. KEYS[1] the counter; ARGV points,
// duration_ms, block_ms. Answers {1, 0} (allowed) or {0, ms until a request can succeed}.
// Redis keeps the time (PEXPIRE/PTTL), so instances with skewed clocks agree.
const RedisScript& rate_limit_script();

}  // namespace sudachi::storage::redis

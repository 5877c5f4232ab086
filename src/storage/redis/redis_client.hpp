#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "common/result.hpp"
#include "storage/redis/redis_options.hpp"
#include "storage/redis/redis_reply.hpp"
#include "storage/redis/redis_script.hpp"

namespace sudachi::storage::redis {

struct RedisClientStats {
  std::uint64_t commands = 0;      // sent to Redis
  std::uint64_t unavailable = 0;   // failed fast: not connected, too many in flight, shutting down
  std::uint64_t timeouts = 0;      // no reply within command_timeout
  std::uint64_t connections = 0;   // times a connection became ready (1 + reconnections)
  std::uint64_t script_loads = 0;  // NOSCRIPT answered by sending the script text
};

// A command connection to Redis: hiredis' async API driven by a private Boost.Asio io_context
// on a dedicated thread, so callers on network threads never block on Redis and the rest of
// the program never sees Asio or hiredis types.
//
// - command() and eval() may be called from any thread. The callback runs later, on the Redis
//   thread, exactly once: keep it short (hand real work to your own executor) and do not
//   destroy the client from inside it.
// - While the connection is down (or still handshaking) commands fail at once with
//   UNAVAILABLE: nothing queues for a server that may not come back. A command without a reply
//   after command_timeout fails with UNAVAILABLE and the connection is reopened, because
//   replies arrive in order and every later reply is stuck behind the missing one. A timed-out
//   command may still have been executed by Redis: callers that care read the state back.
// - The connection reopens by itself with backoff; the client object stays valid throughout.
// - Redis error replies (WRONGTYPE, a Lua error) are successful results holding an error
//   reply: they are answers, not transport failures. to_error() maps them when needed.
// - Destruction completes every pending callback (UNAVAILABLE) before it returns.
class RedisClient {
 public:
  using ReplyCallback = std::function<void(Result<RedisReply>)>;

  // Starts the Redis thread and waits, at most connect_timeout, for the first connection
  // attempt. An unreachable Redis is not an error here (the client keeps trying and
  // healthy() tells); INVALID_REQUEST for options that cannot work (no host, zero timeouts).
  static Result<std::unique_ptr<RedisClient>> connect(RedisOptions options);
  static Result<std::unique_ptr<RedisClient>> connect_url(std::string_view url);

  ~RedisClient();
  RedisClient(const RedisClient&) = delete;
  RedisClient& operator=(const RedisClient&) = delete;

  // Any command, binary-safe: each argument is sent as one bulk string.
  void command(std::vector<std::string> args, ReplyCallback done);

  // EVALSHA, and EVAL with the text when Redis answers NOSCRIPT (so scripts survive a Redis
  // restart or SCRIPT FLUSH). `script` must outlive the callback (keep scripts static).
  void eval(const RedisScript& script, std::vector<std::string> keys, std::vector<std::string> args,
            ReplyCallback done);

  // Connected and answering (a PING every health_interval keeps this current while idle).
  bool healthy() const;
  RedisClientStats stats() const;

 private:
  struct Impl;
  explicit RedisClient(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace sudachi::storage::redis

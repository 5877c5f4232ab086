#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "common/result.hpp"
#include "storage/redis/redis_options.hpp"

namespace sudachi::storage::redis {

// One pub/sub message. `pattern` is empty for a channel subscription, the matching pattern
// for a PSUBSCRIBE one (and then `channel` is the channel it was published to).
struct RedisMessage {
  std::string pattern;
  std::string channel;
  std::string payload;
};

struct RedisSubscriberStats {
  std::uint64_t messages = 0;     // delivered to the handler
  std::uint64_t malformed = 0;    // pushes of an unexpected shape, ignored
  std::uint64_t connections = 0;  // times the connection became ready
};

// A dedicated pub/sub connection (a subscribed Redis connection cannot run other commands),
// with its own Redis thread, reconnecting by itself like RedisClient.
//
// The subscriber owns the *desired* set of channels and patterns: subscribe() adds to it and
// survives disconnects; after every reconnect the whole set is subscribed again. Delivery is
// at most once: what is published while the connection is down is lost (Redis pub/sub keeps
// nothing). Users that need to repair that gap watch the state handler: false when the
// connection drops, true once it is back and every desired subscription is confirmed again;
// resynchronise (re-read state from Redis) on each true after a false.
//
// Handlers run on the subscriber's thread, one at a time, in the order Redis sent the pushes:
// keep them short (hand off to your executor); never destroy the subscriber from inside one.
// Methods may be called from any thread. Destruction stops the thread; no handler runs after
// the destructor returns.
//
// Liveness: hiredis 0.14 cannot PING on a subscribed connection, so a server that vanishes
// without closing the socket (rather than crashing or restarting, which closes it) is noticed
// by TCP keepalive only (hiredis' 15 s probes; the kernel then needs a few more intervals).
// Components that need faster detection publish a heartbeat on a channel they subscribe to,
// through a RedisClient, and watch it arrive.
class RedisSubscriber {
 public:
  using MessageHandler = std::function<void(const RedisMessage&)>;
  using StateHandler = std::function<void(bool subscribed)>;
  using DoneCallback = std::function<void(Status)>;

  // Starts the thread and waits at most connect_timeout for the first attempt (an unreachable
  // Redis is not an error: it keeps trying). INVALID_REQUEST for unusable options.
  static Result<std::unique_ptr<RedisSubscriber>> connect(RedisOptions options,
                                                          MessageHandler on_message,
                                                          StateHandler on_state = {});
  ~RedisSubscriber();
  RedisSubscriber(const RedisSubscriber&) = delete;
  RedisSubscriber& operator=(const RedisSubscriber&) = delete;

  // Adds to the desired set, and subscribes now if connected. `done` (optional, on the
  // subscriber's thread): OK once Redis confirmed the subscription; UNAVAILABLE if the
  // connection is down or drops first; the channel stays desired either way, and is
  // subscribed again on the next connection.
  void subscribe(std::string channel, DoneCallback done = {});
  void psubscribe(std::string pattern, DoneCallback done = {});
  void unsubscribe(std::string channel);
  void punsubscribe(std::string pattern);

  // Connected, and every desired subscription confirmed since the last (re)connect.
  bool healthy() const;
  RedisSubscriberStats stats() const;

 private:
  struct Impl;
  explicit RedisSubscriber(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace sudachi::storage::redis

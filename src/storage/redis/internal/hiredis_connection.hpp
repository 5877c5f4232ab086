#pragma once

#include <cstdint>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include "storage/redis/redis_options.hpp"

struct redisAsyncContext;

namespace sudachi::storage::redis::internal {

// One logical connection to Redis that keeps itself open: connect (bounded by
// connect_timeout), AUTH and SELECT, report ready; when the socket dies, report the loss and
// try again after a backoff (reconnect_min doubling to reconnect_max, with jitter), forever,
// until close(). The command client and the subscriber each own one.
//
// Every method runs on the io_context's thread, and so do the events. Events are posted, never
// called from inside a hiredis callback, so their handlers may do anything, drop() included.
class HiredisConnection {
 public:
  struct Events {
    std::function<void()> ready;           // connected, authenticated, database selected
    std::function<void()> lost;            // a ready connection went away
    std::function<void()> attempt_failed;  // an attempt ended before it was ready
  };

  HiredisConnection(boost::asio::io_context& io, RedisOptions options, bool select_database,
                    Events events);
  ~HiredisConnection();
  HiredisConnection(const HiredisConnection&) = delete;
  HiredisConnection& operator=(const HiredisConnection&) = delete;

  void start();  // first attempt now
  // Frees the context (hiredis completes its pending callbacks with a null reply) and stops
  // reconnecting. No events after it. The io_context must still run afterwards so that the
  // owner's posted completions execute.
  void close();
  // Frees the context now, e.g. because a reply is overdue (replies come in order, so one lost
  // reply blocks every later one), and reconnects after the backoff. Never call it from inside
  // a hiredis callback.
  void drop();

  // The connected context, or null while not ready. Commands go only through this.
  redisAsyncContext* context() const { return ready_ ? context_ : nullptr; }
  bool ready() const { return ready_; }

 private:
  static void on_connect(const redisAsyncContext* context, int status);
  static void on_handshake_reply(redisAsyncContext* context, void* reply, void* privdata);

  void open();
  void send_handshake_step();
  void handshake_failed();
  void become_ready();
  void context_gone(std::uint64_t generation);
  void schedule_retry();
  std::chrono::milliseconds next_delay();

  boost::asio::io_context& io_;
  const RedisOptions options_;
  const bool select_database_;
  Events events_;
  boost::asio::steady_timer connect_timer_;
  boost::asio::steady_timer retry_timer_;
  std::minstd_rand random_;

  redisAsyncContext* context_ = nullptr;
  std::uint64_t generation_ = 0;  // of context_: stale posted work recognises itself
  bool ready_ = false;
  bool closed_ = false;
  int handshake_step_ = 0;  // 0 AUTH, 1 SELECT, 2 done (steps not needed are skipped)
  int failures_ = 0;        // consecutive failed attempts, for the backoff
};

}  // namespace sudachi::storage::redis::internal

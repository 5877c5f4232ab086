#include "storage/redis/internal/hiredis_connection.hpp"

#include <hiredis/async.h>
#include <hiredis/hiredis.h>

#include <algorithm>
#include <boost/asio/post.hpp>

#include "storage/redis/internal/asio_adapter.hpp"

namespace sudachi::storage::redis::internal {

namespace asio = boost::asio;

HiredisConnection::HiredisConnection(asio::io_context& io, RedisOptions options,
                                     bool select_database, Events events)
    : io_(io),
      options_(std::move(options)),
      select_database_(select_database),
      events_(std::move(events)),
      connect_timer_(io),
      retry_timer_(io),
      random_(std::random_device{}()) {}

HiredisConnection::~HiredisConnection() {
  close();
}

void HiredisConnection::start() {
  if (!closed_ && context_ == nullptr) open();
}

void HiredisConnection::close() {
  closed_ = true;
  connect_timer_.cancel();
  retry_timer_.cancel();
  drop();
}

void HiredisConnection::drop() {
  if (context_ == nullptr) return;
  redisAsyncContext* context = context_;
  // Frees synchronously (we are not inside a hiredis callback): pending callbacks run with a
  // null reply, then the adapter's cleanup hook calls context_gone().
  redisAsyncFree(context);
}

void HiredisConnection::open() {
  if (closed_) return;
  ++generation_;
  ready_ = false;
  handshake_step_ = 0;
  // Resolves host names synchronously, on this (the Redis) thread only. Use an address, or a
  // local resolver, where name resolution can be slow.
  redisAsyncContext* context = redisAsyncConnect(options_.host.c_str(), options_.port);
  if (context == nullptr || context->err != 0) {
    if (context != nullptr) redisAsyncFree(context);  // no adapter yet: nothing else to undo
    if (events_.attempt_failed) asio::post(io_, events_.attempt_failed);
    schedule_retry();
    return;
  }
  const std::uint64_t generation = generation_;
  if (!attach_to_asio(context, io_, [this, generation] { context_gone(generation); })) {
    redisAsyncFree(context);
    if (events_.attempt_failed) asio::post(io_, events_.attempt_failed);
    schedule_retry();
    return;
  }
  context_ = context;
  context->data = this;
  redisAsyncSetConnectCallback(context, &HiredisConnection::on_connect);

  connect_timer_.expires_after(options_.connect_timeout);
  connect_timer_.async_wait([this, generation](const boost::system::error_code& ec) {
    if (ec || generation != generation_ || ready_) return;
    drop();  // not connected and authenticated in time: give up on this attempt
  });
}

void HiredisConnection::on_connect(const redisAsyncContext* context, int status) {
  auto* self = static_cast<HiredisConnection*>(context->data);
  // On failure hiredis frees the context right after this returns; the cleanup hook reports it.
  if (status != REDIS_OK || self == nullptr) return;
  // Dead peers that never answer (a pulled cable, a frozen VM) are found by TCP keepalive.
  redisEnableKeepAlive(const_cast<redisContext*>(&context->c));
  self->send_handshake_step();
}

void HiredisConnection::send_handshake_step() {
  std::vector<std::string> args;
  if (handshake_step_ == 0) {
    if (options_.password.empty()) {
      handshake_step_ = 1;
    } else {
      args = {"AUTH"};
      if (!options_.username.empty()) args.push_back(options_.username);
      args.push_back(options_.password);
    }
  }
  if (handshake_step_ == 1 && args.empty()) {
    if (!select_database_ || options_.database == 0) {
      handshake_step_ = 2;
    } else {
      args = {"SELECT", std::to_string(options_.database)};
    }
  }
  if (handshake_step_ == 2) {
    // Posted: we may be inside a hiredis callback here.
    asio::post(io_, [this, generation = generation_] {
      if (generation == generation_ && context_ != nullptr && !closed_) become_ready();
    });
    return;
  }
  std::vector<const char*> argv;
  std::vector<std::size_t> lengths;
  for (const std::string& arg : args) {
    argv.push_back(arg.data());
    lengths.push_back(arg.size());
  }
  // privdata carries the generation so that a reply for an older context is recognised.
  auto* tag = reinterpret_cast<void*>(static_cast<std::uintptr_t>(generation_));
  if (redisAsyncCommandArgv(context_, &HiredisConnection::on_handshake_reply, tag,
                            static_cast<int>(argv.size()), argv.data(),
                            lengths.data()) != REDIS_OK) {
    handshake_failed();
  }
}

void HiredisConnection::on_handshake_reply(redisAsyncContext* context, void* reply,
                                           void* privdata) {
  auto* self = static_cast<HiredisConnection*>(context->data);
  // Null: the context is being freed; the cleanup hook reports that.
  if (reply == nullptr || self == nullptr) return;
  if (reinterpret_cast<std::uintptr_t>(privdata) != self->generation_) return;
  const auto* r = static_cast<const redisReply*>(reply);
  if (r->type == REDIS_REPLY_ERROR) {
    self->handshake_failed();  // wrong password, no such database: retried with backoff
    return;
  }
  ++self->handshake_step_;
  self->send_handshake_step();
}

void HiredisConnection::handshake_failed() {
  // Not from inside hiredis: post the drop.
  asio::post(io_, [this, generation = generation_] {
    if (generation == generation_) drop();
  });
}

void HiredisConnection::become_ready() {
  connect_timer_.cancel();
  ready_ = true;
  failures_ = 0;
  if (events_.ready) events_.ready();
}

void HiredisConnection::context_gone(std::uint64_t generation) {
  // Inside hiredis (its free path): record, then post everything else.
  if (generation != generation_) return;
  const bool was_ready = ready_;
  context_ = nullptr;
  ready_ = false;
  if (closed_) return;
  asio::post(io_, [this, was_ready] {
    if (closed_) return;
    if (was_ready && events_.lost) events_.lost();
    if (!was_ready && events_.attempt_failed) events_.attempt_failed();
    schedule_retry();
  });
}

std::chrono::milliseconds HiredisConnection::next_delay() {
  // The first retry after losing a working connection comes quickly; then it doubles.
  const int exponent = std::min(failures_, 16);
  ++failures_;
  const auto ceiling = std::min<std::int64_t>(options_.reconnect_min.count() << exponent,
                                              options_.reconnect_max.count());
  std::uniform_int_distribution<std::int64_t> pick(ceiling / 2, std::max<std::int64_t>(ceiling, 1));
  return std::chrono::milliseconds(pick(random_));
}

void HiredisConnection::schedule_retry() {
  if (closed_) return;
  retry_timer_.expires_after(next_delay());
  retry_timer_.async_wait([this](const boost::system::error_code& ec) {
    if (!ec && context_ == nullptr) open();
  });
}

}  // namespace sudachi::storage::redis::internal

#include "storage/redis/redis_subscriber.hpp"

#include <hiredis/async.h>

#include <atomic>
#include <condition_variable>
#include <map>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>

#include "storage/redis/internal/hiredis_connection.hpp"
#include "storage/redis/internal/reply_convert.hpp"
#include "storage/redis/redis_reply.hpp"

namespace sudachi::storage::redis {

namespace asio = boost::asio;

namespace {

// Channels or patterns: the desired set, the ones sent but not yet confirmed, and the callers
// waiting for a confirmation.
struct Topics {
  std::set<std::string> desired;
  std::set<std::string> unconfirmed;
  std::map<std::string, std::vector<RedisSubscriber::DoneCallback>> waiting;
};

}  // namespace

struct RedisSubscriber::Impl {
  Impl(RedisOptions opts, MessageHandler message_handler, StateHandler state_handler)
      : options(std::move(opts)),
        on_message(std::move(message_handler)),
        on_state(std::move(state_handler)),
        work(asio::make_work_guard(io)),
        connection(io, options, false,
                   {[this] { on_ready(); }, [this] { on_lost(); }, [this] { signal_first(); }}) {}

  // ---- the subscriber thread ----
  void add(bool pattern, std::string name, DoneCallback done) {
    Topics& topics = pattern ? patterns : channels;
    topics.desired.insert(name);
    if (connection.context() == nullptr) {
      if (done) done(Error::make(ErrorCode::unavailable, "Redis is not connected"));
      return;
    }
    if (done) topics.waiting[name].push_back(std::move(done));
    send(pattern ? "PSUBSCRIBE" : "SUBSCRIBE", {name});
    topics.unconfirmed.insert(std::move(name));
  }

  void remove(bool pattern, const std::string& name) {
    Topics& topics = pattern ? patterns : channels;
    topics.desired.erase(name);
    topics.unconfirmed.erase(name);
    fail_waiting(topics, name);
    if (connection.context() != nullptr) send(pattern ? "PUNSUBSCRIBE" : "UNSUBSCRIBE", {name});
    maybe_announce();
  }

  void send(const char* verb, const std::vector<std::string>& names) {
    redisAsyncContext* context = connection.context();
    if (context == nullptr || names.empty()) return;
    std::vector<const char*> argv{verb};
    std::vector<std::size_t> lengths{std::char_traits<char>::length(verb)};
    for (const std::string& name : names) {
      argv.push_back(name.data());
      lengths.push_back(name.size());
    }
    // hiredis keeps this callback (privdata: us) per channel and calls it for every push of
    // that channel, and once with a null reply when the context is freed.
    redisAsyncCommandArgv(context, &Impl::on_push, this, static_cast<int>(argv.size()), argv.data(),
                          lengths.data());
  }

  static void on_push(redisAsyncContext* /*context*/, void* reply, void* privdata) {
    if (reply == nullptr) return;  // the context is going away; on_lost() follows
    auto* self = static_cast<Impl*>(privdata);
    // Converted here (hiredis frees its reply when we return), handled outside hiredis.
    asio::post(self->io,
               [self, push = internal::convert_reply(static_cast<const redisReply*>(reply))] {
                 self->handle(push);
               });
  }

  void handle(const RedisReply& push) {
    const auto& e = push.elements();
    const auto kind = !e.empty() ? e[0].as_string() : std::nullopt;
    auto text = [&e](std::size_t i) -> std::optional<std::string_view> {
      return i < e.size() ? e[i].as_string() : std::nullopt;
    };
    if (kind == "message" && text(1) && text(2)) {
      // A message already in flight when unsubscribe() was called is not delivered.
      if (!channels.desired.contains(std::string(*text(1)))) return;
      deliver(RedisMessage{"", std::string(*text(1)), std::string(*text(2))});
    } else if (kind == "pmessage" && text(1) && text(2) && text(3)) {
      if (!patterns.desired.contains(std::string(*text(1)))) return;
      deliver(RedisMessage{std::string(*text(1)), std::string(*text(2)), std::string(*text(3))});
    } else if ((kind == "subscribe" || kind == "psubscribe") && text(1)) {
      confirm(kind == "psubscribe" ? patterns : channels, std::string(*text(1)));
    } else if (kind == "unsubscribe" || kind == "punsubscribe") {
      // Nothing to do: the desired set changed when unsubscribe() was called.
    } else {
      malformed.fetch_add(1, std::memory_order_relaxed);
    }
  }

  void deliver(const RedisMessage& message) {
    messages.fetch_add(1, std::memory_order_relaxed);
    if (on_message) on_message(message);
  }

  void confirm(Topics& topics, const std::string& name) {
    topics.unconfirmed.erase(name);
    auto it = topics.waiting.find(name);
    if (it != topics.waiting.end()) {
      auto callbacks = std::move(it->second);
      topics.waiting.erase(it);
      for (auto& callback : callbacks) callback(ok_status());
    }
    maybe_announce();
  }

  void fail_waiting(Topics& topics, const std::string& name) {
    auto it = topics.waiting.find(name);
    if (it == topics.waiting.end()) return;
    auto callbacks = std::move(it->second);
    topics.waiting.erase(it);
    for (auto& callback : callbacks) {
      callback(Error::make(ErrorCode::unavailable, "Redis subscription was not confirmed"));
    }
  }

  void maybe_announce() {
    if (announced || !connection.ready()) return;
    if (!channels.unconfirmed.empty() || !patterns.unconfirmed.empty()) return;
    announced = true;
    healthy.store(true, std::memory_order_release);
    if (on_state) on_state(true);
  }

  void on_ready() {
    connections.fetch_add(1, std::memory_order_relaxed);
    signal_first();
    // Everything desired, again: a new connection has no subscriptions.
    for (Topics* topics : {&channels, &patterns}) {
      topics->unconfirmed = topics->desired;
      std::vector<std::string> names(topics->desired.begin(), topics->desired.end());
      // Batches keep each command small; Redis confirms every name separately.
      for (std::size_t i = 0; i < names.size(); i += 256) {
        std::vector<std::string> batch(
            names.begin() + static_cast<std::ptrdiff_t>(i),
            names.begin() + static_cast<std::ptrdiff_t>(std::min(names.size(), i + 256)));
        send(topics == &channels ? "SUBSCRIBE" : "PSUBSCRIBE", batch);
      }
    }
    maybe_announce();
  }

  void on_lost() {
    healthy.store(false, std::memory_order_release);
    for (Topics* topics : {&channels, &patterns}) {
      topics->unconfirmed.clear();
      auto waiting = std::move(topics->waiting);
      topics->waiting.clear();
      for (auto& [name, callbacks] : waiting) {
        for (auto& callback : callbacks) {
          callback(Error::make(ErrorCode::unavailable, "Redis connection lost"));
        }
      }
    }
    const bool was_announced = announced;
    announced = false;
    if (was_announced && on_state) on_state(false);
  }

  void signal_first() {
    std::lock_guard lock(first_mutex);
    first_attempt_done = true;
    first_cv.notify_all();
  }

  void shutdown() {
    asio::post(io, [this] {
      stopping = true;
      connection.close();
      healthy.store(false, std::memory_order_release);
      on_message = nullptr;  // nothing is delivered once the destructor has begun
      on_state = nullptr;
      work.reset();
    });
    if (thread.joinable()) thread.join();
  }

  const RedisOptions options;
  MessageHandler on_message;
  StateHandler on_state;
  asio::io_context io;
  asio::executor_work_guard<asio::io_context::executor_type> work;
  internal::HiredisConnection connection;
  std::thread thread;

  // Subscriber thread only.
  Topics channels;
  Topics patterns;
  bool announced = false;
  bool stopping = false;

  std::atomic<bool> healthy{false};
  std::atomic<std::uint64_t> messages{0}, malformed{0}, connections{0};

  std::mutex first_mutex;
  std::condition_variable first_cv;
  bool first_attempt_done = false;
};

Result<std::unique_ptr<RedisSubscriber>> RedisSubscriber::connect(RedisOptions options,
                                                                  MessageHandler on_message,
                                                                  StateHandler on_state) {
  using std::chrono::milliseconds;
  if (options.host.empty() || options.port == 0 || options.connect_timeout <= milliseconds(0) ||
      options.reconnect_min <= milliseconds(0) || options.reconnect_max < options.reconnect_min) {
    return Error::make(ErrorCode::invalid_request, "Unusable Redis options");
  }
  const milliseconds wait = options.connect_timeout;
  auto impl =
      std::make_unique<Impl>(std::move(options), std::move(on_message), std::move(on_state));
  Impl* raw = impl.get();
  raw->thread = std::thread([raw] { raw->io.run(); });
  asio::post(raw->io, [raw] { raw->connection.start(); });
  {
    std::unique_lock lock(raw->first_mutex);
    raw->first_cv.wait_for(lock, wait + milliseconds(200),
                           [raw] { return raw->first_attempt_done; });
  }
  return std::unique_ptr<RedisSubscriber>(new RedisSubscriber(std::move(impl)));
}

RedisSubscriber::RedisSubscriber(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

RedisSubscriber::~RedisSubscriber() {
  impl_->shutdown();
}

void RedisSubscriber::subscribe(std::string channel, DoneCallback done) {
  asio::post(impl_->io,
             [impl = impl_.get(), channel = std::move(channel), done = std::move(done)]() mutable {
               impl->add(false, std::move(channel), std::move(done));
             });
}

void RedisSubscriber::psubscribe(std::string pattern, DoneCallback done) {
  asio::post(impl_->io,
             [impl = impl_.get(), pattern = std::move(pattern), done = std::move(done)]() mutable {
               impl->add(true, std::move(pattern), std::move(done));
             });
}

void RedisSubscriber::unsubscribe(std::string channel) {
  asio::post(impl_->io,
             [impl = impl_.get(), channel = std::move(channel)] { impl->remove(false, channel); });
}

void RedisSubscriber::punsubscribe(std::string pattern) {
  asio::post(impl_->io,
             [impl = impl_.get(), pattern = std::move(pattern)] { impl->remove(true, pattern); });
}

bool RedisSubscriber::healthy() const {
  return impl_->healthy.load(std::memory_order_acquire);
}

RedisSubscriberStats RedisSubscriber::stats() const {
  RedisSubscriberStats s;
  s.messages = impl_->messages.load(std::memory_order_relaxed);
  s.malformed = impl_->malformed.load(std::memory_order_relaxed);
  s.connections = impl_->connections.load(std::memory_order_relaxed);
  return s;
}

}  // namespace sudachi::storage::redis

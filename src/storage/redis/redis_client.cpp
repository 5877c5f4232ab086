#include "storage/redis/redis_client.hpp"

#include <hiredis/async.h>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include "storage/redis/internal/hiredis_connection.hpp"
#include "storage/redis/internal/reply_convert.hpp"

namespace sudachi::storage::redis {

namespace asio = boost::asio;

namespace {

Error unavailable(std::string why) {
  return Error::make(ErrorCode::unavailable, std::move(why));
}

// One command in flight. hiredis holds a heap copy of the shared_ptr as privdata and drops it
// in its callback; the timeout timer's handler holds another.
struct Pending {
  explicit Pending(asio::io_context& io) : timer(io) {}
  RedisClient::ReplyCallback done;
  asio::steady_timer timer;
  std::size_t* in_flight = nullptr;  // the owner's count, decremented when hiredis lets go
  bool finished = false;             // replied or timed out: whichever comes first wins
};

}  // namespace

struct RedisClient::Impl {
  explicit Impl(RedisOptions opts)
      : options(std::move(opts)),
        work(asio::make_work_guard(io)),
        connection(
            io, options, true,
            {[this] { on_ready(); }, [this] { on_lost(); }, [this] { on_attempt_failed(); }}),
        health_timer(io) {}

  // ---- any thread ----
  void submit(std::vector<std::string> args, ReplyCallback done) {
    asio::post(io, [this, args = std::move(args), done = std::move(done)]() mutable {
      send(args, std::move(done));
    });
  }

  // ---- the Redis thread ----
  void send(const std::vector<std::string>& args, ReplyCallback done) {
    redisAsyncContext* context = stopping ? nullptr : connection.context();
    if (args.empty()) {
      done(Error::make(ErrorCode::invalid_request, "Empty Redis command"));
      return;
    }
    if (context == nullptr || in_flight >= options.max_pending) {
      unavailable_count.fetch_add(1, std::memory_order_relaxed);
      done(unavailable(context == nullptr ? "Redis is not connected"
                                          : "Too many Redis commands in flight"));
      return;
    }
    std::vector<const char*> argv;
    std::vector<std::size_t> lengths;
    argv.reserve(args.size());
    lengths.reserve(args.size());
    for (const std::string& arg : args) {
      argv.push_back(arg.data());
      lengths.push_back(arg.size());
    }
    auto pending = std::make_shared<Pending>(io);
    pending->done = std::move(done);
    pending->in_flight = &in_flight;
    auto* holder = new std::shared_ptr<Pending>(pending);
    if (redisAsyncCommandArgv(context, &Impl::on_reply, holder, static_cast<int>(argv.size()),
                              argv.data(), lengths.data()) != REDIS_OK) {
      delete holder;
      unavailable_count.fetch_add(1, std::memory_order_relaxed);
      pending->done(unavailable("Redis connection is closing"));
      return;
    }
    ++in_flight;
    commands.fetch_add(1, std::memory_order_relaxed);
    pending->timer.expires_after(options.command_timeout);
    pending->timer.async_wait([this, pending](const boost::system::error_code& ec) {
      if (ec || pending->finished) return;
      pending->finished = true;
      timeouts.fetch_add(1, std::memory_order_relaxed);
      auto callback = std::move(pending->done);
      callback(unavailable("Redis command timed out"));
      // Replies come in order: everything behind the lost one is stuck too. Start afresh.
      connection.drop();
    });
  }

  // hiredis' reply callback: runs inside hiredis, so it only converts the reply and posts.
  static void on_reply(redisAsyncContext* /*context*/, void* reply, void* privdata) {
    std::unique_ptr<std::shared_ptr<Pending>> holder(
        static_cast<std::shared_ptr<Pending>*>(privdata));
    std::shared_ptr<Pending> pending = *holder;
    --*pending->in_flight;          // the Impl outlives every context it created (shutdown drains)
    if (pending->finished) return;  // timed out earlier; the late reply is dropped
    pending->finished = true;
    pending->timer.cancel();
    Result<RedisReply> result =
        reply ? Result<RedisReply>(internal::convert_reply(static_cast<const redisReply*>(reply)))
              : Result<RedisReply>(unavailable("Redis connection lost"));
    asio::post(pending->timer.get_executor(), [pending, result = std::move(result)]() mutable {
      auto callback = std::move(pending->done);
      callback(std::move(result));
    });
  }

  void on_ready() {
    healthy.store(true, std::memory_order_release);
    connections.fetch_add(1, std::memory_order_relaxed);
    signal_first_attempt();
    schedule_health_check();
  }

  void on_lost() {
    healthy.store(false, std::memory_order_release);
    health_timer.cancel();
  }

  void on_attempt_failed() { signal_first_attempt(); }

  void schedule_health_check() {
    if (options.health_interval.count() <= 0 || stopping) return;
    health_timer.expires_after(options.health_interval);
    health_timer.async_wait([this](const boost::system::error_code& ec) {
      if (ec || stopping || !connection.ready()) return;
      // A missing PONG times out like any command and reopens the connection.
      send({"PING"}, [this](Result<RedisReply>) { schedule_health_check(); });
    });
  }

  void signal_first_attempt() {
    std::lock_guard lock(first_mutex);
    first_attempt_done = true;
    first_cv.notify_all();
  }

  void run() { io.run(); }

  void shutdown() {
    asio::post(io, [this] {
      stopping = true;
      health_timer.cancel();
      connection.close();  // pending commands complete with UNAVAILABLE (posted, run below)
      healthy.store(false, std::memory_order_release);
      work.reset();  // io.run() returns once every posted completion has run
    });
    if (thread.joinable()) thread.join();
  }

  const RedisOptions options;
  asio::io_context io;
  asio::executor_work_guard<asio::io_context::executor_type> work;
  internal::HiredisConnection connection;
  asio::steady_timer health_timer;
  std::thread thread;

  // Redis thread only.
  std::size_t in_flight = 0;
  bool stopping = false;

  std::atomic<bool> healthy{false};
  std::atomic<std::uint64_t> commands{0}, unavailable_count{0}, timeouts{0}, connections{0},
      script_loads{0};

  std::mutex first_mutex;
  std::condition_variable first_cv;
  bool first_attempt_done = false;
};

Result<std::unique_ptr<RedisClient>> RedisClient::connect(RedisOptions options) {
  using std::chrono::milliseconds;
  if (options.host.empty() || options.port == 0) {
    return Error::make(ErrorCode::invalid_request, "Redis host and port are required");
  }
  if (options.connect_timeout <= milliseconds(0) || options.command_timeout <= milliseconds(0) ||
      options.reconnect_min <= milliseconds(0) || options.reconnect_max < options.reconnect_min ||
      options.max_pending == 0) {
    return Error::make(ErrorCode::invalid_request, "Redis timeouts and limits must be positive");
  }
  const milliseconds wait = options.connect_timeout;
  auto impl = std::make_unique<Impl>(std::move(options));
  Impl* raw = impl.get();
  raw->thread = std::thread([raw] { raw->run(); });
  asio::post(raw->io, [raw] { raw->connection.start(); });
  {
    std::unique_lock lock(raw->first_mutex);
    raw->first_cv.wait_for(lock, wait + milliseconds(200),
                           [raw] { return raw->first_attempt_done; });
  }
  return std::unique_ptr<RedisClient>(new RedisClient(std::move(impl)));
}

Result<std::unique_ptr<RedisClient>> RedisClient::connect_url(std::string_view url) {
  auto options = parse_redis_url(url);
  if (!options) return std::move(options).error();
  return connect(std::move(options).value());
}

RedisClient::RedisClient(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

RedisClient::~RedisClient() {
  impl_->shutdown();
}

void RedisClient::command(std::vector<std::string> args, ReplyCallback done) {
  impl_->submit(std::move(args), std::move(done));
}

void RedisClient::eval(const RedisScript& script, std::vector<std::string> keys,
                       std::vector<std::string> args, ReplyCallback done) {
  std::vector<std::string> argv;
  argv.reserve(3 + keys.size() + args.size());
  argv.push_back("EVALSHA");
  argv.push_back(script.sha1());
  argv.push_back(std::to_string(keys.size()));
  for (std::string& key : keys) argv.push_back(std::move(key));
  for (std::string& arg : args) argv.push_back(std::move(arg));
  auto first = argv;  // kept for the fallback
  Impl* impl = impl_.get();
  impl->submit(std::move(first), [impl, &script, argv = std::move(argv),
                                  done = std::move(done)](Result<RedisReply> reply) mutable {
    if (!reply.ok() || reply->error_prefix() != "NOSCRIPT") {
      done(std::move(reply));
      return;
    }
    // Redis does not know the script (restarted, flushed, failed over): send the text once;
    // EVAL also caches it, so the next EVALSHA succeeds again.
    impl->script_loads.fetch_add(1, std::memory_order_relaxed);
    argv[0] = "EVAL";
    argv[1] = script.source();
    impl->send(argv, std::move(done));
  });
}

bool RedisClient::healthy() const {
  return impl_->healthy.load(std::memory_order_acquire);
}

RedisClientStats RedisClient::stats() const {
  RedisClientStats s;
  s.commands = impl_->commands.load(std::memory_order_relaxed);
  s.unavailable = impl_->unavailable_count.load(std::memory_order_relaxed);
  s.timeouts = impl_->timeouts.load(std::memory_order_relaxed);
  s.connections = impl_->connections.load(std::memory_order_relaxed);
  s.script_loads = impl_->script_loads.load(std::memory_order_relaxed);
  return s;
}

}  // namespace sudachi::storage::redis

#include "state_adapters.hpp"

#include <unistd.h>

#include <array>
#include <future>
#include <stdexcept>

#include <spdlog/spdlog.h>

#include "common/random_id.hpp"
#include "storage/memory/memory_delivery.hpp"
#include "storage/memory/memory_rate_limiter.hpp"
#include "storage/memory/memory_relay_sessions.hpp"
#include "storage/memory/memory_room_store.hpp"
#include "storage/memory/static_relay_directory.hpp"
#include "storage/redis/delivery_envelope.hpp"
#include "storage/redis/presence_sweeper.hpp"
#include "storage/redis/redis_client.hpp"
#include "storage/redis/redis_delivery.hpp"
#include "storage/redis/redis_rate_limiter.hpp"
#include "storage/redis/redis_relay_registry.hpp"
#include "storage/redis/redis_relay_sessions.hpp"
#include "storage/redis/redis_room_store.hpp"

namespace sudachi::app {
namespace {

room::RatePolicy per_minute(int points, bool enabled) {
  return room::RatePolicy{points, 60'000, 60'000, enabled && points > 0};
}

struct Policies {
  room::RatePolicy event, relay, connection, guest;
};

Policies policies_for(const RoomServerConfig& c) {
  return Policies{room::RatePolicy{c.rate_limit_points, c.rate_limit_window_s * 1000LL,
                                   c.rate_limit_block_s * 1000LL, c.rate_limits},
                  per_minute(c.relay_rate_per_min, c.rate_limits),
                  per_minute(c.conn_rate_per_min, c.rate_limits),
                  per_minute(c.guest_rate_per_min, c.rate_limits)};
}

// <hostname>-<pid>-<random>: unique even for two containers with the same hostname and pid.
std::string default_instance_id() {
  std::array<char, 256> host{};
  std::string name = ::gethostname(host.data(), host.size() - 1) == 0 ? host.data() : "host";
  for (char& ch : name) {
    if (!storage::redis::valid_instance_id(std::string_view(&ch, 1))) ch = '-';
  }
  if (name.size() > 60) name.resize(60);
  return name + "-" + std::to_string(::getpid()) + "-" + random_token(4).substr(0, 6);
}

}  // namespace

// Cross-instance counters, copied from the components once a second.
struct StateAdapters::Metrics {
  explicit Metrics(metrics::Registry& r)
      : published(r.counter("sudachi_redis_delivery_published_total",
                            "Messages published to other instances")),
        received(r.counter("sudachi_redis_delivery_received_total",
                           "Messages received from other instances")),
        undeliverable(r.counter("sudachi_redis_delivery_dropped_total",
                                "Cross-instance sends dropped because Redis was unavailable")),
        kicked(r.counter("sudachi_redis_delivery_replaced_total",
                         "Local connections replaced by a connection on another instance")),
        evicted(
            r.counter("sudachi_presence_evicted_total",
                      "Clients of dead instances taken out of their rooms by the presence sweep")),
        redis_up(r.gauge("sudachi_redis_up", "1 while the Redis command connection answers")) {}

  static void advance(metrics::Counter& c, std::uint64_t& last, std::uint64_t now) {
    if (now > last) c.inc(static_cast<double>(now - last));
    last = now;
  }

  metrics::Counter& published;
  metrics::Counter& received;
  metrics::Counter& undeliverable;
  metrics::Counter& kicked;
  metrics::Counter& evicted;
  metrics::Gauge& redis_up;
  std::uint64_t last_published = 0, last_received = 0, last_undeliverable = 0, last_kicked = 0,
                last_evicted = 0;
};

StateAdapters::StateAdapters(const RoomServerConfig& config, const Clock& clock,
                             metrics::Registry& registry) {
  if (config.redis_url.empty()) {
    open_embedded(config, clock);
  } else {
    metrics_ = std::make_unique<Metrics>(registry);
    open_redis(config, clock);
  }
}

StateAdapters::~StateAdapters() {
  sweeper_.reset();
  delivery_.reset();  // stops the subscriber and the heartbeat while the client still runs
}

void StateAdapters::open_embedded(const RoomServerConfig& config, const Clock& clock) {
  const Policies p = policies_for(config);
  store_ = std::make_unique<storage::MemoryRoomStore>(clock);
  delivery_ = std::make_unique<storage::MemoryDelivery>();
  auto limiter = [&](room::RatePolicy policy) {
    auto l = std::make_shared<storage::MemoryRateLimiter>(policy, clock);
    memory_limiters_.push_back(l);
    return l;
  };
  event_limiter_ = limiter(p.event);
  relay_limiter_ = limiter(p.relay);
  connection_limiter_ = limiter(p.connection);
  guest_limiter_ = limiter(p.guest);
  relays_ = std::make_unique<storage::StaticRelayDirectory>(config.relays);
  auto sessions = std::make_unique<storage::MemoryRelaySessions>(clock);
  memory_relay_sessions_ = sessions.get();
  relay_sessions_ = std::move(sessions);
}

void StateAdapters::open_redis(const RoomServerConfig& config, const Clock& clock) {
  namespace rs = storage::redis;
  auto options = rs::parse_redis_url(config.redis_url);
  // The URL may hold a password: only the parser's message, which never repeats it.
  if (!options) throw std::runtime_error(options.error().message);
  auto client = rs::RedisClient::connect(*options);
  if (!client) throw std::runtime_error("Redis: " + client.error().message);
  redis_ = std::move(*client);
  if (!redis_->healthy()) spdlog::warn("Redis is not reachable yet; retrying in the background");
  redis_prefix_ = config.redis_prefix;
  presence_ttl_ = std::chrono::seconds(config.presence_ttl_s);

  rs::RedisRoomStoreOptions store_options;
  store_options.key_prefix = config.redis_prefix;
  store_ = std::make_unique<rs::RedisRoomStore>(redis_, clock, store_options);

  rs::RedisDeliveryOptions delivery_options;
  delivery_options.instance_id =
      config.instance_id.empty() ? default_instance_id() : config.instance_id;
  delivery_options.key_prefix = config.redis_prefix;
  delivery_options.presence_ttl = presence_ttl_;
  delivery_options.heartbeat_interval = presence_ttl_ / 3;
  auto delivery = rs::RedisDelivery::start(redis_, *options, delivery_options);
  if (!delivery) throw std::runtime_error("Redis delivery: " + delivery.error().message);
  redis_delivery_ = delivery->get();
  delivery_ = std::move(*delivery);
  spdlog::info("shared state: Redis (instance {})", redis_delivery_->instance_id());

  // Limits hold across instances; while Redis is away each instance falls back to its own
  // in-process limiter with the same policy (docs/redis.md, "Rate limiting").
  const Policies p = policies_for(config);
  auto limiter = [&](room::RatePolicy policy, const char* key_prefix) {
    auto fallback = std::make_shared<storage::MemoryRateLimiter>(policy, clock);
    memory_limiters_.push_back(fallback);
    return std::make_shared<rs::RedisRateLimiter>(redis_, policy, config.redis_prefix + key_prefix,
                                                  fallback);
  };
  event_limiter_ = limiter(p.event, "rl:event:");
  relay_limiter_ = limiter(p.relay, "rl:relay:");
  connection_limiter_ = limiter(p.connection, "rl:conn:");
  guest_limiter_ = limiter(p.guest, "rl:guest:");

  if (config.relay_registry) {
    relays_ = std::make_unique<rs::RedisRelayDirectory>(redis_, config.redis_prefix);
    spdlog::info("relays: from the Redis relay registry");
  } else {
    relays_ = std::make_unique<storage::StaticRelayDirectory>(config.relays);
  }
  // Shared, so that the two peers' reports agree on one session whichever instance takes them.
  relay_sessions_ = std::make_unique<rs::RedisRelaySessions>(
      redis_, rs::RedisRelaySessionsOptions{config.redis_prefix});
}

void StateAdapters::start_presence_sweep(std::function<void(std::string)> on_gone) {
  if (!redis_) return;
  storage::redis::PresenceSweeperOptions options;
  options.key_prefix = redis_prefix_;
  options.grace = presence_ttl_;
  sweeper_ = std::make_unique<storage::redis::PresenceSweeper>(redis_, options, std::move(on_gone));
}

bool StateAdapters::healthy() const {
  if (!store_->healthy()) return false;
  return redis_delivery_ == nullptr || redis_delivery_->healthy();
}

void StateAdapters::maintenance() {
  for (const auto& limiter : memory_limiters_) limiter->sweep();
  if (memory_relay_sessions_) memory_relay_sessions_->sweep();
  if (sweeper_) sweeper_->tick();
  if (metrics_) update_metrics();
}

void StateAdapters::quiesce() {
  if (!redis_) return;
  sweeper_.reset();
  // Replies come in command order and their callbacks run in that order on the Redis thread:
  // once a PING's reply is in, every earlier command's callback has run. A callback may send
  // a follow-up (room_of, then leave_room), hence a few rounds.
  for (int round = 0; round < 4; ++round) {
    auto done = std::make_shared<std::promise<void>>();
    auto finished = done->get_future();
    redis_->command({"PING"}, [done](Result<storage::redis::RedisReply>) { done->set_value(); });
    if (finished.wait_for(std::chrono::seconds(1)) != std::future_status::ready) return;
  }
}

void StateAdapters::update_metrics() {
  Metrics& m = *metrics_;
  const auto s = redis_delivery_->stats();
  Metrics::advance(m.published, m.last_published, s.published);
  Metrics::advance(m.received, m.last_received, s.received);
  Metrics::advance(m.undeliverable, m.last_undeliverable, s.undeliverable);
  Metrics::advance(m.kicked, m.last_kicked, s.kicked);
  if (sweeper_) Metrics::advance(m.evicted, m.last_evicted, sweeper_->evicted());
  m.redis_up.set(redis_->healthy() ? 1.0 : 0.0);
}

}  // namespace sudachi::app

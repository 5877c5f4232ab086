#include "relay_registration.hpp"

#include <chrono>
#include <cmath>
#include <mutex>
#include <stdexcept>

#include <spdlog/spdlog.h>

#include "storage/redis/redis_client.hpp"
#include "storage/redis/redis_relay_registry.hpp"

namespace sudachi::app {

namespace rs = storage::redis;

struct RelayRegistration::Impl {
  std::shared_ptr<rs::RedisClient> client;
  rs::RelayHeartbeat heartbeat;
  std::mutex mutex;          // deregister() from the signal thread vs. the destructor
  std::mutex metrics_mutex;  // overlapping scrapes
  bool registered = false;
  std::uint64_t beats_reported = 0;
  metrics::Counter& beats;
  metrics::Gauge& redis_up;
  metrics::Gauge& registered_gauge;

  explicit Impl(metrics::Registry& r)
      : beats(r.counter("sudachi_relay_registry_heartbeats_total",
                        "Registrations (heartbeats) Redis accepted")),
        redis_up(
            r.gauge("sudachi_relay_redis_up", "1 while the registry's Redis connection answers")),
        registered_gauge(r.gauge(
            "sudachi_relay_registered",
            "1 while this relay heartbeats into the relay registry (0 once deregistered)")) {}
};

RelayRegistration::RelayRegistration(const RelayOptions& o, const relay::BoundPorts& ports,
                                     std::function<std::int64_t()> active_sessions,
                                     metrics::Registry& registry)
    : impl_(std::make_unique<Impl>(registry)) {
  auto redis_options = rs::parse_redis_url(o.redis_url);
  // The URL may hold a password: only the parser's message, which never repeats it.
  if (!redis_options) throw std::runtime_error("--redis-url: " + redis_options.error().message);
  auto client = rs::RedisClient::connect(*redis_options);
  if (!client) throw std::runtime_error("Redis: " + client.error().message);
  impl_->client = std::move(*client);
  if (!impl_->client->healthy())
    spdlog::warn("Redis is not reachable yet; registering in the background");

  rs::RelayInfo info;
  info.id = o.relay.relay_id;
  info.host = o.public_host;
  info.udp_port = ports.udp;
  info.tcp_port = ports.tcp;
  info.region = o.relay.region;
  info.load = active_sessions();
  info.capacity = o.capacity;
  rs::RelayHeartbeatOptions hb;
  hb.interval = std::chrono::milliseconds(std::llround(o.registry_interval_s * 1000));
  hb.ttl = std::chrono::milliseconds(std::llround(o.registry_ttl_s * 1000));
  hb.key_prefix = o.redis_prefix;
  hb.load_source = std::move(active_sessions);
  if (auto started = impl_->heartbeat.start(impl_->client, info, std::move(hb)); !started) {
    throw std::runtime_error("relay registration: " + started.error().message);
  }
  impl_->registered = true;
  impl_->registered_gauge.set(1);
  spdlog::info(
      "registering in the relay registry as {} ({}:{}/{} region {} capacity {}) every {} s, TTL {} "
      "s",
      info.id, info.host, info.udp_port, info.tcp_port, info.region, info.capacity,
      o.registry_interval_s, o.registry_ttl_s);
}

RelayRegistration::~RelayRegistration() {
  deregister();
}

void RelayRegistration::deregister() {
  std::lock_guard lock(impl_->mutex);
  if (!impl_->registered) return;
  impl_->registered = false;
  impl_->heartbeat.stop();  // deletes the registration, waiting at most 500 ms
  impl_->registered_gauge.set(0);
  spdlog::info("deregistered from the relay registry");
}

void RelayRegistration::collect() {
  std::lock_guard lock(impl_->metrics_mutex);
  const std::uint64_t beats = impl_->heartbeat.beats();
  if (beats > impl_->beats_reported)
    impl_->beats.inc(static_cast<double>(beats - impl_->beats_reported));
  impl_->beats_reported = beats;
  impl_->redis_up.set(impl_->client->healthy() ? 1 : 0);
}

}  // namespace sudachi::app

#include "storage/redis/redis_relay_registry.hpp"

#include <algorithm>
#include <charconv>
#include <future>
#include <utility>

#include "storage/redis/cluster_keys.hpp"
#include "storage/redis/relay_scripts.hpp"

namespace sudachi::storage::redis {
namespace {

std::optional<std::uint16_t> port_of(const RedisReply& r) {
  auto n = r.as_int();
  if (!n || *n <= 0 || *n > 65535) return std::nullopt;
  return static_cast<std::uint16_t>(*n);
}

Result<room::RelayEndpoint> decode_pick(const RedisReply& reply) {
  if (reply.is_error()) return to_error(reply);
  if (!reply.is_array()) return Error::make(ErrorCode::internal, "unexpected relay pick reply");
  const auto& e = reply.elements();
  if (e.empty()) return ErrorCode::no_relay_available;
  if (e.size() < 5) return Error::make(ErrorCode::internal, "short relay pick reply");
  room::RelayEndpoint out;
  auto id = e[0].as_string();
  auto host = e[1].as_string();
  auto udp = port_of(e[2]);
  auto tcp = port_of(e[3]);
  auto region = e[4].as_string();
  if (!id || !host || !udp || !tcp || !region) {
    return Error::make(ErrorCode::internal, "corrupt relay registration");
  }
  out.id = std::string(*id);
  out.host = std::string(*host);
  out.udp_port = *udp;
  out.tcp_port = *tcp;
  out.region = std::string(*region);
  return out;
}

}  // namespace

Status validate_relay_info(const RelayInfo& info) {
  auto bad = [](const char* what) { return Error::make(ErrorCode::invalid_request, what); };
  if (info.id.empty() || info.id.size() > 64 || info.id.find_first_of("{}") != std::string::npos) {
    return bad("relay id must be 1..64 characters without braces");
  }
  if (info.host.empty()) return bad("relay host is empty");
  if (info.udp_port == 0 || info.tcp_port == 0) return bad("relay ports must be non-zero");
  if (info.region.empty() || info.region.find_first_of("{}") != std::string::npos) {
    return bad("relay region must be non-empty, without braces");
  }
  if (info.load < 0 || info.capacity < 0) return bad("relay load and capacity must be >= 0");
  return ok_status();
}

Status RelayHeartbeat::start(std::shared_ptr<RedisClient> client, RelayInfo info,
                             RelayHeartbeatOptions options) {
  if (auto valid = validate_relay_info(info); !valid) return valid;
  if (!client || options.interval.count() <= 0 || options.ttl <= options.interval) {
    return Error::make(ErrorCode::invalid_request,
                       "heartbeat interval must be positive and below the TTL");
  }
  stop();
  client_ = std::move(client);
  load_->store(info.load);
  info_ = std::move(info);
  options_ = std::move(options);
  task_.start(options_.interval, [this] { beat(); });
  return ok_status();
}

void RelayHeartbeat::beat() {
  const ClusterKeys keys(options_.key_prefix);
  if (options_.load_source)
    load_->store(std::max<std::int64_t>(0, options_.load_source()), std::memory_order_relaxed);
  const std::string load = std::to_string(load_->load(std::memory_order_relaxed));
  client_->eval(relay_register_script(),
                {keys.relay(info_.id), keys.relays_all(), keys.relays_region(info_.region)},
                {info_.id, info_.host, std::to_string(info_.udp_port),
                 std::to_string(info_.tcp_port), info_.region, load, std::to_string(info_.capacity),
                 std::to_string(options_.ttl.count()), options_.key_prefix},
                [beats = beats_](Result<RedisReply> reply) {
                  // Unavailable: the next beat tries again; until the TTL passes nothing changes.
                  if (reply && !reply->is_error()) beats->fetch_add(1, std::memory_order_relaxed);
                });
}

void RelayHeartbeat::stop() {
  if (!task_.running()) return;
  task_.stop();
  const ClusterKeys keys(options_.key_prefix);
  auto done = std::make_shared<std::promise<void>>();
  auto finished = done->get_future();
  client_->eval(relay_deregister_script(), {keys.relay(info_.id), keys.relays_all()},
                {info_.id, options_.key_prefix}, [done](Result<RedisReply>) { done->set_value(); });
  finished.wait_for(std::chrono::milliseconds(500));
}

RedisRelayDirectory::RedisRelayDirectory(std::shared_ptr<RedisClient> client,
                                         std::string key_prefix, int scan_limit)
    : client_(std::move(client)), prefix_(std::move(key_prefix)), scan_limit_(scan_limit) {}

void RedisRelayDirectory::pick(std::string region,
                               std::function<void(Result<room::RelayEndpoint>)> done) {
  const ClusterKeys keys(prefix_);
  std::string first = region.empty() ? keys.relays_all() : keys.relays_region(region);
  client_->eval(relay_pick_script(), {std::move(first), keys.relays_all()},
                {prefix_, std::to_string(scan_limit_)},
                [done = std::move(done)](Result<RedisReply> reply) {
                  if (!reply) return done(std::move(reply).error());
                  done(decode_pick(*reply));
                });
}

}  // namespace sudachi::storage::redis

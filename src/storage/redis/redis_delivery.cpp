#include "storage/redis/redis_delivery.hpp"

#include <algorithm>
#include <future>
#include <unordered_map>
#include <utility>

#include "storage/memory/lobby_subscriptions.hpp"
#include "storage/redis/cluster_keys.hpp"
#include "storage/redis/delivery_envelope.hpp"
#include "storage/redis/local_connections.hpp"
#include "storage/redis/periodic_task.hpp"
#include "storage/redis/presence_scripts.hpp"
#include "storage/redis/redis_subscriber.hpp"

namespace sudachi::storage::redis {

// Everything callbacks touch. Redis callbacks hold it by shared_ptr, so a reply arriving
// after the delivery is destroyed finds valid memory; the subscriber and the heartbeat
// thread are stopped by ~RedisDelivery before it lets go.
struct RedisDelivery::State {
  State(std::shared_ptr<RedisClient> c, RedisDeliveryOptions o)
      : client(std::move(c)), options(std::move(o)), keys(options.key_prefix) {}

  std::shared_ptr<RedisClient> client;
  const RedisDeliveryOptions options;
  const ClusterKeys keys;
  LocalConnections local;
  memory::LobbySubscriptions lobby;
  std::unique_ptr<RedisSubscriber> subscriber;
  PeriodicTask heartbeat_task;

  std::atomic<std::uint64_t> published{0}, received{0}, malformed{0}, undeliverable{0}, kicked{0};
  // Every local client's presence was written since the last (re)subscription. False after
  // an outage until a heartbeat gets through: /ready waits for it, and the heartbeat retries
  // at a short interval meanwhile (other instances cannot reach our clients before).
  std::atomic<bool> presence_asserted{false};
  std::atomic<bool> subscribed{false};             // mirrors the subscriber's state handler
  std::atomic<std::int64_t> last_heartbeat_ms{0};  // steady clock
};

namespace {

using StatePtr = std::shared_ptr<RedisDelivery::State>;

void publish(const StatePtr& s, std::string channel, std::string payload,
             std::uint64_t recipients) {
  s->client->command({"PUBLISH", std::move(channel), std::move(payload)},
                     [s, recipients](Result<RedisReply> reply) {
                       if (reply && !reply->is_error()) {
                         s->published.fetch_add(1, std::memory_order_relaxed);
                       } else {
                         s->undeliverable.fetch_add(recipients, std::memory_order_relaxed);
                       }
                     });
}

// Drops a local connection that another one (on some instance) has replaced, without the
// close counting as the client leaving: the registration goes first, so the transport's
// later on_disconnected finds nothing to detach.
void evict_replaced(const StatePtr& s, const std::string& client_id, std::uint64_t serial) {
  auto connection = s->local.remove_if_serial(client_id, serial);
  if (!connection) return;
  s->lobby.unsubscribe_connection(client_id, connection.get());
  s->kicked.fetch_add(1, std::memory_order_relaxed);
  connection->disconnect();
}

// Recipients not connected here: find their instances in one MGET, then one message per
// instance. Replies arrive in command order, so two sends from this instance reach a client
// in the order they were made.
void send_remote(const StatePtr& s, std::vector<std::string> ids, room::SharedFrame frame) {
  std::vector<std::string> args;
  args.reserve(ids.size() + 1);
  args.emplace_back("MGET");
  for (const auto& id : ids) args.push_back(s->keys.presence(id));
  s->client->command(std::move(args), [s, ids = std::move(ids),
                                       frame = std::move(frame)](Result<RedisReply> reply) {
    if (!reply || !reply->is_array() || reply->elements().size() != ids.size()) {
      s->undeliverable.fetch_add(ids.size(), std::memory_order_relaxed);
      return;
    }
    std::unordered_map<std::string, std::vector<std::string>> by_instance;
    for (std::size_t i = 0; i < ids.size(); ++i) {
      auto value = reply->elements()[i].as_string();
      auto owner = value ? parse_presence(*value) : std::nullopt;
      if (!owner) continue;  // offline: nobody to tell
      if (owner->instance_id == s->options.instance_id) {
        // Attached here after the caller looked: deliver it now.
        if (auto connection = s->local.find(ids[i])) connection->send(frame);
        continue;
      }
      by_instance[owner->instance_id].push_back(ids[i]);
    }
    for (auto& [instance, recipients] : by_instance) {
      Envelope e;
      e.kind = Envelope::Kind::frame;
      e.origin = s->options.instance_id;
      e.client_ids = std::move(recipients);
      e.frame = *frame;
      publish(s, s->keys.instance_channel(instance), encode_envelope(e), e.client_ids.size());
    }
  });
}

void on_message(const StatePtr& s, const RedisMessage& message) {
  auto envelope = decode_envelope(message.payload);
  if (!envelope) {
    s->malformed.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  if (envelope->origin == s->options.instance_id) return;  // our own lobby echo
  s->received.fetch_add(1, std::memory_order_relaxed);
  switch (envelope->kind) {
    case Envelope::Kind::frame: {
      auto frame = std::make_shared<const std::string>(std::move(envelope->frame));
      for (const auto& id : envelope->client_ids) {
        if (auto connection = s->local.find(id)) connection->send(frame);
      }
      break;
    }
    case Envelope::Kind::kick:
      evict_replaced(s, envelope->client_ids.front(), envelope->serial);
      break;
    case Envelope::Kind::lobby: {
      auto frame = std::make_shared<const std::string>(std::move(envelope->frame));
      for (const auto& connection : s->lobby.recipients(envelope->game_id)) connection->send(frame);
      break;
    }
  }
}

void refresh_batch(const StatePtr& s, std::vector<LocalConnections::Entry> batch,
                   const std::string& info) {
  const std::size_t n = batch.size();
  std::vector<std::string> keys{s->keys.presence_seen(), s->keys.instance(s->options.instance_id)};
  std::vector<std::string> args{std::to_string(s->options.presence_ttl.count()),
                                std::to_string(s->options.presence_ttl.count()), info,
                                std::to_string(n)};
  keys.reserve(n + 2);
  args.reserve(2 * n + 4);
  for (const auto& e : batch) {
    keys.push_back(s->keys.presence(e.client_id));
    args.push_back(presence_value(s->options.instance_id, e.serial));
  }
  for (const auto& e : batch) args.push_back(e.client_id);
  s->client->eval(
      presence_refresh_script(), std::move(keys), std::move(args),
      [s, batch = std::move(batch)](Result<RedisReply> reply) {
        if (!reply || !reply->is_array()) {
          s->presence_asserted.store(false);  // Redis away: retried at the short interval
          return;
        }
        if (s->subscribed.load()) s->presence_asserted.store(true);
        for (const auto& lost : reply->elements()) {
          auto id = lost.as_string();
          if (!id) continue;
          for (const auto& e : batch) {
            if (e.client_id == *id) evict_replaced(s, e.client_id, e.serial);
          }
        }
      });
}

std::int64_t steady_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

void heartbeat_now(const StatePtr& s) {
  s->last_heartbeat_ms.store(steady_ms());
  auto entries = s->local.snapshot();
  const std::string info = "{\"connections\":" + std::to_string(entries.size()) + "}";
  const std::size_t step = std::max<std::size_t>(1, s->options.refresh_batch);
  if (entries.empty()) return refresh_batch(s, {}, info);  // the instance key alone
  for (std::size_t i = 0; i < entries.size(); i += step) {
    const auto end =
        entries.begin() + static_cast<std::ptrdiff_t>(std::min(entries.size(), i + step));
    refresh_batch(
        s,
        std::vector<LocalConnections::Entry>(entries.begin() + static_cast<std::ptrdiff_t>(i), end),
        info);
  }
}

}  // namespace

Result<std::unique_ptr<RedisDelivery>> RedisDelivery::start(std::shared_ptr<RedisClient> client,
                                                            const RedisOptions& subscriber_options,
                                                            RedisDeliveryOptions options) {
  if (!client || !valid_instance_id(options.instance_id)) {
    return Error::make(ErrorCode::invalid_request, "instance id must be 1..100 of [A-Za-z0-9._-]");
  }
  if (options.presence_ttl.count() <= 0 || options.heartbeat_interval.count() <= 0 ||
      options.heartbeat_interval * 2 > options.presence_ttl) {
    return Error::make(ErrorCode::invalid_request,
                       "heartbeat interval must be at most half the presence TTL");
  }
  auto state = std::make_shared<State>(std::move(client), std::move(options));
  State* raw = state.get();  // handlers stop before the state goes (see ~RedisDelivery)
  std::weak_ptr<State> weak = state;
  auto subscriber = RedisSubscriber::connect(
      subscriber_options,
      [weak](const RedisMessage& m) {
        if (auto s = weak.lock()) on_message(s, m);
      },
      [weak](bool subscribed) {
        auto s = weak.lock();
        if (!s) return;
        s->subscribed.store(subscribed);
        // Back after an outage (or first up): re-assert the presence of every local client.
        if (subscribed) {
          heartbeat_now(s);
        } else {
          s->presence_asserted.store(false);
        }
      });
  if (!subscriber) return std::move(subscriber).error();
  raw->subscriber = std::move(*subscriber);
  raw->subscriber->subscribe(raw->keys.instance_channel(raw->options.instance_id));
  raw->subscriber->psubscribe(raw->keys.lobby_pattern());
  // Ticks often; beats every heartbeat_interval, or at every tick while the presence is not
  // asserted (after an outage), so that an instance is reachable again as soon as possible.
  const auto tick = std::min(raw->options.heartbeat_interval, std::chrono::milliseconds(250));
  raw->heartbeat_task.start(tick, [weak] {
    auto s = weak.lock();
    if (!s) return;
    const bool due =
        steady_ms() - s->last_heartbeat_ms.load() >= s->options.heartbeat_interval.count();
    if (due || !s->presence_asserted.load()) heartbeat_now(s);
  });
  return std::unique_ptr<RedisDelivery>(new RedisDelivery(std::move(state)));
}

RedisDelivery::RedisDelivery(std::shared_ptr<State> state) : state_(std::move(state)) {}

RedisDelivery::~RedisDelivery() {
  state_->heartbeat_task.stop();
  state_->subscriber.reset();
  // Best effort: an instance stopping cleanly is not left "alive" for a whole TTL. Waits a
  // little (bounded) for the reply, since the owner may destroy the client right after.
  auto done = std::make_shared<std::promise<void>>();
  auto finished = done->get_future();
  state_->client->command({"DEL", state_->keys.instance(state_->options.instance_id)},
                          [done](Result<RedisReply>) { done->set_value(); });
  finished.wait_for(std::chrono::milliseconds(500));
}

std::shared_ptr<room::ClientConnection> RedisDelivery::attach(
    const std::string& client_id, std::shared_ptr<room::ClientConnection> connection) {
  auto attached = state_->local.attach(client_id, std::move(connection));
  if (attached.previous) state_->lobby.unsubscribe_connection(client_id, attached.previous.get());
  StatePtr s = state_;
  s->client->eval(presence_claim_script(), {s->keys.presence(client_id), s->keys.presence_seen()},
                  {presence_value(s->options.instance_id, attached.serial),
                   std::to_string(s->options.presence_ttl.count()), client_id},
                  [s, client_id](Result<RedisReply> reply) {
                    // Unavailable: the next heartbeat writes the presence; a connection elsewhere
                    // then finds its own presence lost at its heartbeat and goes.
                    if (!reply) return;
                    auto value = reply->as_string();
                    auto previous = value ? parse_presence(*value) : std::nullopt;
                    if (!previous || previous->instance_id == s->options.instance_id) return;
                    Envelope kick;
                    kick.kind = Envelope::Kind::kick;
                    kick.origin = s->options.instance_id;
                    kick.client_ids = {client_id};
                    kick.serial = previous->serial;
                    publish(s, s->keys.instance_channel(previous->instance_id),
                            encode_envelope(kick), 1);
                  });
  return std::move(attached.previous);
}

bool RedisDelivery::detach(const std::string& client_id, const room::ClientConnection* connection) {
  const std::uint64_t serial = state_->local.detach(client_id, connection);
  state_->lobby.unsubscribe_connection(client_id, connection);
  if (serial == 0) return false;
  state_->client->eval(presence_release_script(),
                       {state_->keys.presence(client_id), state_->keys.presence_seen()},
                       {presence_value(state_->options.instance_id, serial), client_id},
                       [](Result<RedisReply>) {});  // Unavailable: the presence expires
  return true;
}

void RedisDelivery::to_client(std::string_view client_id, room::SharedFrame frame) {
  if (auto connection = state_->local.find(client_id)) return connection->send(std::move(frame));
  send_remote(state_, {std::string(client_id)}, std::move(frame));
}

void RedisDelivery::to_clients(const std::vector<std::string>& client_ids,
                               room::SharedFrame frame) {
  std::vector<std::string> remote;
  for (const auto& id : client_ids) {
    if (auto connection = state_->local.find(id)) {
      connection->send(frame);
    } else {
      remote.push_back(id);
    }
  }
  if (!remote.empty()) send_remote(state_, std::move(remote), std::move(frame));
}

void RedisDelivery::subscribe_lobby(const std::string& client_id,
                                    std::optional<std::string> game_id) {
  auto connection = state_->local.find(client_id);
  if (!connection) return;
  const room::ClientConnection* subscribed = connection.get();
  state_->lobby.subscribe(client_id, std::move(connection), std::move(game_id));
  // Detached or replaced meanwhile: its detach may have run first; do not let it linger.
  if (state_->local.find(client_id).get() != subscribed) {
    state_->lobby.unsubscribe_connection(client_id, subscribed);
  }
}

void RedisDelivery::unsubscribe_lobby(const std::string& client_id) {
  state_->lobby.unsubscribe(client_id);
}

void RedisDelivery::to_lobby(std::string_view game_id, room::SharedFrame frame) {
  for (const auto& connection : state_->lobby.recipients(game_id)) connection->send(frame);
  Envelope e;
  e.kind = Envelope::Kind::lobby;
  e.origin = state_->options.instance_id;
  e.game_id = std::string(game_id);
  e.frame = *frame;
  publish(state_, state_->keys.lobby_channel(game_id), encode_envelope(e), 1);
}

std::size_t RedisDelivery::local_connections() const {
  return state_->local.size();
}

void RedisDelivery::heartbeat() {
  heartbeat_now(state_);
}

bool RedisDelivery::healthy() const {
  return state_->subscriber && state_->subscriber->healthy() && state_->presence_asserted.load();
}

RedisDeliveryStats RedisDelivery::stats() const {
  const State& s = *state_;
  return RedisDeliveryStats{s.published.load(), s.received.load(), s.malformed.load(),
                            s.undeliverable.load(), s.kicked.load()};
}

const std::string& RedisDelivery::instance_id() const {
  return state_->options.instance_id;
}

}  // namespace sudachi::storage::redis

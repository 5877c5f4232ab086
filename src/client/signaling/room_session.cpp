// RoomSession, part 1: identity, the connection and its replacement after failures.
#include "client/signaling/room_session.hpp"

#include <algorithm>
#include <utility>

#include "client/signaling/guest_signup.hpp"

namespace sudachi::client {
using std::chrono::milliseconds;

namespace {
constexpr milliseconds kTick{100};
constexpr std::uint16_t kDefaultStunPort = 3478;
}  // namespace

RoomSession::RoomSession(boost::asio::io_context& io,
                         std::shared_ptr<boost::asio::ssl::context> tls, SessionConfig config,
                         PeerHooks& peers, EmitFn emit)
    : io_(io),
      tls_(std::move(tls)),
      config_(std::move(config)),
      peers_(peers),
      emit_(std::move(emit)),
      backoff_(config_.reconnect_initial, config_.reconnect_max, config_.seed),
      retry_timer_(io),
      tick_timer_(io),
      token_(config_.token),
      restore_backoff_(milliseconds(200), milliseconds(2'000),
                       config_.seed ^ 0x9e3779b97f4a7c15ULL),
      restore_timer_(io) {}

RoomSession::~RoomSession() {
  if (conn_) conn_->close();
}

std::int64_t RoomSession::now_ms() {
  return std::chrono::duration_cast<milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

void RoomSession::start() {
  if (started_) return;
  started_ = true;
  state_ = mp::ConnectionState::connecting;
  emit_connection();
  arm_tick();
  attempt();
}

void RoomSession::stop(milliseconds grace, std::function<void()> done) {
  if (stopping_) {
    if (done) done();
    return;
  }
  stopping_ = true;
  retry_timer_.cancel();
  restore_timer_.cancel();
  tick_timer_.cancel();
  // Calls still waiting fail now: nothing will carry them any more.
  auto waiting = std::move(waiting_);
  waiting_.clear();
  for (const auto& call : waiting)
    call_done(call.id, call.call, {mp::ErrorCode::invalid_argument, "the client stopped", 0});

  auto finish = [this, done = std::move(done)] {
    state_ = mp::ConnectionState::offline;
    emit_connection();
    if (done) done();
  };
  if (!conn_) return finish();
  stop_done_ = std::move(finish);
  if (conn_->connected() && room_ && seated_) {
    report_metrics();
    // Leaving says goodbye to the others at once, instead of after the server's ping timeout.
    std::weak_ptr<RoomSession> weak = weak_from_this();
    const bool sent = conn_->emit("room:leave", boost::json::object{{"roomId", room_->id}}, grace,
                                  [weak](SignalingConnection::Reply) {
                                    if (auto self = weak.lock()) {
                                      if (self->conn_) self->conn_->close();
                                    }
                                  });
    if (sent) return;
  }
  conn_->close();
}

void RoomSession::attempt() {
  if (stopping_) return;
  const ServerUrl url = config_.servers[server_index_];
  if (!token_.empty()) return open_connection(url);

  std::weak_ptr<RoomSession> weak = weak_from_this();
  guest_sign_up(io_, tls_, url,
                GuestRequest{config_.username, config_.platform, config_.sudachi_version},
                config_.connect_timeout, [weak, url](GuestResult result) {
                  auto self = weak.lock();
                  if (!self || self->stopping_) return;
                  if (result.error) return self->on_closed(result.error);
                  self->token_ = std::move(result.guest.token);
                  self->guest_token_ = true;
                  self->open_connection(url);
                });
}

void RoomSession::open_connection(const ServerUrl& url) {
  std::weak_ptr<RoomSession> weak = weak_from_this();
  SignalingConnection::Options options;
  options.connect_timeout = config_.connect_timeout;
  conn_ = SignalingConnection::create(
      io_, tls_, url, token_, options,
      SignalingConnection::Handlers{[weak](const Connected& info) {
                                      if (auto self = weak.lock()) self->on_connected(info);
                                    },
                                    [weak](ServerEvent event) {
                                      if (auto self = weak.lock()) self->on_event(std::move(event));
                                    },
                                    [weak](const mp::Error& error) {
                                      if (auto self = weak.lock()) self->on_closed(error);
                                    }});
  conn_->start();
}

void RoomSession::on_connected(const Connected& info) {
  if (stopping_) return;
  const bool reconnect = ever_connected_;
  ever_connected_ = true;
  if (reconnect) ++reconnects_;
  backoff_.reset();
  failed_in_pass_ = 0;
  passes_ = 0;
  last_error_ = {};

  if (client_id_ != info.client_id) {
    // A new identity (a guest signed up again on another server): the room, the peers and the
    // lobby subscription belonged to the old one and cannot be resumed under this one.
    if (!client_id_.empty() && room_) {
      leave_room_state("lost", {mp::ErrorCode::room_lost, "signed in under a new identity", 0});
    }
    client_id_ = info.client_id;
    peers_.set_local_id(client_id_);
  }
  // STUN: what the server announces (its relays), else the relay it is assumed to run beside.
  stun_ = info.stun;
  if (stun_.empty()) stun_.push_back({conn_->url().host, kDefaultStunPort});
  peers_.set_stun_servers(stun_);

  state_ = mp::ConnectionState::connected;
  emit_connection();
  if (lobby_game_) {
    // Quietly: the subscription is the application's, already acknowledged once.
    conn_->emit("lobby:subscribe",
                lobby_game_->empty()
                    ? boost::json::value(boost::json::object{})
                    : boost::json::value(boost::json::object{{"gameId", *lobby_game_}}),
                config_.call_timeout, nullptr);
  }
  restore_room(info.room_id);
  flush_waiting();
}

void RoomSession::on_closed(const mp::Error& error) {
  const bool was_connected = conn_ && conn_->connected();
  conn_.reset();
  seated_ = false;
  if (stopping_) {
    if (auto done = std::move(stop_done_)) done();
    return;
  }
  if (error.code == mp::ErrorCode::auth_failed) {
    // A guest token from another server (or an expired one) is replaced by a new sign-up;
    // the caller's own token cannot be, and retrying it would only hammer the server.
    if (!guest_token_) return go_offline(error);
    token_.clear();
    guest_token_ = false;
    last_error_ = error;
    return schedule_attempt(milliseconds(0));
  }
  last_error_ = error;
  if (was_connected) {
    // Lost: retry the same server first (most drops are blips or a restart), backoff after.
    state_ = mp::ConnectionState::reconnecting;
    if (room_) {
      restoring_ = true;
      restore_deadline_ms_ = now_ms() + config_.restore_window.count();
      restore_backoff_.reset();
      restore_timer_.cancel();
    }
    emit_connection(error);
    return schedule_attempt(backoff_.next());
  }
  // This attempt failed: the next server of the list, and a full pass counts toward giving up.
  server_index_ = (server_index_ + 1) % config_.servers.size();
  if (++failed_in_pass_ >= static_cast<int>(config_.servers.size())) {
    failed_in_pass_ = 0;
    ++passes_;
    if (config_.give_up_after_passes > 0 && passes_ >= config_.give_up_after_passes &&
        !ever_connected_) {
      mp::Error final = error;
      if (final.code != mp::ErrorCode::rate_limited) final.code = mp::ErrorCode::unreachable;
      return go_offline(final);
    }
  }
  emit_connection(error);
  milliseconds delay = backoff_.next();
  // A server that said when to come back is believed (up to the backoff cap).
  if (error.code == mp::ErrorCode::rate_limited && error.retry_after_s > 0)
    delay =
        std::max(delay, std::min(config_.reconnect_max, milliseconds(error.retry_after_s * 1000)));
  schedule_attempt(delay);
}

void RoomSession::schedule_attempt(milliseconds delay) {
  retry_timer_.expires_after(delay);
  std::weak_ptr<RoomSession> weak = weak_from_this();
  retry_timer_.async_wait([weak](const boost::system::error_code& ec) {
    if (ec) return;
    if (auto self = weak.lock()) self->attempt();
  });
}

void RoomSession::go_offline(mp::Error error) {
  state_ = mp::ConnectionState::offline;
  last_error_ = error;
  retry_timer_.cancel();
  // Nothing will carry the waiting calls or restore the room any more.
  auto waiting = std::move(waiting_);
  waiting_.clear();
  for (const auto& call : waiting) call_done(call.id, call.call, error);
  if (room_) leave_room_state("lost", {mp::ErrorCode::room_lost, error.message, 0});
  emit_connection(std::move(error));
}

void RoomSession::emit_connection(mp::Error error) {
  mp::Event event;
  event.type = mp::EventType::connection;
  event.state = state_;
  event.server = conn_ ? conn_->url().to_string()
                       : config_.servers[server_index_ % config_.servers.size()].to_string();
  event.client_id = client_id_;
  event.error = std::move(error);
  emit_event(std::move(event));
}

void RoomSession::tick() {
  if (stopping_) return;
  const std::int64_t now = now_ms();
  // Calls that waited for a connection longer than their timeout.
  for (auto it = waiting_.begin(); it != waiting_.end();) {
    if (now < it->deadline_ms) {
      ++it;
      continue;
    }
    const PendingCall call = std::move(*it);
    it = waiting_.erase(it);
    mp::Error error{mp::ErrorCode::timeout, "not connected to a room server in time", 0};
    if (last_error_) error.message += " (" + last_error_.message + ")";
    call_done(call.id, call.call, std::move(error));
  }
  if (restoring_ && !seated_ && now >= restore_deadline_ms_) {
    restoring_ = false;
    restore_timer_.cancel();
    leave_room_state("lost",
                     {mp::ErrorCode::room_lost, "could not get back into the room in time", 0});
    flush_waiting();
  }
  expire_absent();
  if (config_.metrics_interval.count() > 0 && room_ && seated_) {
    if (next_metrics_ms_ == 0) next_metrics_ms_ = now + config_.metrics_interval.count();
    if (now >= next_metrics_ms_) {
      report_metrics();
      next_metrics_ms_ = now + config_.metrics_interval.count();
    }
  }
  arm_tick();
}

void RoomSession::arm_tick() {
  tick_timer_.expires_after(kTick);
  std::weak_ptr<RoomSession> weak = weak_from_this();
  tick_timer_.async_wait([weak](const boost::system::error_code& ec) {
    if (ec) return;
    if (auto self = weak.lock()) self->tick();
  });
}

}  // namespace sudachi::client

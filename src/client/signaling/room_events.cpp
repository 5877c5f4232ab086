// RoomSession, part 3: the server's events, the room as this client knows it, getting back
// into it after a reconnect, and the peer network's signalling.
#include <algorithm>
#include <cmath>
#include <utility>

#include <boost/json.hpp>

#include "client/signaling/room_session.hpp"

namespace sudachi::client {
namespace json = boost::json;
using std::chrono::milliseconds;

void RoomSession::emit_event(mp::Event event) {
  if (emit_) emit_(std::move(event));
}

void RoomSession::on_event(ServerEvent ev) {
  const json::object* o = ev.payload.if_object();
  auto in_my_room = [this, o] {
    if (!room_ || o == nullptr) return false;
    const auto id = string_field(*o, "roomId", 64);
    return !id || *id == room_->id;  // events without a roomId concern the current room
  };
  mp::Event event;
  if (ev.name == "room:member:joined") {
    const json::value* m = o != nullptr ? o->if_contains("member") : nullptr;
    auto member = m != nullptr ? read_member(*m) : std::nullopt;
    if (!member || !room_ || member->client_id == client_id_) return;
    add_member(*member);
  } else if (ev.name == "room:member:left") {
    const auto id = o != nullptr ? string_field(*o, "clientId", 64) : std::nullopt;
    if (!id || !room_) return;
    remove_member(*id, o != nullptr ? string_field(*o, "reason", 32).value_or("left") : "left");
  } else if (ev.name == "room:host:changed") {
    const auto host = o != nullptr ? string_field(*o, "hostClientId", 64) : std::nullopt;
    if (!host || !room_) return;
    room_->host_client_id = *host;
    for (const auto& m : members_) {
      if (m.client_id == *host) room_->host_username = m.username;
    }
    event.type = mp::EventType::host_changed;
    event.room_id = room_->id;
    event.client_id = *host;
    emit_event(std::move(event));
  } else if (ev.name == "room:updated") {
    const json::value* r = o != nullptr ? o->if_contains("room") : nullptr;
    auto room = r != nullptr ? read_room(*r) : std::nullopt;
    if (!room || !room_ || room->id != room_->id) return;
    room_ = *room;
    event.type = mp::EventType::room_updated;
    event.room = std::move(room);
    event.room_id = room_->id;
    emit_event(std::move(event));
  } else if (ev.name == "room:closed") {
    if (!in_my_room()) return;
    leave_room_state(o != nullptr ? string_field(*o, "reason", 32).value_or("closed_by_host")
                                  : "closed_by_host");
  } else if (ev.name == "room:kicked") {
    if (!in_my_room()) return;
    leave_room_state("kicked");
  } else if (ev.name == "room:chat") {
    if (!in_my_room()) return;
    event.type = mp::EventType::chat;
    event.room_id = room_->id;
    event.client_id = string_field(*o, "fromClientId", 64).value_or("");
    event.username = string_field(*o, "username", 256).value_or("");
    event.text = string_field(*o, "message", 4096).value_or("");
    const json::value* at = o->if_contains("at");
    event.at_ms = at != nullptr && at->is_int64() ? at->as_int64() : 0;
    emit_event(std::move(event));
  } else if (ev.name == "room:list:update") {
    const json::value* r = o != nullptr ? o->if_contains("room") : nullptr;
    auto room = r != nullptr ? read_room(*r) : std::nullopt;
    const auto type = o != nullptr ? string_field(*o, "type", 16) : std::nullopt;
    if (!room || !type) return;
    event.type = mp::EventType::lobby_update;
    event.reason = *type;
    event.room_id = room->id;
    event.room = std::move(room);
    emit_event(std::move(event));
  } else if (ev.name == "p2p:signal") {
    auto signal = read_signal(ev.payload);
    if (!signal || !room_ || signal->room_id != room_->id) return;
    // A member we have not heard of yet (it joined while our connection was down): its signal
    // is how we learn of it.
    const bool known = std::any_of(members_.begin(), members_.end(), [&](const mp::Member& m) {
      return m.client_id == signal->from_client_id;
    });
    if (!known && signal->from_client_id != client_id_) {
      add_member(mp::Member{signal->from_client_id, "", "", 0});
    }
    peers_.on_signal(signal->from_client_id, signal->payload_json);
  } else if (ev.name == "use:relay") {
    auto offer = read_use_relay(ev.payload);
    if (!offer || !room_) return;
    if (offer->peer_client_id.empty()) {
      // A server older than peerClientId: only unambiguous in a room of two.
      if (members_.size() != 2) return;
      for (const auto& m : members_) {
        if (m.client_id != client_id_) offer->peer_client_id = m.client_id;
      }
    }
    peers_.on_use_relay(offer->peer_client_id, *offer);
  } else if (ev.name == "error") {
    // Every call of this client asks for an ack, which carries the same error: an `error`
    // event while calls are pending is their echo. Alone, it is news for the application.
    if (conn_ && conn_->pending_calls() > 0) return;
    event.type = mp::EventType::error;
    event.error = read_error(ev.payload);
    emit_event(std::move(event));
  }
  // room:created, room:joined, room:list and the rest: the acks carry them.
}

void RoomSession::enter_room(mp::RoomInfo room, std::vector<mp::Member> members, bool resumed) {
  const bool same_room = room_ && room_->id == room.id;
  if (room_ && !same_room) leave_room_state("left");
  // Peers we knew in this room and that the server does not list (yet): they may be on their
  // way back (a restore); they stay in the peer network until their time is up.
  std::vector<mp::Member> kept;
  if (same_room) {
    const std::int64_t until = now_ms() + config_.restore_window.count();
    for (const auto& old : members_) {
      const bool listed = std::any_of(members.begin(), members.end(), [&](const mp::Member& m) {
        return m.client_id == old.client_id;
      });
      if (!listed && old.client_id != client_id_) {
        kept.push_back(old);
        absent_until_ms_.emplace(old.client_id, until);
      }
    }
  }
  std::set<std::string> before;
  for (const auto& m : members_) before.insert(m.client_id);
  room_ = std::move(room);
  members_ = std::move(members);
  members_.insert(members_.end(), kept.begin(), kept.end());
  seated_ = true;
  for (const auto& m : members_) {
    if (m.client_id != client_id_ && !before.contains(m.client_id)) {
      peers_.add_peer(m.client_id);
      traffic_[m.client_id] = {0, now_ms()};
    }
  }
  mp::Event event;
  event.type = mp::EventType::room_joined;
  event.room_id = room_->id;
  event.room = room_;
  event.members = members_;
  event.resumed = resumed;
  emit_event(std::move(event));
  flush_signals();
}

void RoomSession::leave_room_state(const std::string& reason, mp::Error error) {
  if (!room_) return;
  const std::string room_id = room_->id;
  for (const auto& m : members_) {
    if (m.client_id != client_id_) peers_.remove_peer(m.client_id);
  }
  room_.reset();
  members_.clear();
  traffic_.clear();
  absent_until_ms_.clear();
  signals_.clear();
  created_with_.reset();
  resume_key_.clear();
  room_password_.clear();
  seated_ = false;
  restoring_ = false;
  restore_timer_.cancel();
  mp::Event event;
  event.type = mp::EventType::room_left;
  event.room_id = room_id;
  event.reason = reason;
  event.error = std::move(error);
  emit_event(std::move(event));
}

void RoomSession::add_member(const mp::Member& member) {
  // Back after a restore: it never left as far as the application knows.
  if (absent_until_ms_.erase(member.client_id) > 0) return;
  const auto it = std::find_if(members_.begin(), members_.end(), [&](const mp::Member& m) {
    return m.client_id == member.client_id;
  });
  if (it != members_.end()) {
    if (!member.username.empty()) *it = member;  // fills in what a signal could not say
    return;
  }
  members_.push_back(member);
  if (room_) room_->players = static_cast<int>(members_.size());
  peers_.add_peer(member.client_id);
  traffic_[member.client_id] = {0, now_ms()};
  mp::Event event;
  event.type = mp::EventType::member_joined;
  event.room_id = room_ ? room_->id : "";
  event.member = member;
  emit_event(std::move(event));
}

void RoomSession::remove_member(const std::string& client_id, const std::string& reason) {
  absent_until_ms_.erase(client_id);
  const auto it = std::find_if(members_.begin(), members_.end(),
                               [&](const mp::Member& m) { return m.client_id == client_id; });
  if (it == members_.end() || client_id == client_id_) return;
  members_.erase(it);
  traffic_.erase(client_id);
  if (room_) room_->players = static_cast<int>(members_.size());
  peers_.remove_peer(client_id);
  mp::Event event;
  event.type = mp::EventType::member_left;
  event.room_id = room_ ? room_->id : "";
  event.client_id = client_id;
  event.reason = reason;
  emit_event(std::move(event));
}

void RoomSession::expire_absent() {
  const std::int64_t now = now_ms();
  std::vector<std::string> gone;
  for (const auto& [id, until] : absent_until_ms_) {
    if (now >= until) gone.push_back(id);
  }
  for (const auto& id : gone) remove_member(id, "disconnected");
}

// ---- getting back into the room after a reconnect

void RoomSession::restore_room(const std::optional<std::string>& seated_room) {
  if (!room_) {
    // Seated in a room this client knows nothing of (another device with this identity, or a
    // client restarted with the same token): it would block every join, so leave it.
    if (seated_room) {
      conn_->emit("room:leave", json::object{{"roomId", *seated_room}}, config_.call_timeout,
                  nullptr);
    }
    return;
  }
  if (seated_room && *seated_room == room_->id) {
    // The server kept the seat (the connection was replaced before it noticed the old one
    // was gone): nothing to redo.
    restoring_ = false;
    seated_ = true;
    enter_room(*room_, members_, true);
    return;
  }
  if (seated_room) {
    conn_->emit("room:leave", json::object{{"roomId", *seated_room}}, config_.call_timeout,
                nullptr);
  }
  restoring_ = true;
  if (restore_deadline_ms_ == 0) restore_deadline_ms_ = now_ms() + config_.restore_window.count();
  restore_step();
}

void RoomSession::restore_call(std::string_view event, const json::value& payload,
                               std::function<void(RoomSession&, const AckBody&)> on_answer) {
  std::weak_ptr<RoomSession> weak = weak_from_this();
  conn_->emit(
      event, payload, config_.call_timeout,
      [weak, on_answer = std::move(on_answer)](SignalingConnection::Reply reply) {
        auto self = weak.lock();
        if (!self || !self->room_ || !self->restoring_) return;
        if (reply.error) {
          // Lost the connection: the next one restores. A timeout: try again.
          if (reply.error.code == mp::ErrorCode::timeout) self->restore_retry(milliseconds(0));
          return;
        }
        const AckBody ack = read_ack(reply.payload);  // points into `reply`
        if (ack.error.code == mp::ErrorCode::rate_limited) {
          return self->restore_retry(milliseconds(std::max(1, ack.error.retry_after_s) * 1000));
        }
        on_answer(*self, ack);
      });
}

void RoomSession::restore_step() {
  if (!room_ || !restoring_ || !conn_ || !conn_->connected()) return;
  json::object payload{{"roomId", room_->id}};
  if (!room_password_.empty()) payload["password"] = room_password_;
  restore_call("room:join", payload, [](RoomSession& self, const AckBody& ack) {
    if (!ack.error) {
      const json::value* r = ack.body->if_contains("room");
      const json::value* ms = ack.body->if_contains("members");
      auto room = r != nullptr ? read_room(*r) : std::nullopt;
      std::vector<mp::Member> members;
      if (ms != nullptr && ms->is_array()) {
        for (const auto& m : ms->as_array()) {
          if (auto member = read_member(m)) members.push_back(std::move(*member));
        }
      }
      if (!room) return self.restore_retry(milliseconds(0));
      self.enter_room(std::move(*room), std::move(members), true);
      return self.restore_done();
    }
    switch (ack.error.code) {
      case mp::ErrorCode::room_not_found:
        // Gone with the server that held it: its creator brings it back; the others wait.
        if (self.created_with_ && !self.resume_key_.empty()) return self.restore_create();
        return self.restore_retry(self.restore_backoff_.next());
      case mp::ErrorCode::already_in_room:
        // Seated after all (the server could not say so in `connected`).
        self.enter_room(*self.room_, self.members_, true);
        return self.restore_done();
      case mp::ErrorCode::unavailable:
      case mp::ErrorCode::internal:
        return self.restore_retry(self.restore_backoff_.next());
      default:
        // Full, banned, a new password: this room is not ours any more.
        self.leave_room_state("lost", ack.error);
        return self.restore_done();
    }
  });
}

void RoomSession::restore_create() {
  json::value payload = create_payload(*created_with_);
  payload.as_object()["roomId"] = room_->id;
  payload.as_object()["resumeKey"] = resume_key_;
  restore_call("room:create", payload, [](RoomSession& self, const AckBody& ack) {
    if (ack.error) {
      // Someone re-created or kept it meanwhile (join it), or the server refused the key (a
      // server with another secret): the join path decides, until the window closes.
      if (ack.error.code == mp::ErrorCode::not_host ||
          ack.error.code == mp::ErrorCode::invalid_request) {
        self.created_with_.reset();
        self.resume_key_.clear();
      }
      return self.restore_retry(self.restore_backoff_.next());
    }
    const json::value* r = ack.body->if_contains("room");
    auto room = r != nullptr ? read_room(*r) : std::nullopt;
    if (!room) return self.restore_retry(milliseconds(0));
    self.resume_key_ = string_field(*ack.body, "resumeKey", 512).value_or(self.resume_key_);
    mp::Member me;
    me.client_id = self.client_id_;
    me.username = room->host_username;
    me.joined_at_ms = room->created_at_ms;
    self.enter_room(std::move(*room), {me}, true);
    self.restore_done();
  });
}

void RoomSession::restore_retry(milliseconds delay) {
  restore_timer_.expires_after(delay);
  std::weak_ptr<RoomSession> weak = weak_from_this();
  restore_timer_.async_wait([weak](const boost::system::error_code& ec) {
    if (ec) return;
    if (auto self = weak.lock()) self->restore_step();
  });
}

void RoomSession::restore_done() {
  restoring_ = false;
  restore_deadline_ms_ = 0;
  restore_timer_.cancel();
  flush_signals();
  flush_waiting();
}

// ---- the peer network's signalling

void RoomSession::send_signal(const std::string& peer_id, std::string payload_json) {
  boost::system::error_code ec;
  json::parse_options options;
  options.max_depth = 16;
  json::value payload = json::parse(payload_json, ec, {}, options);
  if (ec || !payload.is_object()) return;  // the peer network's bug; the server would refuse it
  queue_signal(
      {"p2p:signal", json::object{{"targetClientId", peer_id}, {"payload", std::move(payload)}}});
}

void RoomSession::report_failure(const std::string& peer_id) {
  queue_signal({"p2p:failure", json::object{{"targetClientId", peer_id}}});
}

void RoomSession::report_success(const std::string& peer_id, mp::PathKind path,
                                 std::uint32_t latency_ms) {
  queue_signal({"p2p:success",
                json::object{{"targetClientId", peer_id},
                             {"connectionType", path == mp::PathKind::relay ? "relay" : "direct"},
                             {"latencyMs", std::min<std::uint32_t>(latency_ms, 60'000)}}});
}

void RoomSession::report_metrics() {
  if (!room_ || !seated_ || restoring_ || !conn_ || !conn_->connected()) return;
  const std::int64_t now = now_ms();
  for (const auto& m : members_) {
    if (m.client_id == client_id_) continue;
    const auto stats = peers_.stats(m.client_id);
    if (!stats || stats->path == mp::PathKind::none) continue;
    TrafficSample& last = traffic_[m.client_id];
    if (last.at_ms == 0) last.at_ms = now - 1;  // first report: since it joined our view
    const std::uint64_t bytes = stats->bytes_sent + stats->bytes_received;
    const std::uint64_t delta = bytes >= last.bytes ? bytes - last.bytes : 0;
    const double seconds = static_cast<double>(std::max<std::int64_t>(1, now - last.at_ms)) / 1000;
    last = {bytes, now};
    json::object payload{
        {"roomId", room_->id},
        {"connectionType", stats->path == mp::PathKind::relay ? "relay" : "direct"},
        {"latencyMs", std::clamp<std::int64_t>(std::llround(stats->rtt_ms), 0, 60'000)},
        {"packetLossRate", std::clamp(stats->loss, 0.0, 1.0)},
        {"bandwidthKbps",
         std::clamp<std::int64_t>(std::llround(static_cast<double>(delta) * 8 / 1000 / seconds), 0,
                                  10'000'000)}};
    conn_->emit("metrics:report", payload, config_.call_timeout, [](SignalingConnection::Reply) {});
  }
}

void RoomSession::queue_signal(OutgoingSignal signal) {
  if (!room_) return;
  if (signals_.size() >= config_.max_queued_signals) signals_.pop_front();  // the oldest is stalest
  signals_.push_back(std::move(signal));
  flush_signals();
}

void RoomSession::flush_signals() {
  if (!room_ || !seated_ || restoring_ || !conn_ || !conn_->connected()) return;
  while (!signals_.empty()) {
    OutgoingSignal signal = std::move(signals_.front());
    signals_.pop_front();
    signal.payload["roomId"] = room_->id;
    // Acked so that its `error` echo is recognised; a refused signal is the peer network's to
    // notice (its timers retry or fall back to the relay).
    conn_->emit(signal.event, signal.payload, config_.call_timeout,
                [](SignalingConnection::Reply) {});
  }
}

}  // namespace sudachi::client

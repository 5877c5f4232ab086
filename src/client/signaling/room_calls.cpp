// RoomSession, part 2: the application's calls, their acknowledgements and call_done events.
#include <utility>

#include <boost/json.hpp>

#include "client/signaling/room_session.hpp"

namespace sudachi::client {
namespace json = boost::json;

namespace {

mp::Error no_room() {
  return {mp::ErrorCode::not_in_room, "not in a room", 0};
}

}  // namespace

bool RoomSession::ready() const {
  return conn_ && conn_->connected() && state_ == mp::ConnectionState::connected && !restoring_;
}

void RoomSession::list_rooms(mp::RequestId id, const mp::ListRoomsOptions& options) {
  submit({id, mp::Call::list_rooms, "room:list", list_payload(options), false, 0});
}

void RoomSession::create_room(mp::RequestId id, const mp::CreateRoomOptions& options) {
  submit({id, mp::Call::create_room, "room:create", create_payload(options), false, 0});
}

void RoomSession::join_room(mp::RequestId id, const std::string& room_id,
                            const std::string& password) {
  json::object payload{{"roomId", room_id}};
  if (!password.empty()) payload["password"] = password;
  submit({id, mp::Call::join_room, "room:join", std::move(payload), false, 0});
}

void RoomSession::leave_room(mp::RequestId id) {
  submit({id, mp::Call::leave_room, "room:leave", json::object{}, true, 0});
}

void RoomSession::close_room(mp::RequestId id) {
  submit({id, mp::Call::close_room, "room:close", json::object{}, true, 0});
}

void RoomSession::kick(mp::RequestId id, const std::string& client_id) {
  submit({id, mp::Call::kick, "room:kick", json::object{{"clientId", client_id}}, true, 0});
}

void RoomSession::update_room(mp::RequestId id, const mp::RoomUpdateOptions& options) {
  submit({id, mp::Call::update_room, "room:update", update_payload("", options), true, 0});
}

void RoomSession::chat(mp::RequestId id, const std::string& text) {
  submit({id, mp::Call::chat, "room:chat", json::object{{"message", text}}, true, 0});
}

void RoomSession::subscribe_lobby(mp::RequestId id, const std::string& game_id) {
  json::object payload;
  if (!game_id.empty()) payload["gameId"] = game_id;
  submit({id, mp::Call::subscribe_lobby, "lobby:subscribe", std::move(payload), false, 0});
}

void RoomSession::unsubscribe_lobby(mp::RequestId id) {
  submit({id, mp::Call::unsubscribe_lobby, "lobby:unsubscribe", json::object{}, false, 0});
}

void RoomSession::fail_call(mp::RequestId id, mp::Call call, mp::Error error) {
  call_done(id, call, std::move(error));
}

void RoomSession::submit(PendingCall call) {
  if (stopping_ || !started_) {
    return call_done(call.id, call.call,
                     {mp::ErrorCode::invalid_argument, "the client is not running", 0});
  }
  if (state_ == mp::ConnectionState::offline) {
    mp::Error error = last_error_;
    if (!error) error = {mp::ErrorCode::unreachable, "offline", 0};
    return call_done(call.id, call.call, std::move(error));
  }
  call.deadline_ms = now_ms() + config_.call_timeout.count();
  if (!ready()) {
    waiting_.push_back(std::move(call));
    return;
  }
  send_call(std::move(call));
}

void RoomSession::flush_waiting() {
  while (!waiting_.empty() && ready()) {
    PendingCall call = std::move(waiting_.front());
    waiting_.pop_front();
    send_call(std::move(call));
  }
}

void RoomSession::send_call(PendingCall call) {
  if (call.needs_room) {
    if (!room_) return call_done(call.id, call.call, no_room());
    call.payload.as_object()["roomId"] = room_->id;
  }
  // The last word on each peer's path, while still a member (the server refuses it after).
  if (call.call == mp::Call::leave_room || call.call == mp::Call::close_room) report_metrics();
  const auto left =
      std::chrono::milliseconds(std::max<std::int64_t>(1, call.deadline_ms - now_ms()));
  std::weak_ptr<RoomSession> weak = weak_from_this();
  const mp::RequestId id = call.id;
  const mp::Call kind = call.call;
  const std::string event = call.event;
  const json::value payload = call.payload;
  const bool sent = conn_->emit(event, payload, left,
                                [weak, call = std::move(call)](SignalingConnection::Reply reply) {
                                  if (auto self = weak.lock()) self->finish_call(call, reply);
                                });
  if (!sent)
    call_done(id, kind, {mp::ErrorCode::invalid_argument, "the call could not be sent", 0});
}

void RoomSession::finish_call(const PendingCall& call, const SignalingConnection::Reply& reply) {
  if (reply.error) return call_done(call.id, call.call, reply.error);
  const AckBody ack = read_ack(reply.payload);
  if (ack.error) return call_done(call.id, call.call, ack.error);
  const json::object& body = *ack.body;
  mp::Event done;
  const mp::Error malformed{mp::ErrorCode::protocol_error, "malformed answer from the server", 0};

  switch (call.call) {
    case mp::Call::list_rooms: {
      const json::value* rooms = body.if_contains("rooms");
      if (rooms == nullptr || !rooms->is_array()) return call_done(call.id, call.call, malformed);
      for (const auto& r : rooms->as_array()) {
        auto room = read_room(r);
        if (!room) return call_done(call.id, call.call, malformed);
        done.rooms.push_back(std::move(*room));
      }
      const json::value* total = body.if_contains("total");
      done.total = total != nullptr && total->is_int64() ? static_cast<int>(total->as_int64())
                                                         : static_cast<int>(done.rooms.size());
      break;
    }
    case mp::Call::create_room: {
      const json::value* room_value = body.if_contains("room");
      auto room = room_value != nullptr ? read_room(*room_value) : std::nullopt;
      if (!room) return call_done(call.id, call.call, malformed);
      // Kept to re-create the room if the server loses it (restart, failover).
      resume_key_ = string_field(body, "resumeKey", 512).value_or("");
      mp::CreateRoomOptions options;
      const json::object& p = call.payload.as_object();
      options.game_id = string_field(p, "gameId", 64).value_or("");
      options.game_name = string_field(p, "gameName", 256).value_or("");
      options.name = string_field(p, "name", 256).value_or("");
      options.max_players = p.contains("maxPlayers") && p.at("maxPlayers").is_int64()
                                ? static_cast<int>(p.at("maxPlayers").as_int64())
                                : room->max_players;
      options.password = string_field(p, "password", 512).value_or("");
      options.is_public = room->is_public;
      options.region = string_field(p, "region", 64).value_or("");
      created_with_ = options;
      room_password_ = options.password;
      mp::Member me;
      me.client_id = client_id_;
      me.username = room->host_username;
      me.joined_at_ms = room->created_at_ms;
      done.room = *room;
      done.members = {me};
      enter_room(std::move(*room), {me}, false);
      break;
    }
    case mp::Call::join_room: {
      const json::value* room_value = body.if_contains("room");
      const json::value* members_value = body.if_contains("members");
      auto room = room_value != nullptr ? read_room(*room_value) : std::nullopt;
      if (!room || members_value == nullptr || !members_value->is_array())
        return call_done(call.id, call.call, malformed);
      std::vector<mp::Member> members;
      for (const auto& m : members_value->as_array()) {
        auto member = read_member(m);
        if (!member) return call_done(call.id, call.call, malformed);
        members.push_back(std::move(*member));
      }
      created_with_.reset();
      resume_key_.clear();
      const json::object& p = call.payload.as_object();
      room_password_ = string_field(p, "password", 512).value_or("");
      done.room = *room;
      done.members = members;
      enter_room(std::move(*room), std::move(members), false);
      break;
    }
    case mp::Call::leave_room:
      leave_room_state("left");
      break;
    case mp::Call::close_room:
      leave_room_state("closed_by_host");
      break;
    case mp::Call::update_room: {
      const json::value* room_value = body.if_contains("room");
      auto room = room_value != nullptr ? read_room(*room_value) : std::nullopt;
      if (!room) return call_done(call.id, call.call, malformed);
      done.room = std::move(room);
      break;
    }
    case mp::Call::subscribe_lobby: {
      const json::object& p = call.payload.as_object();
      lobby_game_ = string_field(p, "gameId", 64).value_or("");
      break;
    }
    case mp::Call::unsubscribe_lobby:
      lobby_game_.reset();
      break;
    case mp::Call::kick:
    case mp::Call::chat:
    case mp::Call::none:
      break;
  }
  call_done(call.id, call.call, {}, std::move(done));
}

void RoomSession::call_done(mp::RequestId id, mp::Call call, mp::Error error, mp::Event event) {
  event.type = mp::EventType::call_done;
  event.request_id = id;
  event.call = call;
  event.error = std::move(error);
  emit_event(std::move(event));
}

}  // namespace sudachi::client

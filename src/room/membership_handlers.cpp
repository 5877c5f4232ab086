// Handlers that change who is in a room: join, leave, kick, close, and leaving on disconnect.
#include <string>
#include <utility>

#include <boost/json.hpp>

#include "auth/password.hpp"
#include "room/room_json.hpp"
#include "room/room_service_impl.hpp"

namespace sudachi::room {
namespace json = boost::json;

void RoomServiceImpl::room_join(const Request& req, const json::value& payload) {
  auto parsed = parse_room_join(payload);
  if (!parsed) return req.respond.fail(parsed.error());
  // check_join settles ROOM_NOT_FOUND, ALREADY_IN_ROOM and BANNED; the password comes next
  // (WRONG_PASSWORD), and join_room settles ROOM_FULL last: the contract's precedence.
  std::string room_id = parsed->room_id;  // copied: the callback below takes *parsed
  deps_.store.check_join(
      std::move(room_id), req.who.client_id,
      [this, req, join = std::move(*parsed)](Result<RoomRecord> room) {
        if (!room) return req.respond.fail(room.error());
        if (!room->has_password()) return seat(req, join.room_id, "");
        if (!join.password) {
          return req.respond.fail(
              Error::make(ErrorCode::wrong_password, "This room needs a password"));
        }
        // Guessing is limited before any hashing: over the limit the answer costs nothing
        // (password_attempts.hpp).
        const RateDecision attempt =
            password_attempts_.begin(join.room_id, req.who.client_id, req.who.remote_ip);
        if (!attempt.allowed) {
          deps_.metrics.rate_limited.with({"password"}).inc();
          Error error =
              Error::make(ErrorCode::rate_limited, "Too many password attempts: retry later");
          error.retry_after_seconds = attempt.retry_after_seconds;
          return req.respond.fail(error);
        }
        const bool queued =
            offload_password_work(req, [this, req, join, hash = room->password_hash] {
              if (!auth::verify_password(*join.password, hash)) {
                return req.respond.fail(Error::make(ErrorCode::wrong_password));
              }
              password_attempts_.forgive(join.room_id, req.who.client_id, req.who.remote_ip);
              // The hash verified goes with the join: if the host changed the password
              // meanwhile, join_room refuses with WRONG_PASSWORD instead of seating on a
              // stale check.
              seat(req, join.room_id, hash);
            });
        // Never checked: not a failed attempt.
        if (!queued) password_attempts_.forgive(join.room_id, req.who.client_id, req.who.remote_ip);
      });
}

bool RoomServiceImpl::offload_password_work(const Request& req, std::function<void()> work) {
  WorkSlots::Slot slot = password_slots_.try_acquire();
  if (!slot) {
    deps_.metrics.password_queue_full.inc();
    Error error = Error::make(ErrorCode::unavailable, "Too many password checks: retry shortly");
    error.retry_after_seconds = 1;
    req.respond.fail(error);
    return false;
  }
  deps_.offload([slot = std::move(slot), work = std::move(work)]() mutable {
    work();
    slot.reset();  // given back as soon as the work is done, not when the pool drops the job
  });
  return true;
}

void RoomServiceImpl::seat(const Request& req, const std::string& room_id,
                           std::string expected_hash) {
  Member member{req.who.client_id, req.who.username, req.who.platform, deps_.clock.unix_ms()};
  deps_.store.join_room(
      room_id, member, std::move(expected_hash), [this, req, member](Result<RoomView> view) {
        if (!view) return req.respond.fail(view.error());
        json::array members;
        members.reserve(view->members.size());
        std::vector<Member> others;
        for (const auto& m : view->members) {
          members.emplace_back(member_to_json(m));
          if (m.client_id != member.client_id) others.push_back(m);
        }
        req.respond.reply("room:joined", json::object{{"room", room_to_json(view->room)},
                                                      {"members", std::move(members)}});
        to_members(others, "room:member:joined", json::object{{"member", member_to_json(member)}});
        lobby_update("update", view->room);
      });
}

void RoomServiceImpl::room_leave(const Request& req, const json::value& payload) {
  auto parsed = parse_room_ref(payload);
  if (!parsed) return req.respond.fail(parsed.error());
  deps_.store.leave_room(parsed->room_id, req.who.client_id,
                         [this, req, room_id = parsed->room_id](Result<LeaveOutcome> outcome) {
                           if (!outcome) return req.respond.fail(outcome.error());
                           req.respond.ack(json::object{{"roomId", room_id}});
                           announce_departure(*outcome, LeaveReason::left);
                         });
}

void RoomServiceImpl::room_kick(const Request& req, const json::value& payload) {
  auto parsed = parse_room_kick(payload);
  if (!parsed) return req.respond.fail(parsed.error());
  if (parsed->client_id == req.who.client_id) {
    return req.respond.fail(Error::make(ErrorCode::invalid_request, "The host cannot kick itself"));
  }
  deps_.store.kick(
      parsed->room_id, req.who.client_id, parsed->client_id,
      [this, req, room_id = parsed->room_id](Result<LeaveOutcome> outcome) {
        if (!outcome) return req.respond.fail(outcome.error());
        deps_.delivery.to_client(outcome->departed.client_id,
                                 event_frame("room:kicked", json::object{{"roomId", room_id}}));
        req.respond.ack(
            json::object{{"roomId", room_id}, {"clientId", outcome->departed.client_id}});
        announce_departure(*outcome, LeaveReason::kicked);
      });
}

void RoomServiceImpl::room_close(const Request& req, const json::value& payload) {
  auto parsed = parse_room_ref(payload);
  if (!parsed) return req.respond.fail(parsed.error());
  deps_.store.close_room(parsed->room_id, req.who.client_id, [this, req](Result<RoomView> view) {
    if (!view) return req.respond.fail(view.error());
    const json::object body{{"roomId", view->room.id}, {"reason", "closed_by_host"}};
    to_members(view->members, "room:closed", body);
    req.respond.ack(body);
    retire_room(view->room, "closed_by_host");
  });
}

void RoomServiceImpl::leave_after_disconnect(const std::string& client_id) {
  deps_.store.room_of(client_id, [this, client_id](Result<std::optional<std::string>> room_id) {
    // Nobody to answer: a store failure here leaves the member to the store's own expiry.
    if (!room_id || !*room_id) return;
    deps_.store.leave_room(**room_id, client_id, [this](Result<LeaveOutcome> outcome) {
      if (outcome) announce_departure(*outcome, LeaveReason::disconnected);
    });
  });
}

void RoomServiceImpl::announce_departure(const LeaveOutcome& outcome, LeaveReason reason) {
  const RoomView& after = outcome.after;
  if (outcome.closed) {
    // The last member left: there is no one to tell, but the room still goes into history.
    retire_room(after.room, "empty");
    return;
  }
  to_members(after.members, "room:member:left",
             json::object{{"clientId", outcome.departed.client_id}, {"reason", to_string(reason)}});
  if (outcome.new_host_client_id) {
    to_members(after.members, "room:host:changed",
               json::object{{"hostClientId", *outcome.new_host_client_id}});
  }
  lobby_update("update", after.room);
}

void RoomServiceImpl::retire_room(const RoomRecord& room, std::string_view reason) {
  const std::int64_t now = deps_.clock.unix_ms();
  RoomHistoryRow row;
  row.room_id = room.id;
  row.game_id = room.game_id;
  row.host_client_id =
      room.creator_client_id.empty() ? room.host_client_id : room.creator_client_id;
  row.max_players = room.max_players;
  row.actual_players = room.peak_players;
  row.created_at_ms = room.created_at_ms;
  row.closed_at_ms = now;
  row.region = room.region;
  row.connections = room.connections;
  deps_.history.room_closed(std::move(row));
  deps_.metrics.room_closed(room, reason);
  lobby_update("remove", room);
}

}  // namespace sudachi::room

// Room lifecycle handlers that do not change membership: create, list, lobby, update, chat.
#include <string>
#include <utility>

#include <boost/json.hpp>

#include "auth/password.hpp"
#include "common/random_id.hpp"
#include "room/room_json.hpp"
#include "room/room_service_impl.hpp"

namespace sudachi::room {
namespace json = boost::json;

void RoomServiceImpl::room_create(const Request& req, const json::value& payload) {
  auto parsed = parse_room_create(payload);
  if (!parsed) return req.respond.fail(parsed.error());
  if (!parsed->resume_room_id) return create_checked(req, std::move(*parsed));

  // Re-creating a room the server lost: only its creator (the key proves it), and only while
  // no room has that id (one that still exists is joined instead). create_room refuses a
  // colliding id atomically should one appear in between.
  if (!resume_keys_.verify(*parsed->resume_room_id, req.who.client_id, parsed->resume_key)) {
    return req.respond.fail(
        Error::make(ErrorCode::not_host, "resumeKey does not match this room and client"));
  }
  std::string room_id = *parsed->resume_room_id;  // copied: the callback below takes *parsed
  deps_.store.get_room(std::move(room_id), [this, req, create = std::move(*parsed)](
                                               Result<RoomView> existing) mutable {
    if (existing) {
      for (const auto& m : existing->members) {
        if (m.client_id == req.who.client_id)
          return req.respond.fail(Error::make(ErrorCode::already_in_room));
      }
      return req.respond.fail(
          Error::make(ErrorCode::invalid_request, "The room still exists: join it instead"));
    }
    if (existing.error().code != ErrorCode::room_not_found)
      return req.respond.fail(existing.error());
    create_checked(req, std::move(create));
  });
}

void RoomServiceImpl::create_checked(const Request& req, CreateRoomRequest create) {
  if (!create.password) return create_with_hash(req, std::move(create), "");

  // Hashing is deliberately slow: refuse a client already in a room before paying for it.
  // create_room checks again atomically.
  deps_.store.room_of(req.who.client_id, [this, req, create = std::move(create)](
                                             Result<std::optional<std::string>> current) {
    if (!current) return req.respond.fail(current.error());
    if (*current) return req.respond.fail(Error::make(ErrorCode::already_in_room));
    offload_password_work(req, [this, req, create] {
      create_with_hash(req, create, auth::hash_password(*create.password));
    });
  });
}

void RoomServiceImpl::create_with_hash(const Request& req, CreateRoomRequest create,
                                       std::string password_hash) {
  const std::int64_t now = deps_.clock.unix_ms();
  RoomRecord draft;
  draft.id = create.resume_room_id ? *create.resume_room_id : random_uuid_v4();
  draft.game_id = std::move(create.game_id);
  draft.game_name = std::move(create.game_name);
  draft.name = std::move(create.name);
  draft.host_client_id = req.who.client_id;
  draft.host_username = req.who.username;
  draft.creator_client_id = req.who.client_id;
  draft.max_players = create.max_players;
  draft.players = 1;
  draft.peak_players = 1;
  draft.password_hash = std::move(password_hash);
  draft.visibility = create.visibility;
  draft.region = create.region.value_or(deps_.region);
  draft.created_at_ms = now;
  Member host{req.who.client_id, req.who.username, req.who.platform, now};

  deps_.store.create_room(std::move(draft), std::move(host), [this, req](Result<RoomView> view) {
    if (!view) return req.respond.fail(view.error());
    const RoomRecord& room = view->room;
    deps_.metrics.room_opened(room);
    json::object body{{"success", true}, {"room", room_to_json(room)}};
    // Only the creator ever sees it: what lets it bring the room back (auth/room_resume.hpp).
    if (resume_keys_.enabled()) body["resumeKey"] = resume_keys_.key(room.id, room.host_client_id);
    req.respond.reply("room:created", body);
    lobby_update("add", room);
  });
}

void RoomServiceImpl::room_list(const Request& req, const json::value& payload) {
  auto filter = parse_room_list(payload);
  if (!filter) return req.respond.fail(filter.error());
  deps_.store.list_rooms(std::move(*filter), [req](Result<RoomPage> page) {
    if (!page) return req.respond.fail(page.error());
    json::array rooms;
    rooms.reserve(page->rooms.size());
    for (const auto& room : page->rooms) rooms.emplace_back(room_to_json(room));
    req.respond.reply("room:list",
                      json::object{{"rooms", std::move(rooms)}, {"total", page->total}});
  });
}

void RoomServiceImpl::lobby_subscribe(const Request& req, const json::value& payload) {
  auto lobby = parse_lobby(payload);
  if (!lobby) return req.respond.fail(lobby.error());
  deps_.delivery.subscribe_lobby(req.who.client_id, std::move(lobby->game_id));
  req.respond.ack();
}

void RoomServiceImpl::lobby_unsubscribe(const Request& req, const json::value& payload) {
  auto lobby = parse_lobby(payload);
  if (!lobby) return req.respond.fail(lobby.error());
  deps_.delivery.unsubscribe_lobby(req.who.client_id);
  req.respond.ack();
}

void RoomServiceImpl::room_update(const Request& req, const json::value& payload) {
  auto parsed = parse_room_update(payload);
  if (!parsed) return req.respond.fail(parsed.error());
  RoomUpdate change{parsed->name, parsed->max_players, std::nullopt, parsed->visibility};
  if (!parsed->password || parsed->password->empty()) {
    change.password_hash = parsed->password;  // unset: keep; "": remove
    return apply_update(req, *parsed, std::move(change));
  }

  // A new password costs a hash: make sure the requester is the host before paying for it.
  // update_room checks again atomically.
  std::string room_id = parsed->room_id;  // copied: the callback below takes *parsed
  deps_.store.get_room(std::move(room_id),
                       [this, req, update = std::move(*parsed),
                        change = std::move(change)](Result<RoomView> view) mutable {
                         if (!view) return req.respond.fail(view.error());
                         bool member = false;
                         for (const auto& m : view->members)
                           member = member || m.client_id == req.who.client_id;
                         if (!member) return req.respond.fail(Error::make(ErrorCode::not_in_room));
                         if (view->room.host_client_id != req.who.client_id) {
                           return req.respond.fail(Error::make(ErrorCode::not_host));
                         }
                         offload_password_work(req, [this, req, update, change]() mutable {
                           change.password_hash = auth::hash_password(*update.password);
                           apply_update(req, update, std::move(change));
                         });
                       });
}

void RoomServiceImpl::apply_update(const Request& req, const UpdateRoomRequest& update,
                                   RoomUpdate change) {
  const std::optional<Visibility> visibility = update.visibility;
  deps_.store.update_room(update.room_id, req.who.client_id, std::move(change),
                          [this, req, visibility](Result<RoomView> view) {
                            if (!view) return req.respond.fail(view.error());
                            const json::object body{{"room", room_to_json(view->room)}};
                            to_members(view->members, "room:updated", body);
                            req.respond.ack(body);
                            // Made private: gone from the lobby. Made public: "add", which lobby
                            // clients treat as an upsert (the store does not say whether it was
                            // public before). Otherwise a plain update.
                            if (visibility == Visibility::private_room) {
                              // lobby_update skips private rooms; this one must still leave the
                              // lobby it was in.
                              RoomRecord as_public = view->room;
                              as_public.visibility = Visibility::public_room;
                              lobby_update("remove", as_public);
                            } else {
                              lobby_update(visibility ? "add" : "update", view->room);
                            }
                          });
}

void RoomServiceImpl::room_chat(const Request& req, const json::value& payload) {
  auto parsed = parse_room_chat(payload);
  if (!parsed) return req.respond.fail(parsed.error());
  const std::string room_id = parsed->room_id;  // copied: the callback below takes *parsed
  with_members(req, room_id, std::nullopt, [this, req, chat = std::move(*parsed)](RoomView view) {
    deps_.metrics.chat_messages.inc();
    const json::object body{{"roomId", chat.room_id},
                            {"fromClientId", req.who.client_id},
                            {"username", req.who.username},
                            {"message", chat.message},
                            {"at", deps_.clock.unix_ms()}};
    to_members(view.members, "room:chat", body);
    req.respond.ack(body);
  });
}

}  // namespace sudachi::room

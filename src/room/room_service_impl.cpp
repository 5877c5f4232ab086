#include "room/room_service_impl.hpp"

#include <string>
#include <utility>

#include <boost/json.hpp>

#include "room/room_json.hpp"

namespace sudachi::room {
namespace json = boost::json;

RoomServiceImpl::RoomServiceImpl(Dependencies deps)
    : deps_(std::move(deps)), resume_keys_(deps_.room_resume_secret) {
  if (!deps_.offload) {
    // No pool configured: hash inline. Correct, only slower for the thread that runs it.
    deps_.offload = [](std::function<void()> work) { work(); };
  }
  // Per-event counters are looked up once here, so counting an event takes no lock.
  for (const Route& route : routes()) {
    event_counters_.push_back(&deps_.metrics.events.with({std::string(route.event)}));
  }
  event_counters_.push_back(&deps_.metrics.events.with({"unknown"}));
}

std::span<const RoomServiceImpl::Route> RoomServiceImpl::routes() {
  static const Route kRoutes[] = {
      {"room:create", &RoomServiceImpl::room_create},
      {"room:list", &RoomServiceImpl::room_list},
      {"lobby:subscribe", &RoomServiceImpl::lobby_subscribe},
      {"lobby:unsubscribe", &RoomServiceImpl::lobby_unsubscribe},
      {"room:join", &RoomServiceImpl::room_join},
      {"room:leave", &RoomServiceImpl::room_leave},
      {"room:close", &RoomServiceImpl::room_close},
      {"room:kick", &RoomServiceImpl::room_kick},
      {"room:update", &RoomServiceImpl::room_update},
      {"room:chat", &RoomServiceImpl::room_chat},
      {"p2p:signal", &RoomServiceImpl::p2p_signal},
      {"p2p:success", &RoomServiceImpl::p2p_success},
      {"p2p:failure", &RoomServiceImpl::p2p_failure},
      {"metrics:report", &RoomServiceImpl::metrics_report},
  };
  return kRoutes;
}

const RoomServiceImpl::Route* RoomServiceImpl::find_route(std::string_view event) {
  // A linear scan of 14 names is cheaper than hashing, and keeps the table readable.
  for (const Route& route : routes()) {
    if (route.event == event) return &route;
  }
  return nullptr;
}

void RoomServiceImpl::on_connected(const ClientIdentity& who,
                                   std::shared_ptr<ClientConnection> conn) {
  // One live connection per client: the newer one wins, the older one is told to go.
  auto replaced = deps_.delivery.attach(who.client_id, conn);
  if (replaced && replaced != conn) replaced->disconnect();

  const std::int64_t now = deps_.clock.unix_ms();
  deps_.history.upsert_client(
      ClientRow{who.client_id, who.username, who.platform, who.sudachi_version, now});
  // A client may come back still seated: its previous connection was replaced, or its
  // server instance died and it reconnected elsewhere. The membership stands (nobody made it
  // leave), and `connected` names the room so the client knows where it is. If the store
  // cannot answer, the client is told nothing extra (a join then says ALREADY_IN_ROOM).
  deps_.store.room_of(who.client_id, [this, conn, client_id = who.client_id,
                                      now](Result<std::optional<std::string>> room_id) {
    json::object body{
        {"clientId", client_id}, {"serverTime", now}, {"serverVersion", deps_.server_version}};
    if (room_id && *room_id) body["roomId"] = **room_id;
    // The STUN service clients learn their public address from: a relay of this server's
    // region (every relay port answers STUN Binding). Without one the field is left out and
    // clients fall back to their own default.
    deps_.relays.pick(deps_.region, [conn,
                                     body = std::move(body)](Result<RelayEndpoint> relay) mutable {
      if (relay) {
        body["stun"] = json::array{json::object{{"host", relay->host}, {"port", relay->udp_port}}};
      }
      conn->send(event_frame("connected", body));
    });
  });
}

void RoomServiceImpl::evict_disconnected(const std::string& client_id) {
  leave_after_disconnect(client_id);
}

void RoomServiceImpl::on_event(const ClientIdentity& who,
                               const std::shared_ptr<ClientConnection>& conn,
                               std::string_view event, json::value payload,
                               std::optional<std::uint64_t> ack_id) {
  const Route* route = find_route(event);
  const Handler* handler = route != nullptr ? &route->handler : nullptr;
  // Unknown names are counted under one label so clients cannot grow the metric without bound.
  event_counters_[route != nullptr ? static_cast<std::size_t>(route - routes().data())
                                   : routes().size()]
      ->inc();

  Request req{who, Responder(conn, ack_id, deps_.metrics)};
  std::string name(event);
  // Every event costs a point, unknown ones included; a refused event is not executed.
  deps_.event_limiter.consume(
      who.client_id, [this, handler, req = std::move(req), name = std::move(name),
                      payload = std::move(payload)](RateDecision decision) {
        if (!decision.allowed) {
          deps_.metrics.rate_limited.with({"event"}).inc();
          Error error = Error::make(ErrorCode::rate_limited);
          error.retry_after_seconds = decision.retry_after_seconds;
          req.respond.fail(error);
          return;
        }
        if (handler == nullptr) {
          req.respond.fail(Error::make(ErrorCode::invalid_request, "Unknown event '" + name + "'"));
          return;
        }
        dispatch(*handler, req, payload);
      });
}

void RoomServiceImpl::dispatch(Handler handler, const Request& req, const json::value& payload) {
  // Handlers report their failures through the responder; an exception here is a bug (or
  // std::bad_alloc), and must not take the network thread down with it.
  try {
    (this->*handler)(req, payload);
  } catch (const std::exception&) {
    req.respond.fail(Error::make(ErrorCode::internal));
  }
}

void RoomServiceImpl::on_disconnected(const ClientIdentity& who, const ClientConnection* conn) {
  // A connection replaced by a newer one of the same client must not evict the newer one
  // from its room: only the current connection's end counts as the client leaving.
  if (!deps_.delivery.detach(who.client_id, conn)) return;
  if (deps_.shared_state && draining_.load()) return;
  leave_after_disconnect(who.client_id);
}

void RoomServiceImpl::lobby_update(std::string_view type, const RoomRecord& room) {
  if (room.visibility != Visibility::public_room) return;
  deps_.delivery.to_lobby(
      room.game_id,
      event_frame("room:list:update", json::object{{"type", type}, {"room", room_to_json(room)}}));
}

void RoomServiceImpl::to_members(const std::vector<Member>& members, std::string_view event,
                                 const json::value& payload) {
  if (members.empty()) return;
  std::vector<std::string> ids;
  ids.reserve(members.size());
  for (const auto& m : members) ids.push_back(m.client_id);
  deps_.delivery.to_clients(ids, event_frame(event, payload));
}

}  // namespace sudachi::room

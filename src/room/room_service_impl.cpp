#include "room/room_service_impl.hpp"

#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>

#include <boost/json.hpp>

#include "room/room_json.hpp"

namespace sudachi::room {
namespace json = boost::json;

namespace {

// Event names are the client's to choose, and the transport admits up to --max-payload bytes
// of one: an error answer quotes at most this much of a name, so that it stays small whatever
// was sent (issue 7: a 900 KB name came back twice, in the `error` event and in the ack).
constexpr std::size_t kQuotedNameBytes = 64;

// The length of the UTF-8 sequence `lead` starts, or 0 for a byte that cannot start one.
std::size_t utf8_length(unsigned char lead) {
  if (lead < 0x80) return 1;
  if (lead >= 0xc2 && lead <= 0xdf) return 2;
  if (lead >= 0xe0 && lead <= 0xef) return 3;
  if (lead >= 0xf0 && lead <= 0xf4) return 4;
  return 0;
}

std::uint32_t decode_utf8(std::string_view seq) {
  const auto byte = [&](std::size_t i) { return static_cast<std::uint32_t>(seq[i]) & 0xffu; };
  if (seq.size() == 1) return byte(0);
  std::uint32_t cp = byte(0) & (0x7fu >> seq.size());
  for (std::size_t i = 1; i < seq.size(); ++i) cp = (cp << 6) | (byte(i) & 0x3fu);
  return cp;
}

// Code points that would garble or disguise the text around them where a client shows or
// logs the message: C0, DEL, C1, and the bidi embeddings, overrides and isolates.
bool is_control(std::uint32_t cp) {
  return cp < 0x20 || (cp >= 0x7f && cp <= 0x9f) || (cp >= 0x202a && cp <= 0x202e) ||
         (cp >= 0x2066 && cp <= 0x2069);
}

// A printable prefix of `name` of at most kQuotedNameBytes bytes, cut at a character
// boundary; controls and bytes that are not UTF-8 become '?', and "..." marks a cut.
std::string quote_event_name(std::string_view name) {
  std::string out;
  std::size_t i = 0;
  while (i < name.size()) {
    const std::size_t n = utf8_length(static_cast<unsigned char>(name[i]));
    bool valid = n != 0 && i + n <= name.size();
    for (std::size_t k = 1; valid && k < n; ++k) {
      valid = (static_cast<unsigned char>(name[i + k]) & 0xc0) == 0x80;
    }
    const std::string_view seq = name.substr(i, valid ? n : 1);
    const std::uint32_t cp = valid ? decode_utf8(seq) : 0;
    // Overlong forms, surrogates and code points past U+10FFFF are not UTF-8 either.
    const bool printable = valid && !is_control(cp) && !(cp >= 0xd800 && cp <= 0xdfff) &&
                           cp <= 0x10ffff && (n < 3 || cp >= (n == 3 ? 0x800u : 0x10000u));
    const std::size_t width = printable ? seq.size() : 1;
    if (out.size() + width > kQuotedNameBytes) return out + "...";
    if (printable) {
      out.append(seq);
    } else {
      out.push_back('?');
    }
    i += seq.size();
  }
  return out;
}

}  // namespace

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
  for (const Route& route : routes()) {
    event_durations_.push_back(&deps_.metrics.event_duration.with({std::string(route.event)}));
  }
  event_durations_.push_back(&deps_.metrics.event_duration.with({"unknown"}));
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
  const std::size_t index =
      route != nullptr ? static_cast<std::size_t>(route - routes().data()) : routes().size();
  event_counters_[index]->inc();

  Request req{who, Responder(conn, ack_id, deps_.metrics, event_durations_[index])};
  // Only a bounded quote of an unknown name is kept: the continuation may outlive this call,
  // and the client's name may be as long as the transport's payload limit.
  std::string unknown_name = handler == nullptr ? quote_event_name(event) : std::string();
  if (handler == nullptr) payload = nullptr;  // never read: do not hold it while waiting
  // Every event costs a point, unknown ones included; a refused event is not executed.
  deps_.event_limiter.consume(
      who.client_id, [this, handler, req = std::move(req), unknown_name = std::move(unknown_name),
                      payload = std::move(payload)](RateDecision decision) {
        if (!decision.allowed) {
          deps_.metrics.rate_limited.with({"event"}).inc();
          Error error = Error::make(ErrorCode::rate_limited);
          error.retry_after_seconds = decision.retry_after_seconds;
          req.respond.fail(error);
          return;
        }
        if (handler == nullptr) {
          req.respond.fail(
              Error::make(ErrorCode::invalid_request, "Unknown event '" + unknown_name + "'"));
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

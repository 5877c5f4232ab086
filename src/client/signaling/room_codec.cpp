#include "client/signaling/room_codec.hpp"

#include <utility>

#include <boost/json.hpp>

namespace sudachi::client {
namespace json = boost::json;

namespace {

constexpr std::size_t kMaxIdChars = 64;
constexpr std::size_t kMaxTextChars = 1024;  // chat is 500 characters, up to 4 bytes each
constexpr std::size_t kMaxSignalBytes = 16 * 1024;

std::optional<std::int64_t> int_field(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  if (v == nullptr) return std::nullopt;
  if (v->is_int64()) return v->as_int64();
  if (v->is_uint64() && v->as_uint64() <= static_cast<std::uint64_t>(INT64_MAX))
    return static_cast<std::int64_t>(v->as_uint64());
  // Times can arrive as doubles from JavaScript-minded peers; whole values only.
  if (v->is_double()) {
    const double d = v->as_double();
    if (d >= -9e15 && d <= 9e15 && static_cast<double>(static_cast<std::int64_t>(d)) == d)
      return static_cast<std::int64_t>(d);
  }
  return std::nullopt;
}

std::optional<bool> bool_field(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  if (v == nullptr || !v->is_bool()) return std::nullopt;
  return v->as_bool();
}

std::optional<std::uint16_t> port_field(const json::object& o, std::string_view key) {
  const auto n = int_field(o, key);
  if (!n || *n < 1 || *n > 65535) return std::nullopt;
  return static_cast<std::uint16_t>(*n);
}

}  // namespace

std::optional<std::string> string_field(const json::object& o, std::string_view key,
                                        std::size_t max_length) {
  const json::value* v = o.if_contains(key);
  if (v == nullptr || !v->is_string() || v->as_string().size() > max_length) return std::nullopt;
  return std::string(v->as_string());
}

std::optional<mp::RoomInfo> read_room(const json::value& v) {
  const json::object* o = v.if_object();
  if (o == nullptr) return std::nullopt;
  mp::RoomInfo room;
  auto id = string_field(*o, "id", kMaxIdChars);
  auto game_id = string_field(*o, "gameId", 16);
  auto name = string_field(*o, "name");
  auto host = string_field(*o, "hostClientId", kMaxIdChars);
  auto max_players = int_field(*o, "maxPlayers");
  auto players = int_field(*o, "players");
  if (!id || id->empty() || !game_id || !name || !host || !max_players || !players)
    return std::nullopt;
  if (*max_players < 0 || *max_players > 1024 || *players < 0 || *players > 1024)
    return std::nullopt;
  room.id = std::move(*id);
  room.game_id = std::move(*game_id);
  room.name = std::move(*name);
  room.host_client_id = std::move(*host);
  room.max_players = static_cast<int>(*max_players);
  room.players = static_cast<int>(*players);
  room.game_name = string_field(*o, "gameName").value_or("");
  room.host_username = string_field(*o, "hostUsername").value_or("");
  room.has_password = bool_field(*o, "hasPassword").value_or(false);
  room.is_public = string_field(*o, "visibility").value_or("public") != "private";
  room.region = string_field(*o, "region").value_or("");
  room.created_at_ms = int_field(*o, "createdAt").value_or(0);
  return room;
}

std::optional<mp::Member> read_member(const json::value& v) {
  const json::object* o = v.if_object();
  if (o == nullptr) return std::nullopt;
  auto id = string_field(*o, "clientId", kMaxIdChars);
  if (!id || id->empty()) return std::nullopt;
  mp::Member m;
  m.client_id = std::move(*id);
  m.username = string_field(*o, "username").value_or("");
  m.platform = string_field(*o, "platform").value_or("");
  m.joined_at_ms = int_field(*o, "joinedAt").value_or(0);
  return m;
}

std::optional<sudachi::ErrorCode> server_code(mp::ErrorCode code) {
  // The public enum lists the server's codes in the server's order, right after `none`.
  static_assert(static_cast<int>(mp::ErrorCode::auth_failed) == 1 &&
                static_cast<int>(sudachi::ErrorCode::auth_failed) == 0);
  static_assert(static_cast<int>(mp::ErrorCode::internal) - 1 ==
                static_cast<int>(sudachi::ErrorCode::internal));
  if (code < mp::ErrorCode::auth_failed || code > mp::ErrorCode::internal) return std::nullopt;
  return static_cast<sudachi::ErrorCode>(static_cast<int>(code) - 1);
}

mp::ErrorCode error_code_from_string(std::string_view code) {
  for (int i = static_cast<int>(mp::ErrorCode::auth_failed);
       i <= static_cast<int>(mp::ErrorCode::internal); ++i) {
    const auto candidate = static_cast<mp::ErrorCode>(i);
    if (sudachi::to_string(*server_code(candidate)) == code) return candidate;
  }
  return mp::ErrorCode::unknown;
}

mp::Error read_error(const json::value& v) {
  mp::Error error;
  const json::object* o = v.if_object();
  auto code = o != nullptr ? string_field(*o, "code", 64) : std::nullopt;
  if (!code) {
    error.code = mp::ErrorCode::protocol_error;
    error.message = "malformed error from the server";
    return error;
  }
  error.code = error_code_from_string(*code);
  error.message = string_field(*o, "message", kMaxTextChars).value_or("");
  if (error.code == mp::ErrorCode::unknown) error.message = *code + ": " + error.message;
  const auto retry = int_field(*o, "retryAfter");
  if (retry && *retry > 0 && *retry < 86'400 * 7) error.retry_after_s = static_cast<int>(*retry);
  return error;
}

AckBody read_ack(const json::value& v) {
  AckBody out;
  const json::object* o = v.if_object();
  const auto success = o != nullptr ? bool_field(*o, "success") : std::nullopt;
  if (!success) {
    out.error = {mp::ErrorCode::protocol_error, "malformed acknowledgement", 0};
    return out;
  }
  if (!*success) {
    const json::value* error = o->if_contains("error");
    out.error = error != nullptr ? read_error(*error)
                                 : mp::Error{mp::ErrorCode::protocol_error, "ack without error", 0};
    if (!out.error) out.error.code = mp::ErrorCode::protocol_error;
    return out;
  }
  out.body = o;
  return out;
}

std::optional<Connected> read_connected(const json::value& v) {
  const json::object* o = v.if_object();
  if (o == nullptr) return std::nullopt;
  auto id = string_field(*o, "clientId", kMaxIdChars);
  if (!id || id->empty()) return std::nullopt;
  Connected c;
  c.client_id = std::move(*id);
  if (o->contains("roomId")) {
    c.room_id = string_field(*o, "roomId", kMaxIdChars);
    if (!c.room_id) return std::nullopt;
  }
  if (const json::value* stun = o->if_contains("stun")) {
    const json::array* list = stun->if_array();
    if (list == nullptr) return std::nullopt;
    // A handful is plenty; a server announcing thousands is not believed past the first few.
    for (std::size_t i = 0; i < list->size() && c.stun.size() < 8; ++i) {
      const json::object* s = (*list)[i].if_object();
      if (s == nullptr) return std::nullopt;
      auto host = string_field(*s, "host", 255);
      auto port = port_field(*s, "port");
      if (!host || host->empty() || !port) return std::nullopt;
      c.stun.push_back({std::move(*host), *port});
    }
  }
  return c;
}

std::optional<RelayOfferFields> read_use_relay(const json::value& v) {
  const json::object* o = v.if_object();
  if (o == nullptr) return std::nullopt;
  RelayOfferFields r;
  auto peer = string_field(*o, "peerClientId", kMaxIdChars);
  auto server = string_field(*o, "server", 255);
  auto port = port_field(*o, "port");
  auto tcp_port = port_field(*o, "tcpPort");
  auto session = string_field(*o, "sessionId", 64);
  auto token = string_field(*o, "token", 1024);
  auto expires = int_field(*o, "expiresAt");
  if (!server || server->empty() || !port || !session || !token || token->empty() || !expires)
    return std::nullopt;
  r.peer_client_id = peer.value_or("");
  r.server = std::move(*server);
  r.port = *port;
  r.tcp_port = tcp_port.value_or(*port);
  r.protocol = string_field(*o, "protocol", 16).value_or("udp");
  r.session_id = std::move(*session);
  r.token = std::move(*token);
  r.expires_at_ms = *expires;
  return r;
}

std::optional<SignalFields> read_signal(const json::value& v) {
  const json::object* o = v.if_object();
  if (o == nullptr) return std::nullopt;
  auto room = string_field(*o, "roomId", kMaxIdChars);
  auto from = string_field(*o, "fromClientId", kMaxIdChars);
  const json::value* payload = o->if_contains("payload");
  if (!room || !from || from->empty() || payload == nullptr) return std::nullopt;
  SignalFields s;
  s.room_id = std::move(*room);
  s.from_client_id = std::move(*from);
  s.payload_json = json::serialize(*payload);
  if (s.payload_json.size() > kMaxSignalBytes) return std::nullopt;
  return s;
}

json::value create_payload(const mp::CreateRoomOptions& o) {
  json::object p{{"gameId", o.game_id},
                 {"name", o.name},
                 {"maxPlayers", o.max_players},
                 {"visibility", o.is_public ? "public" : "private"}};
  if (!o.game_name.empty()) p["gameName"] = o.game_name;
  if (!o.password.empty()) p["password"] = o.password;
  if (!o.region.empty()) p["region"] = o.region;
  return p;
}

json::value list_payload(const mp::ListRoomsOptions& o) {
  json::object p{{"offset", o.offset}, {"limit", o.limit}};
  if (!o.game_id.empty()) p["gameId"] = o.game_id;
  if (!o.region.empty()) p["region"] = o.region;
  if (o.has_password) p["hasPassword"] = *o.has_password;
  if (o.not_full) p["notFull"] = *o.not_full;
  return p;
}

json::value update_payload(const std::string& room_id, const mp::RoomUpdateOptions& o) {
  json::object p{{"roomId", room_id}};
  if (o.name) p["name"] = *o.name;
  if (o.max_players) p["maxPlayers"] = *o.max_players;
  if (o.password) p["password"] = *o.password;
  if (o.is_public) p["visibility"] = *o.is_public ? "public" : "private";
  return p;
}

}  // namespace sudachi::client

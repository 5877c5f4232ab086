#include "storage/redis/room_codec.hpp"

#include <optional>
#include <utility>

namespace sudachi::storage::redis {
namespace {

Error malformed(std::string_view what) {
  return Error::make(ErrorCode::internal, "Malformed Redis reply: " + std::string(what));
}

// Contract codes a script may answer with; anything else is INTERNAL.
std::optional<ErrorCode> code_of(std::string_view name) {
  static constexpr std::pair<std::string_view, ErrorCode> kCodes[] = {
      {"ROOM_NOT_FOUND", ErrorCode::room_not_found},
      {"ROOM_FULL", ErrorCode::room_full},
      {"WRONG_PASSWORD", ErrorCode::wrong_password},
      {"NOT_HOST", ErrorCode::not_host},
      {"NOT_IN_ROOM", ErrorCode::not_in_room},
      {"ALREADY_IN_ROOM", ErrorCode::already_in_room},
      {"BANNED", ErrorCode::banned},
      {"INVALID_REQUEST", ErrorCode::invalid_request},
      {"INTERNAL", ErrorCode::internal}};
  for (const auto& [text, code] : kCodes) {
    if (text == name) return code;
  }
  return std::nullopt;
}

std::string text_at(const std::vector<RedisReply>& e, std::size_t i) {
  auto s = i < e.size() ? e[i].as_string() : std::nullopt;
  return s ? std::string(*s) : std::string();
}

// Numbers stored by us; a missing field (nil) reads as 0, garbage is an error.
std::optional<std::int64_t> int_at(const std::vector<RedisReply>& e, std::size_t i) {
  if (i >= e.size() || e[i].is_nil()) return 0;
  return e[i].as_int();
}

}  // namespace

std::vector<std::string> encode_room(const room::RoomRecord& r) {
  const bool is_public = r.visibility == room::Visibility::public_room;
  std::vector<std::string> values = {r.id,
                                     r.game_id,
                                     r.game_name,
                                     r.name,
                                     r.host_client_id,
                                     r.host_username,
                                     r.creator_client_id,
                                     std::to_string(r.max_players),
                                     std::to_string(r.players),
                                     std::to_string(r.peak_players),
                                     r.password_hash,
                                     is_public ? "public" : "private",
                                     r.region,
                                     std::to_string(r.created_at_ms),
                                     std::to_string(r.connections.direct),
                                     std::to_string(r.connections.relay),
                                     std::to_string(r.connections.failed)};
  std::vector<std::string> pairs;
  pairs.reserve(2 * kRoomFields.size());
  for (std::size_t i = 0; i < kRoomFields.size(); ++i) {
    pairs.emplace_back(kRoomFields[i]);
    pairs.push_back(std::move(values[i]));
  }
  return pairs;
}

Status script_status(const RedisReply& reply) {
  if (reply.is_error()) return to_error(reply);
  const auto& e = reply.elements();
  const auto status = !e.empty() ? e[0].as_string() : std::nullopt;
  // Messages name the shape, never the content: a reply may hold password hashes, and error
  // messages can reach clients.
  if (!reply.is_array() || !status) return malformed("script answer");
  if (*status == "OK") return ok_status();
  const auto code = code_of(*status);
  if (!code) return malformed("script status");
  const std::string message = text_at(e, 1);
  return message.empty() ? Error::make(*code) : Error::make(*code, message);
}

Result<room::RoomRecord> decode_room(const RedisReply& fields) {
  const auto& e = fields.elements();
  if (!fields.is_array() || e.size() != kRoomFields.size()) return malformed("room fields");
  // A room whose hash vanished (expired) reads as all nil: it does not exist.
  if (!e[0].as_string()) return Error::make(ErrorCode::room_not_found);
  room::RoomRecord r;
  r.id = text_at(e, 0);
  r.game_id = text_at(e, 1);
  r.game_name = text_at(e, 2);
  r.name = text_at(e, 3);
  r.host_client_id = text_at(e, 4);
  r.host_username = text_at(e, 5);
  r.creator_client_id = text_at(e, 6);
  const auto max = int_at(e, 7), players = int_at(e, 8), peak = int_at(e, 9);
  const auto created = int_at(e, 13), direct = int_at(e, 14), relay = int_at(e, 15),
             failed = int_at(e, 16);
  if (!max || !players || !peak || !created || !direct || !relay || !failed) {
    return malformed("room numbers");
  }
  r.max_players = static_cast<int>(*max);
  r.players = static_cast<int>(*players);
  r.peak_players = static_cast<int>(*peak);
  r.password_hash = text_at(e, 10);
  r.visibility =
      text_at(e, 11) == "private" ? room::Visibility::private_room : room::Visibility::public_room;
  r.region = text_at(e, 12);
  r.created_at_ms = *created;
  r.connections = room::ConnectionCounts{static_cast<int>(*direct), static_cast<int>(*relay),
                                         static_cast<int>(*failed)};
  return r;
}

Result<std::vector<room::Member>> decode_members(const RedisReply& flat) {
  const auto& e = flat.elements();
  if (!flat.is_array() || e.size() % 4 != 0) return malformed("members");
  std::vector<room::Member> members;
  members.reserve(e.size() / 4);
  for (std::size_t i = 0; i < e.size(); i += 4) {
    const auto joined = int_at(e, i + 3);
    if (!e[i].as_string() || !joined) return malformed("member");
    members.push_back(room::Member{text_at(e, i), text_at(e, i + 1), text_at(e, i + 2), *joined});
  }
  return members;
}

Result<room::RoomView> decode_view(const RedisReply& reply) {
  if (auto status = script_status(reply); !status) return std::move(status).error();
  const auto& e = reply.elements();
  if (e.size() < 3) return malformed("view");
  auto room = decode_room(e[1]);
  if (!room) return std::move(room).error();
  auto members = decode_members(e[2]);
  if (!members) return std::move(members).error();
  return room::RoomView{std::move(room).value(), std::move(members).value()};
}

Result<room::LeaveOutcome> decode_leave(const RedisReply& reply) {
  auto view = decode_view(reply);
  if (!view) return std::move(view).error();
  const auto& e = reply.elements();
  if (e.size() < 6) return malformed("leave");
  auto departed = decode_members(e[3]);
  if (!departed || departed->size() != 1) return malformed("departed member");
  const auto closed = e[5].as_int();
  if (!closed) return malformed("closed flag");
  room::LeaveOutcome outcome;
  outcome.after = std::move(view).value();
  outcome.departed = std::move(departed->front());
  if (auto host = e[4].as_string()) outcome.new_host_client_id = std::string(*host);
  outcome.closed = *closed != 0;
  return outcome;
}

Result<room::RoomPage> decode_page(const RedisReply& reply) {
  if (auto status = script_status(reply); !status) return std::move(status).error();
  const auto& e = reply.elements();
  const auto total = e.size() >= 3 ? e[1].as_int() : std::nullopt;
  if (!total || !e[2].is_array()) return malformed("page");
  room::RoomPage page;
  page.total = static_cast<int>(*total);
  for (const RedisReply& fields : e[2].elements()) {
    auto room = decode_room(fields);
    if (!room) return malformed("listed room");
    page.rooms.push_back(std::move(room).value());
  }
  return page;
}

Result<std::optional<std::string>> decode_room_of(const RedisReply& reply) {
  if (auto status = script_status(reply); !status) return std::move(status).error();
  const auto& e = reply.elements();
  if (e.size() < 2) return std::optional<std::string>();  // Lua drops a trailing nil
  auto id = e[1].as_string();
  return id ? std::optional<std::string>(std::string(*id)) : std::nullopt;
}

}  // namespace sudachi::storage::redis

#include "room/validation.hpp"

#include <boost/json/serializer.hpp>

#include "room/field_reader.hpp"
#include "room/text_rules.hpp"

namespace sudachi::room {
namespace json = boost::json;
using Need = FieldReader::Need;
using Rule = FieldReader::TextRule;

namespace {

constexpr Rule kNameRule{1, kMaxNameChars, false};
constexpr Rule kGameNameRule{0, kMaxGameNameChars, false};
constexpr Rule kPasswordRule{1, kMaxPasswordChars, false};
constexpr Rule kRegionRule{1, kMaxRegionChars, false};
constexpr Rule kChatRule{1, kMaxChatChars, true};
constexpr Rule kResumeKeyRule{1, kMaxResumeKeyChars, false};
constexpr std::int64_t kMaxLatencyMs = 60'000;
constexpr std::int64_t kMaxBandwidthKbps = 10'000'000;
constexpr std::int64_t kMaxOffset = 1'000'000;

std::optional<Visibility> visibility(FieldReader& r, Need need) {
  auto is_public = r.choice("visibility", need, "public", "private");
  if (!is_public) return std::nullopt;
  return *is_public ? Visibility::public_room : Visibility::private_room;
}

// A password field: a non-empty string, or "" meaning "none" (create and update accept both
// so that a form's empty password box does what the player expects).
std::optional<std::string> password(FieldReader& r) {
  const json::value* v = r.find("password");
  if (v != nullptr && v->is_string() && v->as_string().empty()) return std::string();
  return r.text("password", Need::optional, kPasswordRule);
}

// Whether `v` serializes to at most `limit` bytes, without serializing more than limit + 1:
// a megabyte payload is refused after 8 KiB of work.
bool serialized_within(const json::value& v, std::size_t limit) {
  json::serializer sr;
  sr.reset(&v);
  char buffer[1024];
  std::size_t total = 0;
  while (!sr.done()) {
    total += sr.read(buffer, sizeof buffer).size();
    if (total > limit) return false;
  }
  return true;
}

// A name other players see (room name, username, game name): the text rule, then the
// anti-spoofing rules of text::name_problem, and it is kept in NFC. "" (allowed by a rule with
// min_chars 0) means not given and is returned as is.
std::optional<std::string> display_name(FieldReader& r, std::string_view key, Need need,
                                        Rule rule) {
  auto raw = r.text(key, need, rule);
  if (!raw || raw->empty()) return raw;
  auto nfc = text::to_nfc(*raw);
  if (!nfc) {
    r.fail(std::string(key) + " could not be normalised");
    return std::nullopt;
  }
  if (const auto problem = text::name_problem(*nfc); problem != text::NameProblem::none) {
    r.fail(std::string(key) + " " + std::string(text::describe(problem)));
    return std::nullopt;
  }
  // Composing usually shortens a name, but a few characters decompose under NFC too.
  if (text::utf8_length(*nfc).value_or(0) > rule.max_chars) {
    r.fail(std::string(key) + " must be " + std::to_string(rule.min_chars) + " to " +
           std::to_string(rule.max_chars) + " characters");
    return std::nullopt;
  }
  return nfc;
}

// An empty query parameter (`?gameId=`) means "no filter", as the lobby page sends it.
bool given_and_not_empty(const FieldReader& r, std::string_view key) {
  const json::value* v = r.find(key);
  return v != nullptr && !(v->is_string() && v->as_string().empty());
}

}  // namespace

Result<CreateRoomRequest> parse_room_create(const json::value& payload) {
  FieldReader r(payload, false);
  CreateRoomRequest out;
  auto game_id = r.game_id("gameId", Need::required);
  auto game_name = display_name(r, "gameName", Need::optional, kGameNameRule);
  auto name = display_name(r, "name", Need::required, kNameRule);
  auto max_players = r.integer("maxPlayers", Need::required, kMinPlayers, kMaxPlayers);
  auto pass = password(r);
  auto vis = visibility(r, Need::required);
  auto region = r.text("region", Need::optional, kRegionRule);
  auto resume_room = r.id("roomId", Need::optional);
  auto resume_key = r.text("resumeKey", Need::optional, kResumeKeyRule);
  if (r.ok() && resume_room.has_value() != resume_key.has_value())
    r.fail("roomId and resumeKey go together");
  if (!r.ok()) return r.error();
  out.resume_room_id = std::move(resume_room);
  out.resume_key = resume_key.value_or("");
  out.game_id = std::move(*game_id);
  out.game_name = game_name.value_or("");
  out.name = std::move(*name);
  out.max_players = static_cast<int>(*max_players);
  if (pass && !pass->empty()) out.password = std::move(pass);
  out.visibility = *vis;
  out.region = std::move(region);
  return out;
}

Result<RoomFilter> parse_room_list(const json::value& payload) {
  FieldReader r(payload, true);
  RoomFilter out;
  if (given_and_not_empty(r, "gameId")) out.game_id = r.game_id("gameId", Need::optional);
  if (given_and_not_empty(r, "region")) out.region = r.text("region", Need::optional, kRegionRule);
  out.has_password = r.boolean("hasPassword", Need::optional, true);
  out.not_full = r.boolean("notFull", Need::optional, true);
  auto offset = r.integer("offset", Need::optional, 0, kMaxOffset, true);
  auto limit = r.integer("limit", Need::optional, 1, kMaxListLimit, true);
  if (!r.ok()) return r.error();
  out.offset = static_cast<int>(offset.value_or(0));
  out.limit = static_cast<int>(limit.value_or(50));
  return out;
}

Result<LobbyRequest> parse_lobby(const json::value& payload) {
  FieldReader r(payload, true);
  auto game_id = r.game_id("gameId", Need::optional);
  if (!r.ok()) return r.error();
  return LobbyRequest{std::move(game_id)};
}

Result<JoinRoomRequest> parse_room_join(const json::value& payload) {
  FieldReader r(payload, false);
  auto room_id = r.id("roomId", Need::required);
  // A join password is compared, not stored: any string up to the cap, "" meaning none.
  auto pass = password(r);
  if (!r.ok()) return r.error();
  JoinRoomRequest out{std::move(*room_id), std::nullopt};
  if (pass && !pass->empty()) out.password = std::move(pass);
  return out;
}

Result<RoomRef> parse_room_ref(const json::value& payload) {
  FieldReader r(payload, false);
  auto room_id = r.id("roomId", Need::required);
  if (!r.ok()) return r.error();
  return RoomRef{std::move(*room_id)};
}

Result<KickRequest> parse_room_kick(const json::value& payload) {
  FieldReader r(payload, false);
  auto room_id = r.id("roomId", Need::required);
  auto client_id = r.id("clientId", Need::required);
  if (!r.ok()) return r.error();
  return KickRequest{std::move(*room_id), std::move(*client_id)};
}

Result<UpdateRoomRequest> parse_room_update(const json::value& payload) {
  FieldReader r(payload, false);
  UpdateRoomRequest out;
  auto room_id = r.id("roomId", Need::required);
  out.name = display_name(r, "name", Need::optional, kNameRule);
  auto max_players = r.integer("maxPlayers", Need::optional, kMinPlayers, kMaxPlayers);
  // null removes the password here, unlike elsewhere where null means "not given".
  if (r.contains("password") && r.find("password") == nullptr) {
    out.password = std::string();
  } else {
    out.password = password(r);
  }
  out.visibility = visibility(r, Need::optional);
  if (!r.ok()) return r.error();
  out.room_id = std::move(*room_id);
  if (max_players) out.max_players = static_cast<int>(*max_players);
  return out;
}

Result<ChatRequest> parse_room_chat(const json::value& payload) {
  FieldReader r(payload, false);
  auto room_id = r.id("roomId", Need::required);
  auto message = r.text("message", Need::required, kChatRule);
  if (!r.ok()) return r.error();
  return ChatRequest{std::move(*room_id), std::move(*message)};
}

Result<SignalRequest> parse_p2p_signal(const json::value& payload) {
  FieldReader r(payload, false);
  auto room_id = r.id("roomId", Need::required);
  auto target = r.id("targetClientId", Need::required);
  // The payload is opaque (SDP, ICE candidates): any JSON, null included, but present.
  if (r.ok() && !r.contains("payload")) r.fail("payload is required");
  if (r.ok() && !serialized_within(payload.as_object().at("payload"), kMaxSignalBytes)) {
    r.fail("payload must be at most 8192 bytes of JSON");
  }
  if (!r.ok()) return r.error();
  return SignalRequest{std::move(*room_id), std::move(*target), payload.as_object().at("payload")};
}

Result<P2pReport> parse_p2p_success(const json::value& payload) {
  FieldReader r(payload, false);
  auto room_id = r.id("roomId", Need::required);
  auto target = r.id("targetClientId", Need::required);
  auto direct = r.choice("connectionType", Need::required, "direct", "relay");
  auto latency = r.integer("latencyMs", Need::optional, 0, kMaxLatencyMs);
  if (!r.ok()) return r.error();
  P2pReport out{std::move(*room_id), std::move(*target),
                *direct ? P2pOutcome::direct : P2pOutcome::relay, std::nullopt};
  if (latency) out.latency_ms = static_cast<int>(*latency);
  return out;
}

Result<P2pReport> parse_p2p_failure(const json::value& payload) {
  FieldReader r(payload, false);
  auto room_id = r.id("roomId", Need::required);
  auto target = r.id("targetClientId", Need::required);
  if (!r.ok()) return r.error();
  return P2pReport{std::move(*room_id), std::move(*target), P2pOutcome::failed, std::nullopt};
}

Result<MetricsReport> parse_metrics_report(const json::value& payload) {
  FieldReader r(payload, false);
  auto room_id = r.id("roomId", Need::required);
  auto direct = r.choice("connectionType", Need::required, "direct", "relay");
  auto latency = r.integer("latencyMs", Need::required, 0, kMaxLatencyMs);
  auto loss = r.number("packetLossRate", Need::required, 0.0, 1.0);
  auto bandwidth = r.integer("bandwidthKbps", Need::required, 0, kMaxBandwidthKbps);
  if (!r.ok()) return r.error();
  return MetricsReport{std::move(*room_id), *direct ? "direct" : "relay",
                       static_cast<int>(*latency), *loss, static_cast<int>(*bandwidth)};
}

std::optional<std::string> username_from_claim(std::string_view name) {
  const json::value payload = json::object{{"username", name}};
  FieldReader r(payload, false);
  auto username = display_name(r, "username", Need::required, kNameRule);
  if (!r.ok()) return std::nullopt;
  return username;
}

Result<GuestSignUp> parse_guest_sign_up(const json::value& payload) {
  FieldReader r(payload, false);
  auto username = display_name(r, "username", Need::required, kNameRule);
  // "" counts as not given, like an unset form field.
  auto platform = r.text("platform", Need::optional, Rule{0, 32, false});
  auto version = r.text("sudachiVersion", Need::optional, Rule{0, 64, false});
  if (!r.ok()) return r.error();
  auto or_unknown = [](std::optional<std::string>& s) {
    return s && !s->empty() ? std::move(*s) : std::string("unknown");
  };
  return GuestSignUp{std::move(*username), or_unknown(platform), or_unknown(version)};
}

}  // namespace sudachi::room

#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <boost/json/value.hpp>

#include "common/result.hpp"
#include "room/model.hpp"

// Typed requests for every client event, parsed from the already-decoded JSON payload. Each
// parser returns INVALID_REQUEST with a message naming the field and the rule it broke; the
// handlers after it only ever see well-formed values. Limits are in docs/room-protocol.md.
namespace sudachi::room {

inline constexpr std::size_t kMaxNameChars = 32;  // room names and usernames
inline constexpr std::size_t kMaxGameNameChars = 64;
inline constexpr std::size_t kMaxChatChars = 500;
inline constexpr std::size_t kMaxPasswordChars = 128;  // bounds the hashing work per request
inline constexpr std::size_t kMaxRegionChars = 32;
inline constexpr std::size_t kMaxSignalBytes = 8 * 1024;
inline constexpr int kMinPlayers = 2;
inline constexpr int kMaxPlayers = 16;
inline constexpr int kMaxListLimit = 100;
inline constexpr std::size_t kMaxResumeKeyChars = 128;

struct CreateRoomRequest {
  std::string game_id;
  std::string game_name;  // "" when not given
  std::string name;
  int max_players = 2;
  std::optional<std::string> password;  // never empty: "" means no password
  Visibility visibility = Visibility::public_room;
  std::optional<std::string> region;
  // Re-creating a room the server lost under its old id (roomId + resumeKey, both or neither;
  // auth/room_resume.hpp).
  std::optional<std::string> resume_room_id;
  std::string resume_key;
};

struct LobbyRequest {
  std::optional<std::string> game_id;
};

struct JoinRoomRequest {
  std::string room_id;
  std::optional<std::string> password;
};

// room:leave and room:close.
struct RoomRef {
  std::string room_id;
};

struct KickRequest {
  std::string room_id;
  std::string client_id;
};

struct UpdateRoomRequest {
  std::string room_id;
  std::optional<std::string> name;
  std::optional<int> max_players;
  // Outer unset: keep the password. Inner "": remove it ("" or null on the wire).
  std::optional<std::string> password;
  std::optional<Visibility> visibility;
};

struct ChatRequest {
  std::string room_id;
  std::string message;
};

struct SignalRequest {
  std::string room_id;
  std::string target_client_id;
  boost::json::value payload;
};

// p2p:success and p2p:failure. `outcome` is failed for p2p:failure.
struct P2pReport {
  std::string room_id;
  std::string target_client_id;
  P2pOutcome outcome = P2pOutcome::failed;
  std::optional<int> latency_ms;
};

struct MetricsReport {
  std::string room_id;
  std::string connection_type;  // "direct" or "relay"
  int latency_ms = 0;
  double packet_loss_rate = 0;
  int bandwidth_kbps = 0;
};

struct GuestSignUp {
  std::string username;
  std::string platform;         // "unknown" when not given
  std::string sudachi_version;  // "unknown" when not given
};

Result<CreateRoomRequest> parse_room_create(const boost::json::value& payload);
// Also used by GET /api/v1/rooms, whose query parameters arrive as a JSON object of strings:
// "true"/"false" and decimal strings are accepted beside real booleans and numbers, and an
// empty gameId or region means no filter.
Result<RoomFilter> parse_room_list(const boost::json::value& payload);
Result<LobbyRequest> parse_lobby(const boost::json::value& payload);
Result<JoinRoomRequest> parse_room_join(const boost::json::value& payload);
Result<RoomRef> parse_room_ref(const boost::json::value& payload);
Result<KickRequest> parse_room_kick(const boost::json::value& payload);
Result<UpdateRoomRequest> parse_room_update(const boost::json::value& payload);
Result<ChatRequest> parse_room_chat(const boost::json::value& payload);
Result<SignalRequest> parse_p2p_signal(const boost::json::value& payload);
Result<P2pReport> parse_p2p_success(const boost::json::value& payload);
Result<P2pReport> parse_p2p_failure(const boost::json::value& payload);
Result<MetricsReport> parse_metrics_report(const boost::json::value& payload);
Result<GuestSignUp> parse_guest_sign_up(const boost::json::value& payload);
// The username a token's "name" claim gives (tokens minted by an operator's own identity
// service carry any string): the sign-up's rules and NFC form, or nullopt when it breaks one.
std::optional<std::string> username_from_claim(std::string_view name);

}  // namespace sudachi::room

#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/value.hpp>

#include "common/error_code.hpp"
#include "sudachi/mp.hpp"

// The room server's JSON (docs/room-protocol.md) to and from the public types. Readers take
// what the server sent as hostile: a wrong type, a missing required field or an oversized
// string makes the whole value unreadable (nullopt) instead of half-filled; unknown fields are
// ignored (the protocol grows by adding fields).
namespace sudachi::client {

std::optional<mp::RoomInfo> read_room(const boost::json::value& v);
std::optional<mp::Member> read_member(const boost::json::value& v);
// {code, message, retryAfter?}; an unknown code reads as UNKNOWN with the code in the message.
mp::Error read_error(const boost::json::value& v);
mp::ErrorCode error_code_from_string(std::string_view code);
// The room server's code for a public code, when it is one of the server's.
std::optional<sudachi::ErrorCode> server_code(mp::ErrorCode code);

// An ack: {success:true, ...} gives the object; {success:false, error} gives the error; any
// other shape is a protocol error.
struct AckBody {
  mp::Error error;
  const boost::json::object* body = nullptr;  // points into the ack's value
};
AckBody read_ack(const boost::json::value& v);

struct StunServer {
  std::string host;
  std::uint16_t port = 0;
};

// `connected {clientId, serverTime, serverVersion, roomId?, stun?}`
struct Connected {
  std::string client_id;
  std::optional<std::string> room_id;
  std::vector<StunServer> stun;
};
std::optional<Connected> read_connected(const boost::json::value& v);

// `use:relay {server, port, tcpPort, protocol, sessionId, token, expiresAt, peerClientId}`
struct RelayOfferFields {
  std::string peer_client_id;
  std::string server;
  std::uint16_t port = 0;
  std::uint16_t tcp_port = 0;
  std::string protocol;
  std::string session_id;
  std::string token;
  std::int64_t expires_at_ms = 0;
};
std::optional<RelayOfferFields> read_use_relay(const boost::json::value& v);

// `p2p:signal {roomId, fromClientId, payload}`
struct SignalFields {
  std::string room_id;
  std::string from_client_id;
  std::string payload_json;  // the payload object, serialized again for the peer network
};
std::optional<SignalFields> read_signal(const boost::json::value& v);

// Request payloads.
boost::json::value create_payload(const mp::CreateRoomOptions& o);
boost::json::value list_payload(const mp::ListRoomsOptions& o);
boost::json::value update_payload(const std::string& room_id, const mp::RoomUpdateOptions& o);

// Reads a string field of an object, bounded in length; nullopt when absent, not a string,
// or too long.
std::optional<std::string> string_field(const boost::json::object& o, std::string_view key,
                                        std::size_t max_length = 256);

}  // namespace sudachi::client

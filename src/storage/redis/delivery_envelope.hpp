#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"

namespace sudachi::storage::redis {

// A pub/sub message between room-server instances (docs/scaling.md). Frames travel ready-made
// (the Engine.IO text "42[...]"), so the receiving instance only looks up its sockets.
//   frame: deliver `frame` to `client_ids` (those held by the receiving instance)
//   kick:  the client connected elsewhere; disconnect its connection number `serial` here
//   lobby: deliver `frame` to the lobby subscribers of `game_id`
struct Envelope {
  enum class Kind { frame, kick, lobby };
  Kind kind = Kind::frame;
  std::string origin;  // sending instance (receivers skip their own lobby messages)
  std::vector<std::string> client_ids;  // frame: recipients; kick: the one client
  std::string game_id;                  // lobby
  std::uint64_t serial = 0;             // kick
  std::string frame;                    // frame, lobby
};

// Binary-safe, I/O-free: a kind letter ('F', 'K', 'L') followed by netstring-like fields
// "<decimal length>:<bytes>". Client ids and frames may hold any byte.
std::string encode_envelope(const Envelope& envelope);
// INVALID_REQUEST for anything malformed (truncated, unknown kind, trailing bytes, absurd
// counts): the payload comes from the network and is not trusted.
Result<Envelope> decode_envelope(std::string_view payload);

// Presence values: "<instance id>|<connection serial>".
std::string presence_value(std::string_view instance_id, std::uint64_t serial);
struct PresenceValue {
  std::string instance_id;
  std::uint64_t serial = 0;
};
std::optional<PresenceValue> parse_presence(std::string_view value);

// Instance ids go into key names and presence values: 1..100 of [A-Za-z0-9._-].
bool valid_instance_id(std::string_view id);

}  // namespace sudachi::storage::redis

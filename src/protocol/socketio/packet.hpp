#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <boost/json/value.hpp>

// Socket.IO v5 packet codec (the payload of an Engine.IO MESSAGE): bytes in, packets out;
// no I/O. Decoders never throw and bound nesting depth and size.
namespace sudachi::socketio {

enum class PacketType : int {
  connect = 0,
  disconnect = 1,
  event = 2,
  ack = 3,
  connect_error = 4,
  binary_event = 5,
  binary_ack = 6,
};

struct Packet {
  PacketType type = PacketType::event;
  std::string nsp = "/";
  std::optional<std::uint64_t> id;  // ack id
  boost::json::value data;          // null when absent
  std::uint32_t attachments = 0;    // binary packets only
};

enum class DecodeError {
  none,
  empty,
  unknown_type,
  bad_namespace,    // namespace too long or not printable UTF-8
  bad_ack_id,       // digits overflow uint64
  bad_attachments,  // binary packet without a valid "<n>-" prefix
  bad_json,         // payload is not valid JSON, or too deep
  bad_payload,      // valid JSON of the wrong shape for the packet type (e.g. EVENT not an array
                    // starting with a string, CONNECT payload not an object)
};

struct DecodeLimits {
  std::size_t max_json_depth = 32;
  std::size_t max_namespace_length = 128;
};

// `text` is the Socket.IO packet without the Engine.IO '4'. Shapes are checked as the
// reference parser does (socket.io-parser isPayloadValid), so a successful EVENT always has an
// array whose first element is a string that is not a reserved name ("connect", "disconnect",
// ...); a namespace must start with '/', end with ',' and be printable UTF-8 (it is echoed back
// in CONNECT_ERROR, so it must not smuggle a polling separator); non-finite numbers (1e400) are
// bad_json because they cannot be serialized back as JSON. On error `out` is default-constructed.
DecodeError decode(std::string_view text, Packet& out, const DecodeLimits& limits = {});

std::string_view to_string(DecodeError error) noexcept;

// Encoders produce complete Engine.IO MESSAGE text: a leading '4' and then the Socket.IO
// packet, ready for a WebSocket text frame or a polling payload segment. The default
// namespace is implied (no "/," prefix).

// The Socket.IO packet text for `packet` (no Engine.IO '4'), the inverse of decode: namespace
// prefix unless "/", "<n>-" for binary types, the id when set, the JSON when not null.
std::string encode(const Packet& packet);

// 42["<event>",<data>]   (just ["<event>"] when data is null)
std::string encode_event_frame(std::string_view event, const boost::json::value& data);
// 43<id>[<data>]: `data` is one argument, except that an array is taken as the whole argument
// list (so [a,b] sends two arguments, null sends none). An array as a single argument: [[...]].
std::string encode_ack_frame(std::uint64_t id, const boost::json::value& data);
// 40{"sid":"<sid>"}
std::string encode_connect_frame(std::string_view sid);
// 44<nsp,>{"message":"...","data":...}   (data omitted when null)
std::string encode_connect_error_frame(std::string_view nsp, std::string_view message,
                                       const boost::json::value& data);
// 41
std::string encode_disconnect_frame();

}  // namespace sudachi::socketio

#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

// Engine.IO v4 packet codec: bytes in, packets out; no I/O. Every input is hostile: decoders
// never throw, never read past the input and bound what they produce.
namespace sudachi::engineio {

enum class PacketType : char {
  open = '0',
  close = '1',
  ping = '2',
  pong = '3',
  message = '4',
  upgrade = '5',
  noop = '6',
};

struct Packet {
  PacketType type = PacketType::noop;
  bool binary = false;  // a base64 "b" packet in polling, or a binary WebSocket frame
  std::string data;     // text after the type char; decoded bytes when binary
};

enum class DecodeError {
  none,
  empty,         // zero-length packet
  unknown_type,  // first char not 0-6
  bad_base64,    // "b" packet with invalid base64
  too_many,      // more packets in one payload than allowed
};

// One text packet, as carried by a WebSocket text frame or one segment of a polling payload.
// "b<base64>" is a binary MESSAGE; the base64 must be canonical (padded, no stray bits), which
// is what every Engine.IO client sends. On error `out` is left default-constructed.
DecodeError decode_packet(std::string_view text, Packet& out);

// A polling POST body: packets separated by the record separator 0x1e; a segment starting
// with 'b' is a base64-encoded binary message. At most `max_packets` are accepted. Empty
// segments (an empty body, "\x1e\x1e", a trailing separator) are errors, as in the reference
// parser. On error `out` is left empty.
DecodeError decode_payload(std::string_view body, std::vector<Packet>& out,
                           std::size_t max_packets);

// "<type><data>" for a text packet.
std::string encode_packet(PacketType type, std::string_view data = {});

// "b<base64>" for a binary MESSAGE in a polling payload (WebSocket sends the raw bytes instead).
std::string encode_binary_packet(std::string_view bytes);

// Joins already-encoded text packets with 0x1e for a polling GET response.
std::string encode_payload(const std::vector<std::string_view>& encoded_packets);

// The OPEN packet's JSON: {"sid","upgrades","pingInterval","pingTimeout","maxPayload"},
// prefixed with '0'. `upgrades` is ["websocket"] when offered, else [].
std::string encode_open(std::string_view sid, bool offer_websocket_upgrade,
                        std::uint32_t ping_interval_ms, std::uint32_t ping_timeout_ms,
                        std::uint64_t max_payload);

// Engine.IO's HTTP error bodies: {"code":N,"message":"..."} as the reference server sends.
enum class HttpErrorCode {
  unknown_transport = 0,
  unknown_sid = 1,
  bad_handshake_method = 2,
  bad_request = 3,
  forbidden = 4,
  unsupported_protocol_version = 5,
};
// A value outside the enum is answered as bad_request rather than inventing a message.
std::string encode_http_error(HttpErrorCode code);

}  // namespace sudachi::engineio

#pragma once

#include <optional>
#include <string>
#include <string_view>

// The server side of the RFC 6455 opening handshake, without I/O: the transport reads the
// HTTP request, asks these functions, and writes the 101 answer.
namespace sudachi::websocket {

// Sec-WebSocket-Accept for a client's Sec-WebSocket-Key: base64(SHA-1(key + GUID)). Empty when
// the key is not the base64 of 16 bytes (RFC 6455 §4.2.1 item 5), which the caller answers 400.
std::optional<std::string> accept_key(std::string_view client_key);

// Whether a comma-separated header value (Connection, Upgrade) contains `token`, compared
// case-insensitively and ignoring optional whitespace: "keep-alive, Upgrade" has "upgrade".
bool header_has_token(std::string_view value, std::string_view token);

// The 101 response completing the handshake, ready to write.
std::string switching_protocols_response(std::string_view accept);

}  // namespace sudachi::websocket

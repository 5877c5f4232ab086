#include "protocol/socketio/packet.hpp"

#include <array>
#include <charconv>
#include <cmath>
#include <limits>
#include <vector>

#include <boost/json.hpp>

namespace sudachi::socketio {
namespace json = boost::json;

namespace {

constexpr char kEngineIoMessage = '4';

// Names the reference parser refuses as events: they would collide with the library's own.
constexpr std::array<std::string_view, 6> kReservedEvents = {
    "connect", "connect_error", "disconnect", "disconnecting", "newListener", "removeListener",
};

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

bool is_binary(PacketType type) {
  return type == PacketType::binary_event || type == PacketType::binary_ack;
}

// Reads a run of decimal digits at `pos` into `value`; false when it exceeds `max`. An empty
// run reads as 0 and leaves `pos` unchanged; the caller decides whether that is allowed.
bool read_decimal(std::string_view text, std::size_t& pos, std::uint64_t max,
                  std::uint64_t& value) {
  value = 0;
  while (pos < text.size() && is_digit(text[pos])) {
    const auto digit = static_cast<std::uint64_t>(text[pos] - '0');
    if (value > (max - digit) / 10) return false;
    value = value * 10 + digit;
    ++pos;
  }
  return true;
}

// Well-formed UTF-8 (no overlongs, surrogates or code points past U+10FFFF) with no control
// characters. A namespace is echoed raw into CONNECT_ERROR, so it must be safe in a WebSocket
// text frame and must not contain the polling record separator 0x1e.
bool is_printable_utf8(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      if (c < 0x20 || c == 0x7f) return false;
      ++i;
      continue;
    }
    std::size_t length = 0;
    std::uint32_t code_point = 0;
    if (c >= 0xc2 && c <= 0xdf) {
      length = 2;
      code_point = c & 0x1fU;
    } else if (c >= 0xe0 && c <= 0xef) {
      length = 3;
      code_point = c & 0x0fU;
    } else if (c >= 0xf0 && c <= 0xf4) {
      length = 4;
      code_point = c & 0x07U;
    } else {
      return false;
    }
    if (s.size() - i < length) return false;
    for (std::size_t k = 1; k < length; ++k) {
      const auto cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xc0U) != 0x80) return false;
      code_point = (code_point << 6) | (cc & 0x3fU);
    }
    if ((length == 3 && code_point < 0x800) || (length == 4 && code_point < 0x10000) ||
        (code_point >= 0xd800 && code_point <= 0xdfff) || code_point > 0x10ffff ||
        (code_point >= 0x80 && code_point < 0xa0)) {  // C1 controls
      return false;
    }
    i += length;
  }
  return true;
}

// Boost.JSON parses 1e400 as infinity and would serialize it as the non-JSON token "Infinity";
// a payload relayed to other clients must stay JSON, so such numbers are refused up front.
// Iterative so that the walk's depth does not depend on the configured nesting limit.
bool all_numbers_finite(const json::value& root) {
  std::vector<const json::value*> pending{&root};
  while (!pending.empty()) {
    const json::value* v = pending.back();
    pending.pop_back();
    switch (v->kind()) {
      case json::kind::double_:
        if (!std::isfinite(v->get_double())) return false;
        break;
      case json::kind::array:
        for (const auto& element : v->get_array()) pending.push_back(&element);
        break;
      case json::kind::object:
        for (const auto& member : v->get_object()) pending.push_back(&member.value());
        break;
      default:
        break;
    }
  }
  return true;
}

bool is_event_array(const json::value& payload) {
  if (!payload.is_array()) return false;
  const json::array& args = payload.get_array();
  if (args.empty() || !args.front().is_string()) return false;
  const json::string& name = args.front().get_string();
  for (const std::string_view reserved : kReservedEvents) {
    if (std::string_view(name.data(), name.size()) == reserved) return false;
  }
  return true;
}

// The shapes socket.io-parser accepts, narrowed where the server relies on more (EVENT names
// are strings, CONNECT_ERROR carries an object). `payload` is null when absent.
bool payload_shape_ok(PacketType type, const json::value* payload) {
  switch (type) {
    case PacketType::connect:
      return payload == nullptr || payload->is_object();
    case PacketType::disconnect:
      return payload == nullptr;
    case PacketType::event:
    case PacketType::binary_event:
      return payload != nullptr && is_event_array(*payload);
    case PacketType::ack:
    case PacketType::binary_ack:
      return payload != nullptr && payload->is_array();
    case PacketType::connect_error:
      return payload != nullptr && payload->is_object();
  }
  return false;
}

void append_decimal(std::string& out, std::uint64_t value) {
  std::array<char, std::numeric_limits<std::uint64_t>::digits10 + 2> buffer{};
  const auto result = std::to_chars(buffer.data(), buffer.data() + buffer.size(), value);
  out.append(buffer.data(), result.ptr);
}

void append_namespace(std::string& out, std::string_view nsp) {
  if (nsp.empty() || nsp == "/" || nsp.front() != '/') return;  // the default is implied
  out.append(nsp);
  out.push_back(',');
}

}  // namespace

DecodeError decode(std::string_view text, Packet& out, const DecodeLimits& limits) {
  out = Packet{};
  if (text.empty()) return DecodeError::empty;
  if (text.front() < '0' || text.front() > '6') return DecodeError::unknown_type;

  Packet packet;
  packet.type = static_cast<PacketType>(text.front() - '0');
  std::size_t pos = 1;

  if (is_binary(packet.type)) {
    const std::size_t start = pos;
    std::uint64_t attachments = 0;
    if (!read_decimal(text, pos, std::numeric_limits<std::uint32_t>::max(), attachments) ||
        pos == start || pos >= text.size() || text[pos] != '-') {
      return DecodeError::bad_attachments;
    }
    packet.attachments = static_cast<std::uint32_t>(attachments);
    ++pos;
  }

  if (pos < text.size() && text[pos] == '/') {
    // Look no further than the longest allowed namespace: a hostile packet may be huge.
    const std::size_t window_size = limits.max_namespace_length < text.size()
                                        ? limits.max_namespace_length + 1
                                        : std::string_view::npos;
    const std::string_view window = text.substr(pos, window_size);
    // The namespace ends at ',' or, as in the reference parser, at the end of the packet
    // ("40/admin" is a CONNECT to /admin with no payload).
    const std::size_t comma = window.find(',');
    if (comma == std::string_view::npos && pos + window.size() < text.size()) {
      return DecodeError::bad_namespace;  // longer than allowed
    }
    const std::string_view nsp = window.substr(0, comma);
    if (nsp.size() > limits.max_namespace_length) return DecodeError::bad_namespace;
    if (!is_printable_utf8(nsp)) return DecodeError::bad_namespace;
    packet.nsp.assign(nsp);
    pos += comma == std::string_view::npos ? nsp.size() : comma + 1;
  }

  if (pos < text.size() && is_digit(text[pos])) {
    std::uint64_t id = 0;
    if (!read_decimal(text, pos, std::numeric_limits<std::uint64_t>::max(), id)) {
      return DecodeError::bad_ack_id;
    }
    packet.id = id;
  }

  const std::string_view json_text = text.substr(pos);
  if (json_text.empty()) {
    if (!payload_shape_ok(packet.type, nullptr)) return DecodeError::bad_payload;
    out = std::move(packet);
    return DecodeError::none;
  }
  // Nothing may follow a DISCONNECT: refuse without spending a parse on hostile bytes.
  if (packet.type == PacketType::disconnect) return DecodeError::bad_payload;

  json::parse_options options;
  options.max_depth = limits.max_json_depth;
  boost::system::error_code ec;
  json::value payload = json::parse(json::string_view(json_text.data(), json_text.size()), ec,
                                    json::storage_ptr(), options);
  if (ec || !all_numbers_finite(payload)) return DecodeError::bad_json;
  if (!payload_shape_ok(packet.type, &payload)) return DecodeError::bad_payload;
  packet.data = std::move(payload);
  out = std::move(packet);
  return DecodeError::none;
}

std::string_view to_string(DecodeError error) noexcept {
  switch (error) {
    case DecodeError::none:
      return "none";
    case DecodeError::empty:
      return "empty packet";
    case DecodeError::unknown_type:
      return "unknown packet type";
    case DecodeError::bad_namespace:
      return "invalid namespace";
    case DecodeError::bad_ack_id:
      return "invalid ack id";
    case DecodeError::bad_attachments:
      return "invalid attachments";
    case DecodeError::bad_json:
      return "invalid JSON";
    case DecodeError::bad_payload:
      return "invalid payload";
  }
  return "unknown error";
}

std::string encode(const Packet& packet) {
  std::string out;
  out.push_back(static_cast<char>('0' + static_cast<int>(packet.type)));
  if (is_binary(packet.type)) {
    append_decimal(out, packet.attachments);
    out.push_back('-');
  }
  append_namespace(out, packet.nsp);
  if (packet.id) append_decimal(out, *packet.id);
  if (!packet.data.is_null()) out += json::serialize(packet.data);
  return out;
}

std::string encode_event_frame(std::string_view event, const json::value& data) {
  std::string out{kEngineIoMessage, '2', '['};
  out += json::serialize(json::string_view(event.data(), event.size()));
  if (!data.is_null()) {
    out.push_back(',');
    out += json::serialize(data);
  }
  out.push_back(']');
  return out;
}

std::string encode_ack_frame(std::uint64_t id, const json::value& data) {
  std::string out{kEngineIoMessage, '3'};
  append_decimal(out, id);
  if (data.is_array()) {
    out += json::serialize(data);
  } else if (data.is_null()) {
    out += "[]";
  } else {
    out.push_back('[');
    out += json::serialize(data);
    out.push_back(']');
  }
  return out;
}

std::string encode_connect_frame(std::string_view sid) {
  json::object body;
  body.emplace("sid", json::string_view(sid.data(), sid.size()));
  return std::string{kEngineIoMessage, '0'} + json::serialize(body);
}

std::string encode_connect_error_frame(std::string_view nsp, std::string_view message,
                                       const json::value& data) {
  std::string out{kEngineIoMessage, '4'};
  append_namespace(out, nsp);
  json::object body;
  body.reserve(2);
  body.emplace("message", json::string_view(message.data(), message.size()));
  if (!data.is_null()) body.emplace("data", data);
  out += json::serialize(body);
  return out;
}

std::string encode_disconnect_frame() {
  return std::string{kEngineIoMessage, '1'};
}

}  // namespace sudachi::socketio

#include "protocol/engineio/packet.hpp"

#include <algorithm>
#include <array>

#include <boost/json.hpp>

namespace sudachi::engineio {
namespace {

constexpr char kRecordSeparator = '\x1e';
constexpr char kBinaryPrefix = 'b';

constexpr std::string_view kBase64Alphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

// 0-63 for alphabet characters, -1 for everything else (including '=', handled apart).
constexpr std::array<std::int8_t, 256> make_base64_table() {
  std::array<std::int8_t, 256> table{};
  table.fill(-1);
  for (std::size_t i = 0; i < kBase64Alphabet.size(); ++i) {
    table[static_cast<unsigned char>(kBase64Alphabet[i])] = static_cast<std::int8_t>(i);
  }
  return table;
}
constexpr std::array<std::int8_t, 256> kBase64Table = make_base64_table();

int base64_value(char c) {
  return kBase64Table[static_cast<unsigned char>(c)];
}

// Strict decoding: whole quads, '=' only as the last one or two characters, and zero bits
// where padding truncates. Lenient decoders (Node's Buffer skips junk) would make two
// different bodies mean the same bytes; clients only ever send the canonical form.
bool decode_base64(std::string_view in, std::string& out) {
  if (in.size() % 4 != 0) return false;
  out.clear();
  out.reserve(in.size() / 4 * 3);
  for (std::size_t i = 0; i < in.size(); i += 4) {
    const bool last = i + 4 == in.size();
    const int a = base64_value(in[i]);
    const int b = base64_value(in[i + 1]);
    if (a < 0 || b < 0) return false;
    const std::uint32_t head =
        (static_cast<std::uint32_t>(a) << 18) | (static_cast<std::uint32_t>(b) << 12);
    if (last && in[i + 2] == '=' && in[i + 3] == '=') {
      if ((b & 0x0f) != 0) return false;
      out.push_back(static_cast<char>(head >> 16));
      break;
    }
    const int c = base64_value(in[i + 2]);
    if (c < 0) return false;
    const std::uint32_t head3 = head | (static_cast<std::uint32_t>(c) << 6);
    if (last && in[i + 3] == '=') {
      if ((c & 0x03) != 0) return false;
      out.push_back(static_cast<char>(head3 >> 16));
      out.push_back(static_cast<char>((head3 >> 8) & 0xff));
      break;
    }
    const int d = base64_value(in[i + 3]);
    if (d < 0) return false;
    const std::uint32_t quad = head3 | static_cast<std::uint32_t>(d);
    out.push_back(static_cast<char>(quad >> 16));
    out.push_back(static_cast<char>((quad >> 8) & 0xff));
    out.push_back(static_cast<char>(quad & 0xff));
  }
  return true;
}

void append_base64(std::string_view in, std::string& out) {
  std::size_t i = 0;
  for (; i + 3 <= in.size(); i += 3) {
    const std::uint32_t n =
        (static_cast<std::uint32_t>(static_cast<unsigned char>(in[i])) << 16) |
        (static_cast<std::uint32_t>(static_cast<unsigned char>(in[i + 1])) << 8) |
        static_cast<std::uint32_t>(static_cast<unsigned char>(in[i + 2]));
    out.push_back(kBase64Alphabet[(n >> 18) & 0x3f]);
    out.push_back(kBase64Alphabet[(n >> 12) & 0x3f]);
    out.push_back(kBase64Alphabet[(n >> 6) & 0x3f]);
    out.push_back(kBase64Alphabet[n & 0x3f]);
  }
  const std::size_t rest = in.size() - i;
  if (rest == 0) return;
  std::uint32_t n = static_cast<std::uint32_t>(static_cast<unsigned char>(in[i])) << 16;
  if (rest == 2) n |= static_cast<std::uint32_t>(static_cast<unsigned char>(in[i + 1])) << 8;
  out.push_back(kBase64Alphabet[(n >> 18) & 0x3f]);
  out.push_back(kBase64Alphabet[(n >> 12) & 0x3f]);
  out.push_back(rest == 2 ? kBase64Alphabet[(n >> 6) & 0x3f] : '=');
  out.push_back('=');
}

bool is_packet_type(char c) {
  return c >= '0' && c <= '6';
}

}  // namespace

DecodeError decode_packet(std::string_view text, Packet& out) {
  out = Packet{};
  if (text.empty()) return DecodeError::empty;
  if (text.front() == kBinaryPrefix) {
    // Polling carries binary messages as base64; the type is implied (always MESSAGE).
    Packet packet;
    packet.type = PacketType::message;
    packet.binary = true;
    if (!decode_base64(text.substr(1), packet.data)) return DecodeError::bad_base64;
    out = std::move(packet);
    return DecodeError::none;
  }
  if (!is_packet_type(text.front())) return DecodeError::unknown_type;
  out.type = static_cast<PacketType>(text.front());
  out.data.assign(text.substr(1));
  return DecodeError::none;
}

DecodeError decode_payload(std::string_view body, std::vector<Packet>& out,
                           std::size_t max_packets) {
  out.clear();
  // Count first, so that a body of a million separators is refused before anything is built.
  const auto separators =
      static_cast<std::size_t>(std::count(body.begin(), body.end(), kRecordSeparator));
  if (separators >= max_packets) return DecodeError::too_many;  // segments = separators + 1

  out.reserve(separators + 1);
  std::size_t start = 0;
  while (true) {
    const std::size_t end = body.find(kRecordSeparator, start);
    const std::string_view segment =
        body.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start);
    Packet packet;
    if (const DecodeError error = decode_packet(segment, packet); error != DecodeError::none) {
      out.clear();
      return error;
    }
    out.push_back(std::move(packet));
    if (end == std::string_view::npos) break;
    start = end + 1;
  }
  return DecodeError::none;
}

std::string encode_packet(PacketType type, std::string_view data) {
  std::string out;
  out.reserve(1 + data.size());
  out.push_back(static_cast<char>(type));
  out.append(data);
  return out;
}

std::string encode_binary_packet(std::string_view bytes) {
  std::string out;
  out.reserve(1 + (bytes.size() + 2) / 3 * 4);
  out.push_back(kBinaryPrefix);
  append_base64(bytes, out);
  return out;
}

std::string encode_payload(const std::vector<std::string_view>& encoded_packets) {
  std::size_t size = encoded_packets.empty() ? 0 : encoded_packets.size() - 1;
  for (const auto packet : encoded_packets) size += packet.size();
  std::string out;
  out.reserve(size);
  for (std::size_t i = 0; i < encoded_packets.size(); ++i) {
    if (i != 0) out.push_back(kRecordSeparator);
    out.append(encoded_packets[i]);
  }
  return out;
}

std::string encode_open(std::string_view sid, bool offer_websocket_upgrade,
                        std::uint32_t ping_interval_ms, std::uint32_t ping_timeout_ms,
                        std::uint64_t max_payload) {
  // boost::json::object keeps insertion order, so the key order matches the reference server.
  boost::json::array upgrades;
  if (offer_websocket_upgrade) upgrades.emplace_back("websocket");
  boost::json::object open;
  open.reserve(5);
  open.emplace("sid", sid);
  open.emplace("upgrades", std::move(upgrades));
  open.emplace("pingInterval", ping_interval_ms);
  open.emplace("pingTimeout", ping_timeout_ms);
  open.emplace("maxPayload", max_payload);
  return static_cast<char>(PacketType::open) + boost::json::serialize(open);
}

std::string encode_http_error(HttpErrorCode code) {
  std::string_view message;
  switch (code) {
    case HttpErrorCode::unknown_transport:
      message = "Transport unknown";
      break;
    case HttpErrorCode::unknown_sid:
      message = "Session ID unknown";
      break;
    case HttpErrorCode::bad_handshake_method:
      message = "Bad handshake method";
      break;
    case HttpErrorCode::bad_request:
      message = "Bad request";
      break;
    case HttpErrorCode::forbidden:
      message = "Forbidden";
      break;
    case HttpErrorCode::unsupported_protocol_version:
      message = "Unsupported protocol version";
      break;
  }
  if (message.empty()) {
    code = HttpErrorCode::bad_request;
    message = "Bad request";
  }
  boost::json::object body;
  body.reserve(2);
  body.emplace("code", static_cast<int>(code));
  body.emplace("message", message);
  return boost::json::serialize(body);
}

}  // namespace sudachi::engineio

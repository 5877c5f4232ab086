#include "storage/redis/delivery_envelope.hpp"

#include <charconv>

namespace sudachi::storage::redis {
namespace {

// Recipients per message are at most a room (16) or a to_clients batch; the bound only
// stops a hostile count from reserving memory.
constexpr std::uint64_t kMaxIds = 100'000;

void put(std::string& out, std::string_view field) {
  out.append(std::to_string(field.size())).push_back(':');
  out.append(field);
}

// Reads one field from the front of `in`.
std::optional<std::string_view> take(std::string_view& in) {
  const auto colon = in.find(':');
  if (colon == std::string_view::npos || colon == 0 || colon > 10) return std::nullopt;
  std::size_t length = 0;
  auto [ptr, ec] = std::from_chars(in.data(), in.data() + colon, length);
  if (ec != std::errc() || ptr != in.data() + colon || length > in.size() - colon - 1) {
    return std::nullopt;
  }
  std::string_view field = in.substr(colon + 1, length);
  in.remove_prefix(colon + 1 + length);
  return field;
}

std::optional<std::uint64_t> take_number(std::string_view& in) {
  auto field = take(in);
  if (!field || field->empty()) return std::nullopt;
  std::uint64_t n = 0;
  auto [ptr, ec] = std::from_chars(field->data(), field->data() + field->size(), n);
  if (ec != std::errc() || ptr != field->data() + field->size()) return std::nullopt;
  return n;
}

Error malformed() {
  return Error::make(ErrorCode::invalid_request, "malformed delivery envelope");
}

}  // namespace

std::string encode_envelope(const Envelope& e) {
  std::string out;
  out.reserve(e.frame.size() + 64 + e.client_ids.size() * 24);
  switch (e.kind) {
    case Envelope::Kind::frame:
      out.push_back('F');
      put(out, e.origin);
      put(out, std::to_string(e.client_ids.size()));
      for (const auto& id : e.client_ids) put(out, id);
      put(out, e.frame);
      break;
    case Envelope::Kind::kick:
      out.push_back('K');
      put(out, e.origin);
      put(out, e.client_ids.empty() ? std::string_view() : std::string_view(e.client_ids[0]));
      put(out, std::to_string(e.serial));
      break;
    case Envelope::Kind::lobby:
      out.push_back('L');
      put(out, e.origin);
      put(out, e.game_id);
      put(out, e.frame);
      break;
  }
  return out;
}

Result<Envelope> decode_envelope(std::string_view in) {
  if (in.empty()) return malformed();
  Envelope e;
  const char kind = in.front();
  in.remove_prefix(1);
  auto origin = take(in);
  if (!origin) return malformed();
  e.origin = *origin;
  if (kind == 'F') {
    e.kind = Envelope::Kind::frame;
    auto count = take_number(in);
    if (!count || *count > kMaxIds) return malformed();
    for (std::uint64_t i = 0; i < *count; ++i) {
      auto id = take(in);
      if (!id) return malformed();
      e.client_ids.emplace_back(*id);
    }
    auto frame = take(in);
    if (!frame) return malformed();
    e.frame = *frame;
  } else if (kind == 'K') {
    e.kind = Envelope::Kind::kick;
    auto id = take(in);
    auto serial = id ? take_number(in) : std::nullopt;
    if (!serial || id->empty()) return malformed();
    e.client_ids.emplace_back(*id);
    e.serial = *serial;
  } else if (kind == 'L') {
    e.kind = Envelope::Kind::lobby;
    auto game = take(in);
    auto frame = game ? take(in) : std::nullopt;
    if (!frame) return malformed();
    e.game_id = *game;
    e.frame = *frame;
  } else {
    return malformed();
  }
  if (!in.empty()) return malformed();
  return e;
}

std::string presence_value(std::string_view instance_id, std::uint64_t serial) {
  std::string out(instance_id);
  out.push_back('|');
  out.append(std::to_string(serial));
  return out;
}

std::optional<PresenceValue> parse_presence(std::string_view value) {
  const auto bar = value.rfind('|');
  if (bar == std::string_view::npos || bar == 0 || bar + 1 == value.size()) return std::nullopt;
  PresenceValue out;
  auto [ptr, ec] = std::from_chars(value.data() + bar + 1, value.data() + value.size(), out.serial);
  if (ec != std::errc() || ptr != value.data() + value.size()) return std::nullopt;
  out.instance_id = std::string(value.substr(0, bar));
  return out;
}

bool valid_instance_id(std::string_view id) {
  if (id.empty() || id.size() > 100) return false;
  for (char c : id) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '.' || c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

}  // namespace sudachi::storage::redis

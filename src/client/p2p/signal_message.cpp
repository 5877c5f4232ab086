#include "client/p2p/signal_message.hpp"

#include <boost/json.hpp>
#include <cstdio>

#include "client/p2p/peer_network.hpp"
#include "relay/wire.hpp"

namespace sudachi::client::p2p {
namespace json = boost::json;
namespace {

constexpr char kHex[] = "0123456789abcdef";

std::string to_hex(std::span<const std::uint8_t> bytes) {
  std::string s;
  s.reserve(bytes.size() * 2);
  for (std::uint8_t b : bytes) {
    s.push_back(kHex[b >> 4]);
    s.push_back(kHex[b & 15]);
  }
  return s;
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;  // lower case only: one text per value
}

bool from_hex(std::string_view text, std::span<std::uint8_t> out) {
  if (text.size() != out.size() * 2) return false;
  for (std::size_t i = 0; i < out.size(); ++i) {
    const int hi = hex_value(text[2 * i]);
    const int lo = hex_value(text[2 * i + 1]);
    if (hi < 0 || lo < 0) return false;
    out[i] = static_cast<std::uint8_t>(hi << 4 | lo);
  }
  return true;
}

const json::value* field(const json::object& o, std::string_view name) {
  auto it = o.find(name);
  return it == o.end() ? nullptr : &it->value();
}

bool read_bool(const json::object& o, std::string_view name, bool& out) {
  const json::value* v = field(o, name);
  if (v == nullptr || !v->is_bool()) return false;
  out = v->as_bool();
  return true;
}

bool read_uint(const json::object& o, std::string_view name, std::uint64_t max,
               std::uint64_t& out) {
  const json::value* v = field(o, name);
  if (v == nullptr) return false;
  if (v->is_int64() && v->as_int64() >= 0) {
    out = static_cast<std::uint64_t>(v->as_int64());
  } else if (v->is_uint64()) {
    out = v->as_uint64();
  } else {
    return false;
  }
  return out <= max;
}

bool read_string(const json::object& o, std::string_view name, std::string_view& out) {
  const json::value* v = field(o, name);
  if (v == nullptr || !v->is_string()) return false;
  out = v->as_string();
  return true;
}

std::optional<Candidate> read_candidate(const json::value& v) {
  if (!v.is_object()) return std::nullopt;
  const json::object& o = v.as_object();
  std::string_view type_text, ip;
  std::uint64_t port = 0, priority = 0;
  Candidate c;
  if (!read_string(o, "type", type_text) || !parse_candidate_type(type_text, c.type) ||
      !read_string(o, "ip", ip) || !read_uint(o, "port", 65535, port) || port == 0 ||
      !read_uint(o, "priority", 0xFFFFFFFFu, priority)) {
    return std::nullopt;
  }
  auto address = parse_endpoint(ip, static_cast<std::uint16_t>(port));
  if (!address) return std::nullopt;
  c.address = *address;
  c.priority = static_cast<std::uint32_t>(priority);
  return c;
}

}  // namespace

std::string encode_signal(const SignalMessage& m) {
  json::object o;
  o["v"] = kSignalVersion;
  o["secret"] = to_hex(m.secret);
  std::uint8_t tag[8];
  relay::wire::put_u64(tag, m.tag);
  o["tag"] = to_hex(tag);
  o["udp"] = m.udp;
  o["primed"] = m.primed;
  json::array candidates;
  for (const Candidate& c : m.candidates) {
    candidates.push_back(json::object{{"type", to_string(c.type)},
                                      {"ip", ip_string(c.address)},
                                      {"port", c.address.port},
                                      {"priority", c.priority}});
  }
  o["candidates"] = std::move(candidates);
  return json::serialize(o);
}

std::optional<SignalMessage> decode_signal(std::string_view text) {
  if (text.size() > kMaxSignalPayload) return std::nullopt;
  boost::system::error_code ec;
  json::value root = json::parse(text, ec);
  if (ec || !root.is_object()) return std::nullopt;
  const json::object& o = root.as_object();
  std::uint64_t version = 0;
  if (!read_uint(o, "v", 1000, version) || version != kSignalVersion) return std::nullopt;

  SignalMessage m;
  std::string_view secret, tag;
  std::uint8_t tag_bytes[8];
  if (!read_string(o, "secret", secret) || !from_hex(secret, m.secret) ||
      !read_string(o, "tag", tag) || !from_hex(tag, tag_bytes) || !read_bool(o, "udp", m.udp) ||
      !read_bool(o, "primed", m.primed)) {
    return std::nullopt;
  }
  m.tag = relay::wire::get_u64(tag_bytes);
  const json::value* candidates = field(o, "candidates");
  if (candidates == nullptr || !candidates->is_array()) return std::nullopt;
  const json::array& list = candidates->as_array();
  if (list.size() > kMaxRemoteCandidates) return std::nullopt;
  for (const json::value& v : list) {
    auto c = read_candidate(v);
    if (!c) return std::nullopt;
    m.candidates.push_back(*c);
  }
  return m;
}

}  // namespace sudachi::client::p2p

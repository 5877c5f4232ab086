#include "storage/redis/redis_relay_sessions.hpp"

#include <charconv>
#include <utility>

#include "storage/redis/redis_script.hpp"

namespace sudachi::storage::redis {
namespace {

// KEYS[1] the pair's key; ARGV[1] the candidate's encoded record, ARGV[2] its TTL (ms).
// Answers the record the pair now has: the candidate when it was stored, else the one stored
// before (Redis drops it when its TTL ends, so a stored record is never stale).
const RedisScript& claim_script() {
  static const RedisScript script(R"lua(
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then return ARGV[1] end
return redis.call('GET', KEYS[1]) or ARGV[1]
)lua");
  return script;
}

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

template <class Int>
bool parse_int(std::string_view text, Int& out) {
  if (text.empty()) return false;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc() && end == text.data() + text.size();
}

// The text before the next '|' of `rest`, which moves past it.
std::optional<std::string_view> field(std::string_view& rest) {
  const auto bar = rest.find('|');
  if (bar == std::string_view::npos) return std::nullopt;
  std::string_view out = rest.substr(0, bar);
  rest.remove_prefix(bar + 1);
  return out;
}

}  // namespace

std::string encode_relay_session(const room::RelaySessionRecord& record) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(96 + record.relay.id.size() + record.relay.host.size());
  for (auto b : record.session_id) {
    out.push_back(kHex[b >> 4]);
    out.push_back(kHex[b & 0x0f]);
  }
  out.append("|").append(std::to_string(record.expires_at_ms));
  out.append("|").append(std::to_string(record.relay.udp_port));
  out.append("|").append(std::to_string(record.relay.tcp_port));
  out.append("|").append(std::to_string(record.relay.id.size()));
  out.append("|").append(record.relay.id);
  out.append("|").append(record.relay.host);
  return out;
}

std::optional<room::RelaySessionRecord> decode_relay_session(std::string_view text) {
  room::RelaySessionRecord out;
  std::string_view rest = text;
  auto session = field(rest);
  auto expires = field(rest);
  auto udp = field(rest);
  auto tcp = field(rest);
  auto id_len = field(rest);
  if (!session || !expires || !udp || !tcp || !id_len) return std::nullopt;
  if (session->size() != 32) return std::nullopt;
  for (std::size_t i = 0; i < 16; ++i) {
    const int hi = hex_digit((*session)[2 * i]);
    const int lo = hex_digit((*session)[2 * i + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out.session_id[i] = static_cast<std::uint8_t>(hi << 4 | lo);
  }
  std::size_t len = 0;
  if (!parse_int(*expires, out.expires_at_ms) || !parse_int(*udp, out.relay.udp_port) ||
      !parse_int(*tcp, out.relay.tcp_port) || !parse_int(*id_len, len)) {
    return std::nullopt;
  }
  if (len == 0 || rest.size() < len + 1 || rest[len] != '|') return std::nullopt;
  out.relay.id = std::string(rest.substr(0, len));
  out.relay.host = std::string(rest.substr(len + 1));
  if (out.relay.host.empty()) return std::nullopt;
  return out;
}

RedisRelaySessions::RedisRelaySessions(std::shared_ptr<RedisClient> client,
                                       RedisRelaySessionsOptions options)
    : client_(std::move(client)), options_(std::move(options)) {}

std::string RedisRelaySessions::key_of(const room::RelaySessionKey& key) const {
  const room::RelaySessionKey k = key.normalized();
  std::string out = options_.key_prefix;
  out.append("relaysess:{").append(k.room_id).append("}:");
  out.append(std::to_string(k.client_a.size())).append(":");
  out.append(k.client_a).append(":").append(k.client_b);
  return out;
}

void RedisRelaySessions::claim(room::RelaySessionKey key, room::RelaySessionRecord candidate,
                               std::int64_t ttl_ms, room::Callback<room::RelaySessionRecord> done) {
  if (ttl_ms <= 0) return done(std::move(candidate));  // nothing to keep (SET PX 0 is an error)
  client_->eval(claim_script(), {key_of(key)},
                {encode_relay_session(candidate), std::to_string(ttl_ms)},
                [done = std::move(done)](Result<RedisReply> reply) {
                  if (!reply) return done(std::move(reply).error());
                  if (reply->is_error()) return done(to_error(*reply));
                  auto text = reply->as_string();
                  auto record = text ? decode_relay_session(*text) : std::nullopt;
                  if (!record)
                    return done(Error::make(ErrorCode::internal, "corrupt relay session"));
                  done(std::move(*record));
                });
}

}  // namespace sudachi::storage::redis

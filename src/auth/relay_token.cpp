#include "auth/relay_token.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>
#include <optional>
#include <span>
#include <stdexcept>
#include <utility>
#include <vector>

#include "auth/base64url.hpp"

// The byte layout, the verification order and the rotation rules are specified in
// docs/relay-token.md; the relay and the room server both link this file, so it is the one
// implementation of that document.
namespace sudachi::auth {
namespace {

constexpr std::uint8_t kVersion = 1;
constexpr std::size_t kMacSize = 32;
constexpr std::size_t kSessionIdSize = 16;
constexpr std::size_t kMaxKeyId = 32;
constexpr std::size_t kMaxClientId = 64;
constexpr std::size_t kMaxRelayId = 64;
constexpr std::size_t kMinSecret = 16;
// version, 3 length-prefixed strings, session id, slot, expiry, MAC.
constexpr std::size_t kMaxBinary = 1 + (1 + kMaxKeyId) + kSessionIdSize + 1 + 8 +
                                   (1 + kMaxRelayId) + (1 + kMaxClientId) + kMacSize;
// Refuse longer text before decoding anything: the relay sees tokens from unauthenticated peers.
constexpr std::size_t kMaxText = (kMaxBinary * 4 + 2) / 3;

using Mac = std::array<std::uint8_t, kMacSize>;

bool in_range(std::size_t size, std::size_t max) {
  return size >= 1 && size <= max;
}

bool valid_key_id(std::string_view id) {
  if (!in_range(id.size(), kMaxKeyId)) return false;
  for (char c : id) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '-' || c == '_' || c == '.';
    if (!ok) return false;
  }
  return true;
}

bool valid_claims(const RelayTokenClaims& c) {
  return valid_key_id(c.key_id) && c.slot <= 1 && in_range(c.client_id.size(), kMaxClientId) &&
         in_range(c.relay_id.size(), kMaxRelayId);
}

void put_string(std::vector<std::uint8_t>& out, std::string_view s) {
  out.push_back(static_cast<std::uint8_t>(s.size()));
  out.insert(out.end(), s.begin(), s.end());
}

void put_i64be(std::vector<std::uint8_t>& out, std::int64_t value) {
  const auto u = static_cast<std::uint64_t>(value);
  for (int shift = 56; shift >= 0; shift -= 8) out.push_back(static_cast<std::uint8_t>(u >> shift));
}

std::vector<std::uint8_t> encode_body(const RelayTokenClaims& c) {
  std::vector<std::uint8_t> out;
  out.reserve(kMaxBinary);
  out.push_back(kVersion);
  put_string(out, c.key_id);
  out.insert(out.end(), c.session_id.begin(), c.session_id.end());
  out.push_back(c.slot);
  put_i64be(out, c.expires_at_ms);
  put_string(out, c.relay_id);
  put_string(out, c.client_id);
  return out;
}

// Reads the signed part front to back; every read is bounds-checked, so hostile bytes can
// only make it fail.
class Reader {
 public:
  explicit Reader(std::span<const std::uint8_t> bytes) : bytes_(bytes) {}

  bool u8(std::uint8_t& out) {
    if (pos_ >= bytes_.size()) return false;
    out = bytes_[pos_++];
    return true;
  }
  bool raw(std::span<std::uint8_t> out) {
    if (bytes_.size() - pos_ < out.size()) return false;
    std::copy_n(bytes_.begin() + static_cast<std::ptrdiff_t>(pos_), out.size(), out.begin());
    pos_ += out.size();
    return true;
  }
  bool string(std::string& out, std::size_t max) {
    std::uint8_t len = 0;
    if (!u8(len) || !in_range(len, max) || bytes_.size() - pos_ < len) return false;
    out.assign(reinterpret_cast<const char*>(bytes_.data() + pos_), len);
    pos_ += len;
    return true;
  }
  bool i64be(std::int64_t& out) {
    std::array<std::uint8_t, 8> b{};
    if (!raw(b)) return false;
    std::uint64_t u = 0;
    for (std::uint8_t byte : b) u = (u << 8) | byte;
    out = static_cast<std::int64_t>(u);
    return true;
  }
  bool at_end() const { return pos_ == bytes_.size(); }

 private:
  std::span<const std::uint8_t> bytes_;
  std::size_t pos_ = 0;
};

// Parses the signed part (everything before the MAC). nullopt is `malformed`.
std::optional<RelayTokenClaims> decode_body(std::span<const std::uint8_t> body) {
  Reader r(body);
  RelayTokenClaims c;
  std::uint8_t version = 0;
  if (!r.u8(version) || version != kVersion) return std::nullopt;
  if (!r.string(c.key_id, kMaxKeyId) || !valid_key_id(c.key_id)) return std::nullopt;
  if (!r.raw(c.session_id) || !r.u8(c.slot) || c.slot > 1) return std::nullopt;
  if (!r.i64be(c.expires_at_ms)) return std::nullopt;
  if (!r.string(c.relay_id, kMaxRelayId) || !r.string(c.client_id, kMaxClientId))
    return std::nullopt;
  if (!r.at_end()) return std::nullopt;
  return c;
}

Mac compute_mac(std::string_view secret, std::span<const std::uint8_t> data) {
  Mac mac{};
  unsigned int len = 0;
  // One-shot HMAC() keeps no state between calls, so concurrent verifications need no lock.
  const unsigned char* ok = HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
                                 data.data(), data.size(), mac.data(), &len);
  if (ok == nullptr || len != kMacSize) throw std::runtime_error("HMAC-SHA256 failed");
  return mac;
}

std::string_view trim(std::string_view s) {
  const auto space = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
  while (!s.empty() && space(s.front())) s.remove_prefix(1);
  while (!s.empty() && space(s.back())) s.remove_suffix(1);
  return s;
}

void check_secret(std::string_view key_id, std::string_view secret) {
  if (secret.empty())
    throw std::invalid_argument("relay secret '" + std::string(key_id) + "' is empty");
  if (secret.size() < kMinSecret) {
    throw std::invalid_argument("relay secret '" + std::string(key_id) +
                                "' is shorter than 16 bytes");
  }
}

void add_secret(std::map<std::string, std::string>& out, std::string_view item) {
  const auto colon = item.find(':');
  if (colon == std::string_view::npos) {
    throw std::invalid_argument("relay secret entry without 'kid:' prefix in a list of several");
  }
  const std::string_view key_id = trim(item.substr(0, colon));
  const std::string_view secret = trim(item.substr(colon + 1));
  if (!valid_key_id(key_id)) {
    throw std::invalid_argument("relay key id '" + std::string(key_id) +
                                "' must be 1..32 characters of [A-Za-z0-9._-]");
  }
  check_secret(key_id, secret);
  if (!out.emplace(std::string(key_id), std::string(secret)).second) {
    throw std::invalid_argument("relay key id '" + std::string(key_id) + "' is listed twice");
  }
}

}  // namespace

std::string_view to_string(RelayTokenError error) noexcept {
  switch (error) {
    case RelayTokenError::malformed:
      return "malformed";
    case RelayTokenError::unknown_key:
      return "unknown_key";
    case RelayTokenError::bad_signature:
      return "bad_signature";
    case RelayTokenError::expired:
      return "expired";
    case RelayTokenError::wrong_relay:
      return "wrong_relay";
  }
  return "unknown";
}

RelayTokenKeyring::RelayTokenKeyring(std::map<std::string, std::string> secrets,
                                     std::string active_key_id)
    : secrets_(std::move(secrets)), active_key_id_(std::move(active_key_id)) {
  if (!secrets_.contains(active_key_id_)) {
    throw std::invalid_argument("active relay key id '" + active_key_id_ + "' has no secret");
  }
  for (const auto& [key_id, secret] : secrets_) {
    if (!valid_key_id(key_id)) throw std::invalid_argument("invalid relay key id '" + key_id + "'");
    check_secret(key_id, secret);
  }
}

Result<std::string> RelayTokenKeyring::mint(RelayTokenClaims claims) const {
  claims.key_id = active_key_id_;
  if (!valid_claims(claims))
    return Error::make(ErrorCode::internal, "relay token claims out of range");
  std::vector<std::uint8_t> bytes = encode_body(claims);
  const Mac mac = compute_mac(secrets_.at(active_key_id_), bytes);
  bytes.insert(bytes.end(), mac.begin(), mac.end());
  return base64url_encode(bytes);
}

std::variant<RelayTokenClaims, RelayTokenError> RelayTokenKeyring::verify(
    std::string_view token, std::int64_t now_ms, std::string_view this_relay_id) const {
  if (token.size() > kMaxText) return RelayTokenError::malformed;
  const auto bytes = base64url_decode(token);
  if (!bytes || bytes->size() <= kMacSize) return RelayTokenError::malformed;

  const std::span<const std::uint8_t> all(*bytes);
  const auto body = all.first(all.size() - kMacSize);
  std::optional<RelayTokenClaims> claims = decode_body(body);
  if (!claims) return RelayTokenError::malformed;

  const auto secret = secrets_.find(claims->key_id);
  if (secret == secrets_.end()) return RelayTokenError::unknown_key;

  const Mac expected = compute_mac(secret->second, body);
  if (CRYPTO_memcmp(expected.data(), all.last(kMacSize).data(), kMacSize) != 0) {
    return RelayTokenError::bad_signature;
  }
  // Only signed claims are interpreted: expiry and relay id come after the MAC check.
  if (now_ms > claims->expires_at_ms) return RelayTokenError::expired;
  if (!this_relay_id.empty() && claims->relay_id != this_relay_id)
    return RelayTokenError::wrong_relay;
  return std::move(*claims);
}

std::map<std::string, std::string> parse_relay_secrets(std::string_view text) {
  text = trim(text);
  std::map<std::string, std::string> out;
  if (text.find(':') == std::string_view::npos && text.find(',') == std::string_view::npos) {
    // RELAY_SECRET: one bare secret under the default key id.
    check_secret("k1", text);
    out.emplace("k1", std::string(text));
    return out;
  }
  std::size_t start = 0;
  while (start <= text.size()) {
    const auto comma = text.find(',', start);
    const auto end = comma == std::string_view::npos ? text.size() : comma;
    add_secret(out, text.substr(start, end - start));
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  return out;
}

}  // namespace sudachi::auth

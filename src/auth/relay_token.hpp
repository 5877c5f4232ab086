#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <variant>

#include "common/result.hpp"

namespace sudachi::auth {

// What a relay token grants: one peer (`slot` 0 or 1) of one relay session on one relay,
// until `expires_at_ms` (Unix ms: the latest moment the session may *start*).
struct RelayTokenClaims {
  std::string key_id;  // which secret signed it (rotation); 1..32 chars
  std::array<std::uint8_t, 16> session_id{};
  std::string client_id;  // 1..64 chars
  std::uint8_t slot = 0;  // 0 or 1
  std::string relay_id;   // 1..64 chars
  std::int64_t expires_at_ms = 0;
};

enum class RelayTokenError {
  malformed,    // wrong length, version, field sizes, bad encoding
  unknown_key,  // key id not in the keyring
  bad_signature,
  expired,
  wrong_relay,
};

std::string_view to_string(RelayTokenError error) noexcept;

// Text form, as carried in use:relay.token and the relay handshake: base64url (no padding)
// of the binary form, which is documented in docs/relay-token.md:
//   u8 version=1 | u8 len + key_id | 16 session_id | u8 slot | i64be expires_at_ms |
//   u8 len + relay_id | u8 len + client_id | 32 HMAC-SHA256(key, all preceding bytes)
// The MAC is compared in constant time.
class RelayTokenKeyring {
 public:
  // Secrets by key id. `active_key_id` signs new tokens; all listed ids verify. Throws
  // std::invalid_argument when the active id is not among the secrets (start-up only).
  RelayTokenKeyring(std::map<std::string, std::string> secrets, std::string active_key_id);

  // claims.key_id is overwritten. INTERNAL when a field is out of range (slot > 1, empty or
  // too long client/relay id): those come from our own state, never from a peer.
  Result<std::string> mint(RelayTokenClaims claims) const;

  struct Verified {
    RelayTokenClaims claims;
  };
  // Checks format, key, signature, then expiry against now_ms, then that relay_id matches
  // `this_relay_id` (skipped when empty).
  std::variant<RelayTokenClaims, RelayTokenError> verify(std::string_view token,
                                                         std::int64_t now_ms,
                                                         std::string_view this_relay_id) const;

  const std::string& active_key_id() const { return active_key_id_; }

 private:
  std::map<std::string, std::string> secrets_;
  std::string active_key_id_;
};

// Parses "kid1:secret1,kid2:secret2" (RELAY_SECRETS) or a single secret (RELAY_SECRET, key id
// "k1"). Throws std::invalid_argument on bad configuration (start-up only).
std::map<std::string, std::string> parse_relay_secrets(std::string_view text);

}  // namespace sudachi::auth

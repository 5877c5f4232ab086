#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/result.hpp"

namespace sudachi::auth {

// The claims the room server uses. `sub` is the client id.
struct JwtClaims {
  std::string sub;
  std::string name;             // optional "name" claim (guest username)
  std::string platform;         // optional "platform" claim
  std::string version;          // optional "ver" claim (Sudachi version)
  std::int64_t issued_at = 0;   // seconds
  std::int64_t expires_at = 0;  // seconds
};

struct JwtSettings {
  std::string secret;  // HS256 key; at least 32 bytes in production
  std::string issuer = "sudachi-rooms";
  std::string audience = "sudachi-multiplayer";
  std::int64_t leeway_seconds = 30;
  // The longest a token may live: exp - iat, and exp - now (plus leeway), are at most this.
  // A stolen token then expires within it, whoever signed it and whatever exp they chose.
  std::int64_t max_lifetime_seconds = 30 * 24 * 3600;
};

// HS256 only (the algorithm is pinned: "none" and every other alg are refused), exp, iss and
// aud required (DESIGN.md defect 11). Uses libjwt. Thread-safe.
class JwtVerifier {
 public:
  // Throws std::invalid_argument for an empty secret, a negative leeway or a max lifetime
  // outside 1 s .. 10 years (start-up only).
  explicit JwtVerifier(JwtSettings settings);
  // AUTH_FAILED for anything that is not a valid, unexpired token of ours: longer than 4 KiB,
  // header alg other than exactly "HS256" or with "crit", bad signature, exp missing or
  // <= now - leeway or > now + max_lifetime + leeway, nbf > now + leeway, iat > now + leeway,
  // exp - iat > max_lifetime (iat is optional), iss/aud mismatch (aud: a string or an array
  // holding ours), sub missing/empty/over 64 bytes/with control characters, name/platform/ver
  // present but not strings. Never throws for bad input.
  Result<JwtClaims> verify(std::string_view token, std::int64_t now_seconds) const;

 private:
  JwtSettings settings_;
};

class JwtIssuer {
 public:
  // Throws std::invalid_argument like JwtVerifier (start-up only).
  explicit JwtIssuer(JwtSettings settings);
  // Signs claims.sub/name/platform/ver with iat=now, exp=now+lifetime, iss, aud; empty
  // optional claims are omitted. INTERNAL for a sub the verifier would refuse, lifetime <= 0
  // or lifetime > max_lifetime_seconds (a token the verifier would refuse).
  Result<std::string> issue(const JwtClaims& claims, std::int64_t now_seconds,
                            std::int64_t lifetime_seconds) const;

 private:
  JwtSettings settings_;
};

}  // namespace sudachi::auth

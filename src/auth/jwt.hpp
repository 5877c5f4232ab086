#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/result.hpp"

namespace sudachi::auth {

// The claims the room server uses. `sub` is the client id.
struct JwtClaims {
  std::string sub;
  std::string name;      // optional "name" claim (guest username)
  std::string platform;  // optional "platform" claim
  std::string version;   // optional "ver" claim (Sudachi version)
  std::int64_t issued_at = 0;   // seconds
  std::int64_t expires_at = 0;  // seconds
};

struct JwtSettings {
  std::string secret;  // HS256 key; at least 32 bytes in production
  std::string issuer = "sudachi-rooms";
  std::string audience = "sudachi-multiplayer";
  std::int64_t leeway_seconds = 30;
};

// HS256 only (the algorithm is pinned: "none" and every other alg are refused), exp, iss and
// aud required (DESIGN.md defect 11). Uses libjwt. Thread-safe.
class JwtVerifier {
 public:
  explicit JwtVerifier(JwtSettings settings);
  // AUTH_FAILED for anything that is not a valid, unexpired token of ours.
  Result<JwtClaims> verify(std::string_view token, std::int64_t now_seconds) const;

 private:
  JwtSettings settings_;
};

class JwtIssuer {
 public:
  explicit JwtIssuer(JwtSettings settings);
  // Signs claims.sub/name/platform/ver with iat=now, exp=now+lifetime, iss, aud.
  Result<std::string> issue(const JwtClaims& claims, std::int64_t now_seconds,
                            std::int64_t lifetime_seconds) const;

 private:
  JwtSettings settings_;
};

}  // namespace sudachi::auth

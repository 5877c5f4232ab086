#include "auth/jwt.hpp"

#include <jwt.h>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/string.hpp>
#include <boost/json/value.hpp>

#include <cmath>
#include <cstdlib>
#include <limits>
#include <memory>
#include <optional>
#include <stdexcept>
#include <utility>

#include "auth/base64url.hpp"

// Division of labour: libjwt checks the signature (and we confirm which algorithm it used);
// the header and the claims are read by our own strict code, so the rules of DESIGN.md
// defect 11 do not depend on what a given libjwt version happens to validate (1.10 checks no
// claims at all).
namespace sudachi::auth {
namespace {

// Tokens arrive from unauthenticated peers: bound the work before any decoding.
constexpr std::size_t kMaxTokenSize = 4096;
constexpr std::size_t kMaxSubject = 64;

namespace json = boost::json;

struct JwtFree {
  void operator()(jwt_t* j) const noexcept { jwt_free(j); }
};
using JwtPtr = std::unique_ptr<jwt_t, JwtFree>;

struct CFree {
  void operator()(char* p) const noexcept { std::free(p); }
};

// json::string converts to boost::core::string_view, not to std::string_view.
std::string_view view(const json::string& s) {
  return {s.data(), s.size()};
}

Error auth_error(std::string message) {
  return Error::make(ErrorCode::auth_failed, std::move(message));
}

struct Segments {
  std::string_view header;
  std::string_view payload;
};

// Exactly three non-empty dot-separated segments (a JWS compact serialization, not a JWE).
std::optional<Segments> split_token(std::string_view token) {
  const auto first = token.find('.');
  if (first == std::string_view::npos) return std::nullopt;
  const auto second = token.find('.', first + 1);
  if (second == std::string_view::npos || token.find('.', second + 1) != std::string_view::npos) {
    return std::nullopt;
  }
  Segments s{token.substr(0, first), token.substr(first + 1, second - first - 1)};
  if (s.header.empty() || s.payload.empty() || second + 1 == token.size()) return std::nullopt;
  return s;
}

std::optional<json::object> decode_object(std::string_view segment) {
  const auto bytes = base64url_decode(segment);
  if (!bytes) return std::nullopt;
  boost::system::error_code ec;
  json::value v = json::parse(
      std::string_view(reinterpret_cast<const char*>(bytes->data()), bytes->size()), ec);
  if (ec || !v.is_object()) return std::nullopt;
  return std::move(v.as_object());
}

// The algorithm is pinned before anything else is believed: "none", HS384/512 and every
// asymmetric alg (key-confusion attacks) are refused. "crit" names extensions we do not
// implement, which RFC 7515 section 4.1.11 says must be refused.
bool header_acceptable(const json::object& header) {
  const auto* alg = header.if_contains("alg");
  if (alg == nullptr || !alg->is_string() || view(alg->as_string()) != "HS256") return false;
  return !header.contains("crit");
}

bool signature_valid(const std::string& token, const std::string& secret) {
  jwt_t* raw = nullptr;
  const int rc =
      jwt_decode(&raw, token.c_str(), reinterpret_cast<const unsigned char*>(secret.data()),
                 static_cast<int>(secret.size()));
  const JwtPtr decoded(raw);
  // Belt and braces: confirm libjwt verified with the algorithm we pinned.
  return rc == 0 && decoded && jwt_get_alg(decoded.get()) == JWT_ALG_HS256;
}

// NumericDate (RFC 7519): seconds, integer or not; fractions are truncated toward the past.
std::optional<std::int64_t> numeric_date(const json::value& v) {
  if (v.is_int64()) return v.as_int64();
  if (v.is_uint64()) {
    if (v.as_uint64() > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()))
      return std::nullopt;
    return static_cast<std::int64_t>(v.as_uint64());
  }
  if (v.is_double()) {
    const double d = std::floor(v.as_double());
    if (!std::isfinite(d) || std::fabs(d) > 9.0e15) return std::nullopt;
    return static_cast<std::int64_t>(d);
  }
  return std::nullopt;
}

// "aud" is a string or an array of strings (RFC 7519 section 4.1.3).
bool audience_matches(const json::value* aud, std::string_view expected) {
  if (aud == nullptr) return false;
  if (aud->is_string()) return view(aud->as_string()) == expected;
  if (!aud->is_array()) return false;
  for (const auto& item : aud->as_array()) {
    if (item.is_string() && view(item.as_string()) == expected) return true;
  }
  return false;
}

// Client ids end up in logs, room JSON and relay tokens: printable and bounded.
bool subject_acceptable(std::string_view sub) {
  if (sub.empty() || sub.size() > kMaxSubject) return false;
  for (unsigned char c : sub) {
    if (c < 0x20 || c == 0x7f) return false;
  }
  return true;
}

// An absent optional claim leaves `out` empty; one of the wrong type rejects the token.
bool read_optional_string(const json::object& claims, std::string_view key, std::string& out) {
  const auto* v = claims.if_contains(key);
  if (v == nullptr) return true;
  if (!v->is_string()) return false;
  out = std::string(view(v->as_string()));
  return true;
}

// Besides expiry, a token must not outlive settings.max_lifetime_seconds: a signer's
// far-future exp (year 9999) or iat (issued "later", so that exp - iat looks short) would
// otherwise make a leaked token good forever. iat is optional (RFC 7519); without it the exp
// bound alone applies. Every sum below stays far from overflow: now is a real clock reading,
// leeway and max lifetime are bounded at construction, and exp is bounded before iat is used.
Status check_times(const json::object& claims, std::int64_t now, const JwtSettings& settings,
                   JwtClaims& out) {
  const std::int64_t leeway = settings.leeway_seconds;
  const std::int64_t max_lifetime = settings.max_lifetime_seconds;
  const auto* exp = claims.if_contains("exp");
  if (exp == nullptr) return auth_error("token has no exp");
  const auto expires = numeric_date(*exp);
  if (!expires) return auth_error("token exp is not a NumericDate");
  if (*expires <= now - leeway) return auth_error("token expired");
  if (*expires > now + max_lifetime + leeway) return auth_error("token exp is too far ahead");
  out.expires_at = *expires;
  if (const auto* nbf = claims.if_contains("nbf")) {
    const auto not_before = numeric_date(*nbf);
    if (!not_before || *not_before > now + leeway) return auth_error("token not yet valid");
  }
  if (const auto* iat = claims.if_contains("iat")) {
    const auto issued = numeric_date(*iat);
    if (!issued) return auth_error("token iat is not a NumericDate");
    if (*issued > now + leeway) return auth_error("token iat is in the future");
    // exp - iat > max_lifetime, written so that a hugely negative iat cannot overflow.
    if (*issued < *expires - max_lifetime) return auth_error("token lifetime too long");
    out.issued_at = *issued;
  }
  return ok_status();
}

Status check_identity(const json::object& claims, const JwtSettings& settings, JwtClaims& out) {
  const auto* iss = claims.if_contains("iss");
  if (iss == nullptr || !iss->is_string() || view(iss->as_string()) != settings.issuer) {
    return auth_error("token issuer mismatch");
  }
  if (!audience_matches(claims.if_contains("aud"), settings.audience))
    return auth_error("token audience mismatch");
  const auto* sub = claims.if_contains("sub");
  if (sub == nullptr || !sub->is_string() || !subject_acceptable(view(sub->as_string()))) {
    return auth_error("token sub missing or invalid");
  }
  out.sub = std::string(view(sub->as_string()));
  if (!read_optional_string(claims, "name", out.name) ||
      !read_optional_string(claims, "platform", out.platform) ||
      !read_optional_string(claims, "ver", out.version)) {
    return auth_error("token has a non-string name, platform or ver");
  }
  return ok_status();
}

// Bounds on the settings that keep check_times' arithmetic far from int64 overflow.
constexpr std::int64_t kMaxLeeway = 24 * 3600;
constexpr std::int64_t kMaxLifetimeCeiling = 10 * 366 * 24 * 3600;

void require_valid_settings(const JwtSettings& settings) {
  // An empty HMAC key would make every token forgeable: a start-up error, not a runtime one.
  if (settings.secret.empty()) throw std::invalid_argument("JWT secret must not be empty");
  if (settings.leeway_seconds < 0 || settings.leeway_seconds > kMaxLeeway)
    throw std::invalid_argument("JWT leeway must be within 0 .. 86400 s");
  if (settings.max_lifetime_seconds <= 0 || settings.max_lifetime_seconds > kMaxLifetimeCeiling)
    throw std::invalid_argument("JWT max lifetime must be within 1 s .. 10 years");
}

}  // namespace

JwtVerifier::JwtVerifier(JwtSettings settings) : settings_(std::move(settings)) {
  require_valid_settings(settings_);
}

Result<JwtClaims> JwtVerifier::verify(std::string_view token, std::int64_t now_seconds) const {
  if (token.size() > kMaxTokenSize) return auth_error("token too long");
  const auto segments = split_token(token);
  if (!segments) return auth_error("token is not a JWS compact serialization");
  const auto header = decode_object(segments->header);
  if (!header || !header_acceptable(*header))
    return auth_error("token header refused (alg must be HS256)");
  if (!signature_valid(std::string(token), settings_.secret))
    return auth_error("token signature invalid");
  // Claims are read only after the signature held.
  const auto payload = decode_object(segments->payload);
  if (!payload) return auth_error("token payload is not a JSON object");
  JwtClaims claims;
  if (auto s = check_times(*payload, now_seconds, settings_, claims); !s)
    return std::move(s).error();
  if (auto s = check_identity(*payload, settings_, claims); !s) return std::move(s).error();
  return claims;
}

JwtIssuer::JwtIssuer(JwtSettings settings) : settings_(std::move(settings)) {
  require_valid_settings(settings_);
}

Result<std::string> JwtIssuer::issue(const JwtClaims& claims, std::int64_t now_seconds,
                                     std::int64_t lifetime_seconds) const {
  if (!subject_acceptable(claims.sub) || lifetime_seconds <= 0 ||
      lifetime_seconds > settings_.max_lifetime_seconds) {
    return Error::make(ErrorCode::internal,
                       "refusing to issue a token with an invalid sub or lifetime");
  }
  jwt_t* raw = nullptr;
  if (jwt_new(&raw) != 0) return Error::make(ErrorCode::internal, "jwt_new failed");
  const JwtPtr jwt(raw);
  int rc = jwt_set_alg(jwt.get(), JWT_ALG_HS256,
                       reinterpret_cast<const unsigned char*>(settings_.secret.data()),
                       static_cast<int>(settings_.secret.size()));
  rc |= jwt_add_grant(jwt.get(), "iss", settings_.issuer.c_str());
  rc |= jwt_add_grant(jwt.get(), "aud", settings_.audience.c_str());
  rc |= jwt_add_grant(jwt.get(), "sub", claims.sub.c_str());
  rc |= jwt_add_grant_int(jwt.get(), "iat", now_seconds);
  rc |= jwt_add_grant_int(jwt.get(), "exp", now_seconds + lifetime_seconds);
  // Optional claims are omitted when empty, matching what verify() reads back.
  if (!claims.name.empty()) rc |= jwt_add_grant(jwt.get(), "name", claims.name.c_str());
  if (!claims.platform.empty()) rc |= jwt_add_grant(jwt.get(), "platform", claims.platform.c_str());
  if (!claims.version.empty()) rc |= jwt_add_grant(jwt.get(), "ver", claims.version.c_str());
  if (rc != 0) return Error::make(ErrorCode::internal, "building the JWT failed");
  const std::unique_ptr<char, CFree> encoded(jwt_encode_str(jwt.get()));
  if (!encoded) return Error::make(ErrorCode::internal, "jwt_encode_str failed");
  return std::string(encoded.get());
}

}  // namespace sudachi::auth

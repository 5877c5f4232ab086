#include "auth/jwt.hpp"

#include <gtest/gtest.h>
#include <jwt.h>

#include <atomic>
#include <cstdlib>
#include <stdexcept>
#include <thread>
#include <vector>

#include "test_codec.hpp"

namespace sudachi::auth {
namespace {

constexpr std::int64_t kNow = 1'700'000'000;
const std::string kSecret = "0123456789abcdef0123456789abcdef";

JwtSettings settings() {
  JwtSettings s;
  s.secret = kSecret;
  return s;
}

// header.payload.signature with an HMAC of our choosing (md == nullptr: empty signature).
std::string forge(const std::string& header, const std::string& payload,
                  const EVP_MD* md = EVP_sha256(), const std::string& key = kSecret) {
  const std::string signing_input = test::b64url(header) + "." + test::b64url(payload);
  const std::string sig = md == nullptr ? "" : test::b64url(test::hmac(md, key, signing_input));
  return signing_input + "." + sig;
}

const std::string kHs256Header = R"({"alg":"HS256","typ":"JWT"})";

std::string payload(const std::string& extra = "", std::int64_t exp = kNow + 3600) {
  return R"({"iss":"sudachi-rooms","aud":"sudachi-multiplayer","sub":"client-1","iat":)" +
         std::to_string(kNow) + R"(,"exp":)" + std::to_string(exp) + extra + "}";
}

void expect_refused(const Result<JwtClaims>& r) {
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::auth_failed);
}

TEST(Jwt, IssuedTokenVerifiesWithAllClaims) {
  JwtClaims in;
  in.sub = "3f1c2a9e-0000-4000-8000-000000000001";
  in.name = "Link";
  in.platform = "linux";
  in.version = "1.0.5";
  const auto token = JwtIssuer(settings()).issue(in, kNow, 3600);
  ASSERT_TRUE(token.ok());
  const auto out = JwtVerifier(settings()).verify(*token, kNow + 10);
  ASSERT_TRUE(out.ok()) << out.error().message;
  EXPECT_EQ(out->sub, in.sub);
  EXPECT_EQ(out->name, "Link");
  EXPECT_EQ(out->platform, "linux");
  EXPECT_EQ(out->version, "1.0.5");
  EXPECT_EQ(out->issued_at, kNow);
  EXPECT_EQ(out->expires_at, kNow + 3600);
}

TEST(Jwt, ForeignlySignedTokenVerifiesAndOptionalClaimsMayBeAbsent) {
  const auto out = JwtVerifier(settings()).verify(forge(kHs256Header, payload()), kNow);
  ASSERT_TRUE(out.ok()) << out.error().message;
  EXPECT_EQ(out->sub, "client-1");
  EXPECT_TRUE(out->name.empty());
}

TEST(Jwt, AudienceMayBeAnArrayContainingOurs) {
  const std::string p =
      R"({"iss":"sudachi-rooms","aud":["other","sudachi-multiplayer"],"sub":"c","exp":)" +
      std::to_string(kNow + 60) + "}";
  EXPECT_TRUE(JwtVerifier(settings()).verify(forge(kHs256Header, p), kNow).ok());
}

TEST(Jwt, ExpiredTokenIsRefusedButLeewayIsHonoured) {
  JwtVerifier v(settings());  // leeway 30 s
  expect_refused(v.verify(forge(kHs256Header, payload("", kNow - 30)), kNow));
  expect_refused(v.verify(forge(kHs256Header, payload("", kNow - 3600)), kNow));
  EXPECT_TRUE(v.verify(forge(kHs256Header, payload("", kNow - 29)), kNow).ok());
}

// A payload with the given iat (omitted when empty) and exp, both as JSON number text.
std::string timed(const std::string& iat, const std::string& exp) {
  return R"({"iss":"sudachi-rooms","aud":"sudachi-multiplayer","sub":"c",)" +
         (iat.empty() ? std::string() : R"("iat":)" + iat + ",") + R"("exp":)" + exp + "}";
}
std::string timed(std::int64_t iat, std::int64_t exp) {
  return timed(std::to_string(iat), std::to_string(exp));
}

constexpr std::int64_t kDay = 24 * 3600;
constexpr std::int64_t kMaxLifetime = 30 * kDay;  // the default
constexpr std::int64_t kLeeway = 30;              // the default

TEST(Jwt, ExpInTheYear9999IsRefused) {
  JwtVerifier v(settings());
  // 9999-12-31T23:59:59Z, with and without iat.
  expect_refused(v.verify(forge(kHs256Header, timed(kNow, 253'402'300'799)), kNow));
  expect_refused(v.verify(forge(kHs256Header, timed("", "253402300799")), kNow));
  expect_refused(v.verify(forge(kHs256Header, timed("", "9223372036854775807")), kNow));
  expect_refused(v.verify(forge(kHs256Header, timed("", "1e15")), kNow));
}

TEST(Jwt, IatTenYearsAheadIsRefused) {
  JwtVerifier v(settings());
  const std::int64_t later = kNow + 10 * 365 * kDay;
  // A short exp - iat, but issued "in the future": exp is still in range here.
  expect_refused(v.verify(forge(kHs256Header, timed(later, kNow + 3600)), kNow));
  // The same token as its signer meant it (exp = iat + 1 h).
  expect_refused(v.verify(forge(kHs256Header, timed(later, later + 3600)), kNow));
}

TEST(Jwt, LifetimeLongerThanTheMaximumIsRefused) {
  JwtVerifier v(settings());
  // Issued 31 days ago, good for another day: each bound on its own holds, exp - iat does not.
  expect_refused(v.verify(forge(kHs256Header, timed(kNow - 31 * kDay, kNow + kDay)), kNow));
  expect_refused(
      v.verify(forge(kHs256Header, timed(kNow - 100, kNow - 100 + kMaxLifetime + 1)), kNow));
  // A hugely negative iat must be refused, not overflow exp - iat.
  expect_refused(v.verify(forge(kHs256Header, timed("-9223372036854775807", "1700003600")), kNow));
  expect_refused(v.verify(forge(kHs256Header, timed("-9e15", "1700003600")), kNow));
}

TEST(Jwt, LifetimeBoundariesThatPass) {
  JwtVerifier v(settings());
  // exp exactly at now + max lifetime + leeway (no iat), and one second more.
  EXPECT_TRUE(
      v.verify(forge(kHs256Header, timed("", std::to_string(kNow + kMaxLifetime + kLeeway))), kNow)
          .ok());
  expect_refused(v.verify(
      forge(kHs256Header, timed("", std::to_string(kNow + kMaxLifetime + kLeeway + 1))), kNow));
  // iat exactly at now + leeway (a signer whose clock runs a little ahead), and one more.
  EXPECT_TRUE(
      v.verify(forge(kHs256Header, timed(kNow + kLeeway, kNow + kLeeway + 3600)), kNow).ok());
  expect_refused(
      v.verify(forge(kHs256Header, timed(kNow + kLeeway + 1, kNow + kLeeway + 3600)), kNow));
  // exp - iat exactly the maximum, issued now and issued a while ago.
  EXPECT_TRUE(v.verify(forge(kHs256Header, timed(kNow, kNow + kMaxLifetime)), kNow).ok());
  EXPECT_TRUE(
      v.verify(forge(kHs256Header, timed(kNow - 10 * kDay, kNow - 10 * kDay + kMaxLifetime)), kNow)
          .ok());
}

TEST(Jwt, MaxLifetimeIsConfigurable) {
  JwtSettings s = settings();
  s.max_lifetime_seconds = 3600;
  JwtVerifier v(s);
  EXPECT_TRUE(v.verify(forge(kHs256Header, timed(kNow, kNow + 3600)), kNow).ok());
  expect_refused(v.verify(forge(kHs256Header, timed(kNow, kNow + 3601)), kNow));
  expect_refused(v.verify(forge(kHs256Header, timed("", std::to_string(kNow + 7200))), kNow));
  // The default verifier takes what this one refuses.
  EXPECT_TRUE(
      JwtVerifier(settings()).verify(forge(kHs256Header, timed(kNow, kNow + 3601)), kNow).ok());
}

TEST(Jwt, IssuerNeverMintsATokenLongerThanTheMaximum) {
  JwtSettings s = settings();
  s.max_lifetime_seconds = 3600;
  JwtIssuer issuer(s);
  JwtClaims c;
  c.sub = "client-1";
  EXPECT_FALSE(issuer.issue(c, kNow, 3601).ok());
  const auto token = issuer.issue(c, kNow, 3600);
  ASSERT_TRUE(token.ok());
  EXPECT_TRUE(JwtVerifier(s).verify(*token, kNow).ok());
}

TEST(Jwt, OutOfRangeLifetimeOrLeewaySettingsAreAStartUpError) {
  for (const std::int64_t bad :
       {std::int64_t{0}, std::int64_t{-1}, std::int64_t{11} * 366 * kDay}) {
    JwtSettings s = settings();
    s.max_lifetime_seconds = bad;
    EXPECT_THROW(JwtVerifier{s}, std::invalid_argument) << bad;
    EXPECT_THROW(JwtIssuer{s}, std::invalid_argument) << bad;
  }
  JwtSettings s = settings();
  s.leeway_seconds = -1;
  EXPECT_THROW(JwtVerifier{s}, std::invalid_argument);
}

TEST(Jwt, MissingOrNonNumericExpIsRefused) {
  JwtVerifier v(settings());
  expect_refused(v.verify(
      forge(kHs256Header, R"({"iss":"sudachi-rooms","aud":"sudachi-multiplayer","sub":"c"})"),
      kNow));
  expect_refused(v.verify(
      forge(kHs256Header,
            R"({"iss":"sudachi-rooms","aud":"sudachi-multiplayer","sub":"c","exp":"9999999999"})"),
      kNow));
}

TEST(Jwt, NotBeforeInTheFutureIsRefused) {
  JwtVerifier v(settings());
  expect_refused(
      v.verify(forge(kHs256Header, payload(R"(,"nbf":)" + std::to_string(kNow + 600))), kNow));
  EXPECT_TRUE(
      v.verify(forge(kHs256Header, payload(R"(,"nbf":)" + std::to_string(kNow + 10))), kNow).ok());
}

TEST(Jwt, WrongOrMissingIssuerIsRefused) {
  JwtVerifier v(settings());
  const auto exp = std::to_string(kNow + 60);
  expect_refused(
      v.verify(forge(kHs256Header,
                     R"({"iss":"evil","aud":"sudachi-multiplayer","sub":"c","exp":)" + exp + "}"),
               kNow));
  expect_refused(v.verify(
      forge(kHs256Header, R"({"aud":"sudachi-multiplayer","sub":"c","exp":)" + exp + "}"), kNow));
}

TEST(Jwt, WrongOrMissingAudienceIsRefused) {
  JwtVerifier v(settings());
  const auto exp = std::to_string(kNow + 60);
  expect_refused(v.verify(
      forge(kHs256Header, R"({"iss":"sudachi-rooms","aud":"other","sub":"c","exp":)" + exp + "}"),
      kNow));
  expect_refused(v.verify(
      forge(kHs256Header, R"({"iss":"sudachi-rooms","aud":["a","b"],"sub":"c","exp":)" + exp + "}"),
      kNow));
  expect_refused(v.verify(
      forge(kHs256Header, R"({"iss":"sudachi-rooms","sub":"c","exp":)" + exp + "}"), kNow));
}

TEST(Jwt, SubjectMustBePresentNonEmptyAndBounded) {
  JwtVerifier v(settings());
  const auto with_sub = [](const std::string& sub_json) {
    return forge(kHs256Header, R"({"iss":"sudachi-rooms","aud":"sudachi-multiplayer","exp":)" +
                                   std::to_string(kNow + 60) + sub_json + "}");
  };
  expect_refused(v.verify(with_sub(""), kNow));
  expect_refused(v.verify(with_sub(R"(,"sub":"")"), kNow));
  expect_refused(v.verify(with_sub(R"(,"sub":42)"), kNow));
  expect_refused(v.verify(with_sub(R"(,"sub":")" + std::string(65, 'a') + "\""), kNow));
  expect_refused(v.verify(with_sub(R"(,"sub":"a\nb")"), kNow));
  EXPECT_TRUE(v.verify(with_sub(R"(,"sub":")" + std::string(64, 'a') + "\""), kNow).ok());
}

TEST(Jwt, OptionalClaimsOfTheWrongTypeAreRefused) {
  expect_refused(
      JwtVerifier(settings()).verify(forge(kHs256Header, payload(R"(,"name":7)")), kNow));
}

TEST(Jwt, AlgNoneIsRefused) {
  JwtVerifier v(settings());
  expect_refused(v.verify(forge(R"({"alg":"none","typ":"JWT"})", payload(), nullptr), kNow));
  // Even with a signature that would be valid for HS256.
  expect_refused(v.verify(forge(R"({"alg":"none","typ":"JWT"})", payload()), kNow));
}

TEST(Jwt, OtherAlgorithmsAreRefusedEvenWithTheRightSecret) {
  JwtVerifier v(settings());
  expect_refused(v.verify(forge(R"({"alg":"HS384","typ":"JWT"})", payload(), EVP_sha384()), kNow));
  expect_refused(v.verify(forge(R"({"alg":"HS512","typ":"JWT"})", payload(), EVP_sha512()), kNow));
  // Key confusion: an asymmetric alg "verified" with the HMAC secret.
  expect_refused(v.verify(forge(R"({"alg":"RS256","typ":"JWT"})", payload()), kNow));
  expect_refused(v.verify(forge(R"({"alg":"hs256","typ":"JWT"})", payload()), kNow));
  expect_refused(v.verify(forge(R"({"typ":"JWT"})", payload()), kNow));
}

TEST(Jwt, Hs384TokenSignedByLibjwtIsRefused) {
  jwt_t* raw = nullptr;
  ASSERT_EQ(jwt_new(&raw), 0);
  ASSERT_EQ(jwt_set_alg(raw, JWT_ALG_HS384, reinterpret_cast<const unsigned char*>(kSecret.data()),
                        static_cast<int>(kSecret.size())),
            0);
  jwt_add_grant(raw, "iss", "sudachi-rooms");
  jwt_add_grant(raw, "aud", "sudachi-multiplayer");
  jwt_add_grant(raw, "sub", "client-1");
  jwt_add_grant_int(raw, "exp", kNow + 60);
  char* encoded = jwt_encode_str(raw);
  ASSERT_NE(encoded, nullptr);
  const std::string token(encoded);
  std::free(encoded);
  jwt_free(raw);
  expect_refused(JwtVerifier(settings()).verify(token, kNow));
}

// Parsers disagree on which duplicate key wins; neither reading may let "none" through.
TEST(Jwt, DuplicateAlgKeysAreRefused) {
  JwtVerifier v(settings());
  expect_refused(v.verify(forge(R"({"alg":"HS256","alg":"none"})", payload(), nullptr), kNow));
  expect_refused(v.verify(forge(R"({"alg":"none","alg":"HS256"})", payload(), nullptr), kNow));
}

TEST(Jwt, CriticalHeaderExtensionsAreRefused) {
  expect_refused(JwtVerifier(settings())
                     .verify(forge(R"({"alg":"HS256","crit":["x"],"x":1})", payload()), kNow));
}

TEST(Jwt, TamperedSignatureOrPayloadIsRefused) {
  JwtVerifier v(settings());
  const std::string good = forge(kHs256Header, payload());
  ASSERT_TRUE(v.verify(good, kNow).ok());
  std::string bad_sig = good;
  bad_sig[bad_sig.size() - 2] = bad_sig[bad_sig.size() - 2] == 'A' ? 'B' : 'A';
  expect_refused(v.verify(bad_sig, kNow));
  // A payload swapped for another one under the original signature.
  const std::string other = forge(kHs256Header, payload(R"(,"name":"admin")"));
  const std::string spliced = other.substr(0, other.rfind('.')) + good.substr(good.rfind('.'));
  expect_refused(v.verify(spliced, kNow));
}

TEST(Jwt, WrongSecretIsRefused) {
  expect_refused(
      JwtVerifier(settings())
          .verify(forge(kHs256Header, payload(), EVP_sha256(), "another-secret-another-secret-xx"),
                  kNow));
}

TEST(Jwt, GarbageIsRefusedWithoutThrowing) {
  JwtVerifier v(settings());
  for (const char* g : {"", ".", "..", "...", "abc", "a.b", "a.b.c", "a.b.c.d",
                        "====.====.====", "eyJhbGciOiJIUzI1NiJ9..", "eyJhbGciOiJIUzI1NiJ9.e30.",
                        "\xff\xfe.\x01.\x02"}) {
    expect_refused(v.verify(g, kNow));
  }
  // Header that is JSON but not an object, and payload that is not JSON.
  expect_refused(v.verify(forge(R"(["HS256"])", payload()), kNow));
  expect_refused(v.verify(forge(kHs256Header, "not json"), kNow));
  expect_refused(v.verify(forge(kHs256Header, "[1,2]"), kNow));
  expect_refused(v.verify(std::string_view("a\0b.c.d", 7), kNow));
}

TEST(Jwt, OversizedTokenIsRefusedBeforeParsing) {
  JwtVerifier v(settings());
  const std::string big =
      forge(kHs256Header, payload(R"(,"name":")" + std::string(3200, 'x') + "\""));
  ASSERT_GT(big.size(), 4096u);
  expect_refused(v.verify(big, kNow));
  const std::string fits =
      forge(kHs256Header, payload(R"(,"name":")" + std::string(2600, 'x') + "\""));
  ASSERT_LE(fits.size(), 4096u);
  EXPECT_TRUE(v.verify(fits, kNow).ok());
}

TEST(Jwt, IssuerRefusesInvalidSubjectOrLifetime) {
  JwtIssuer issuer(settings());
  JwtClaims c;
  EXPECT_FALSE(issuer.issue(c, kNow, 60).ok());
  c.sub = std::string(65, 'a');
  EXPECT_FALSE(issuer.issue(c, kNow, 60).ok());
  c.sub = "ok";
  EXPECT_FALSE(issuer.issue(c, kNow, 0).ok());
}

TEST(Jwt, EmptySecretIsAStartUpError) {
  EXPECT_THROW(JwtVerifier(JwtSettings{}), std::invalid_argument);
  EXPECT_THROW(JwtIssuer(JwtSettings{}), std::invalid_argument);
}

TEST(Jwt, ConcurrentVerificationIsSafe) {
  JwtVerifier v(settings());
  JwtIssuer issuer(settings());
  std::vector<std::thread> threads;
  std::atomic<int> accepted{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      JwtClaims c;
      c.sub = "client-" + std::to_string(t);
      for (int i = 0; i < 200; ++i) {
        const auto token = issuer.issue(c, kNow, 60);
        const auto out =
            token.ok() ? v.verify(*token, kNow) : Result<JwtClaims>(ErrorCode::internal);
        if (out.ok() && out->sub == c.sub) ++accepted;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(accepted.load(), 800);
}

}  // namespace
}  // namespace sudachi::auth

#include "auth/relay_token.hpp"

#include <gtest/gtest.h>

#include <stdexcept>

#include "test_codec.hpp"

namespace sudachi::auth {
namespace {

constexpr std::int64_t kNowMs = 1'700'000'000'000;
const std::string kSecretA = "secret-a-0123456789abcdef";
const std::string kSecretB = "secret-b-0123456789abcdef";

RelayTokenClaims sample_claims() {
  RelayTokenClaims c;
  for (std::uint8_t i = 0; i < 16; ++i) c.session_id[i] = static_cast<std::uint8_t>(0xA0 + i);
  c.client_id = "client-1";
  c.slot = 1;
  c.relay_id = "relay-eu-1";
  c.expires_at_ms = kNowMs + 60'000;
  return c;
}

std::string mint(const RelayTokenKeyring& k, const RelayTokenClaims& c = sample_claims()) {
  auto token = k.mint(c);
  EXPECT_TRUE(token.ok());
  return token.ok() ? *token : std::string();
}

RelayTokenError error_of(const std::variant<RelayTokenClaims, RelayTokenError>& v) {
  EXPECT_TRUE(std::holds_alternative<RelayTokenError>(v)) << "token unexpectedly accepted";
  return std::holds_alternative<RelayTokenError>(v) ? std::get<RelayTokenError>(v)
                                                    : RelayTokenError::malformed;
}

TEST(RelayToken, RoundTrip) {
  RelayTokenKeyring k({{"ka", kSecretA}}, "ka");
  const auto v = k.verify(mint(k), kNowMs, "relay-eu-1");
  ASSERT_TRUE(std::holds_alternative<RelayTokenClaims>(v))
      << to_string(std::get<RelayTokenError>(v));
  const auto& c = std::get<RelayTokenClaims>(v);
  const auto expected = sample_claims();
  EXPECT_EQ(c.key_id, "ka");
  EXPECT_EQ(c.session_id, expected.session_id);
  EXPECT_EQ(c.client_id, expected.client_id);
  EXPECT_EQ(c.slot, 1);
  EXPECT_EQ(c.relay_id, expected.relay_id);
  EXPECT_EQ(c.expires_at_ms, expected.expires_at_ms);
  // An empty relay id skips the relay check.
  EXPECT_TRUE(std::holds_alternative<RelayTokenClaims>(k.verify(mint(k), kNowMs, "")));
}

// Pins the byte layout documented in docs/relay-token.md, with an independent HMAC.
TEST(RelayToken, BinaryLayoutIsAsDocumented) {
  RelayTokenKeyring k({{"ka", kSecretA}}, "ka");
  const std::string bytes = test::b64url_decode(mint(k));
  std::string body;
  body += '\x01';
  body += '\x02';
  body += "ka";
  for (std::uint8_t i = 0; i < 16; ++i) body += static_cast<char>(0xA0 + i);
  body += '\x01';
  const auto exp = static_cast<std::uint64_t>(kNowMs + 60'000);
  for (int shift = 56; shift >= 0; shift -= 8) body += static_cast<char>((exp >> shift) & 0xff);
  body += '\x0a';
  body += "relay-eu-1";
  body += '\x08';
  body += "client-1";
  EXPECT_EQ(bytes, body + test::hmac(EVP_sha256(), kSecretA, body));
  EXPECT_EQ(mint(k).find('='), std::string::npos);
}

TEST(RelayToken, EachErrorInItsOwnCase) {
  RelayTokenKeyring k({{"ka", kSecretA}}, "ka");
  const std::string token = mint(k);
  EXPECT_EQ(error_of(k.verify("not a token!", kNowMs, "")), RelayTokenError::malformed);
  EXPECT_EQ(error_of(k.verify("", kNowMs, "")), RelayTokenError::malformed);
  EXPECT_EQ(error_of(k.verify(token + "=", kNowMs, "")), RelayTokenError::malformed);
  EXPECT_EQ(error_of(k.verify(token.substr(0, token.size() - 4), kNowMs, "")),
            RelayTokenError::malformed);
  EXPECT_EQ(error_of(k.verify(std::string(4000, 'A'), kNowMs, "")), RelayTokenError::malformed);

  RelayTokenKeyring other_kid({{"kb", kSecretA}}, "kb");
  EXPECT_EQ(error_of(other_kid.verify(token, kNowMs, "")), RelayTokenError::unknown_key);

  RelayTokenKeyring other_secret({{"ka", kSecretB}}, "ka");
  EXPECT_EQ(error_of(other_secret.verify(token, kNowMs, "")), RelayTokenError::bad_signature);

  EXPECT_EQ(error_of(k.verify(token, kNowMs + 60'001, "")), RelayTokenError::expired);
  EXPECT_TRUE(std::holds_alternative<RelayTokenClaims>(k.verify(token, kNowMs + 60'000, "")));

  EXPECT_EQ(error_of(k.verify(token, kNowMs, "relay-us-1")), RelayTokenError::wrong_relay);
}

TEST(RelayToken, ErrorsAreReportedInTheDocumentedOrder) {
  RelayTokenKeyring k({{"ka", kSecretA}}, "ka");
  const std::string token = mint(k);
  RelayTokenKeyring other_secret({{"ka", kSecretB}}, "ka");
  // Signature before expiry and relay: an attacker learns nothing from forged claims.
  EXPECT_EQ(error_of(other_secret.verify(token, kNowMs + 999'999, "elsewhere")),
            RelayTokenError::bad_signature);
  EXPECT_EQ(error_of(k.verify(token, kNowMs + 999'999, "elsewhere")), RelayTokenError::expired);
}

TEST(RelayToken, WrongVersionIsMalformedEvenWhenSigned) {
  std::string body = test::b64url_decode(mint(RelayTokenKeyring({{"ka", kSecretA}}, "ka")));
  body.resize(body.size() - 32);
  body[0] = 2;
  const std::string token = test::b64url(body + test::hmac(EVP_sha256(), kSecretA, body));
  EXPECT_EQ(error_of(RelayTokenKeyring({{"ka", kSecretA}}, "ka").verify(token, kNowMs, "")),
            RelayTokenError::malformed);
}

TEST(RelayToken, RotationWithTwoKeys) {
  RelayTokenKeyring old_room({{"k1", kSecretA}}, "k1");
  RelayTokenKeyring new_room({{"k1", kSecretA}, {"k2", kSecretB}}, "k2");
  RelayTokenKeyring relay({{"k1", kSecretA}, {"k2", kSecretB}}, "k1");
  RelayTokenKeyring old_relay({{"k1", kSecretA}}, "k1");
  RelayTokenKeyring retired_relay({{"k2", kSecretB}}, "k2");

  const std::string old_token = mint(old_room);
  const std::string new_token = mint(new_room);
  EXPECT_TRUE(std::holds_alternative<RelayTokenClaims>(relay.verify(old_token, kNowMs, "")));
  EXPECT_TRUE(std::holds_alternative<RelayTokenClaims>(relay.verify(new_token, kNowMs, "")));
  EXPECT_EQ(std::get<RelayTokenClaims>(relay.verify(new_token, kNowMs, "")).key_id, "k2");
  EXPECT_EQ(error_of(old_relay.verify(new_token, kNowMs, "")), RelayTokenError::unknown_key);
  EXPECT_EQ(error_of(retired_relay.verify(old_token, kNowMs, "")), RelayTokenError::unknown_key);
}

TEST(RelayToken, FlippingAnyByteInvalidatesTheToken) {
  RelayTokenKeyring k({{"ka", kSecretA}, {"kb", kSecretB}}, "ka");
  const std::string bytes = test::b64url_decode(mint(k));
  ASSERT_FALSE(bytes.empty());
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    for (std::uint8_t mask : {0x01, 0x80}) {
      std::string tampered = bytes;
      tampered[i] = static_cast<char>(tampered[i] ^ mask);
      const auto e = error_of(k.verify(test::b64url(tampered), kNowMs, ""));
      const bool in_key_id = i >= 2 && i < 4;  // "ka": a flipped byte names another (unknown) key
      if (in_key_id) {
        EXPECT_TRUE(e == RelayTokenError::unknown_key || e == RelayTokenError::malformed)
            << "byte " << i;
      } else {
        EXPECT_TRUE(e == RelayTokenError::bad_signature || e == RelayTokenError::malformed)
            << "byte " << i << ": " << to_string(e);
      }
    }
  }
}

TEST(RelayToken, ChangingAnyTextCharacterInvalidatesTheToken) {
  RelayTokenKeyring k({{"ka", kSecretA}}, "ka");
  const std::string token = mint(k);
  for (std::size_t i = 0; i < token.size(); ++i) {
    std::string tampered = token;
    tampered[i] = tampered[i] == 'A' ? 'B' : 'A';
    EXPECT_FALSE(std::holds_alternative<RelayTokenClaims>(k.verify(tampered, kNowMs, "")))
        << "char " << i;
  }
}

TEST(RelayToken, MintRefusesOutOfRangeClaims) {
  RelayTokenKeyring k({{"ka", kSecretA}}, "ka");
  auto c = sample_claims();
  c.slot = 2;
  EXPECT_FALSE(k.mint(c).ok());
  c = sample_claims();
  c.client_id.clear();
  EXPECT_FALSE(k.mint(c).ok());
  c = sample_claims();
  c.relay_id = std::string(65, 'r');
  EXPECT_FALSE(k.mint(c).ok());
  c = sample_claims();
  c.client_id = std::string(64, 'c');
  c.relay_id = std::string(64, 'r');
  c.key_id = "ignored";  // overwritten by the active key
  EXPECT_TRUE(std::holds_alternative<RelayTokenClaims>(k.verify(mint(k, c), kNowMs, "")));
}

TEST(RelayToken, KeyringRefusesAnActiveKeyWithoutSecret) {
  EXPECT_THROW(RelayTokenKeyring({{"ka", kSecretA}}, "kb"), std::invalid_argument);
  EXPECT_THROW(RelayTokenKeyring({{"ka", "short"}}, "ka"), std::invalid_argument);
}

TEST(RelayToken, ErrorNames) {
  EXPECT_EQ(to_string(RelayTokenError::malformed), "malformed");
  EXPECT_EQ(to_string(RelayTokenError::unknown_key), "unknown_key");
  EXPECT_EQ(to_string(RelayTokenError::bad_signature), "bad_signature");
  EXPECT_EQ(to_string(RelayTokenError::expired), "expired");
  EXPECT_EQ(to_string(RelayTokenError::wrong_relay), "wrong_relay");
}

TEST(ParseRelaySecrets, BareSecretGetsKeyIdK1) {
  const auto s = parse_relay_secrets("0123456789abcdefXYZ\n");
  ASSERT_EQ(s.size(), 1u);
  EXPECT_EQ(s.at("k1"), "0123456789abcdefXYZ");
}

TEST(ParseRelaySecrets, ListOfKeyIdsAndSecrets) {
  const auto s = parse_relay_secrets("old:0123456789abcdef-old, new.2:0123456789abcdef:new");
  ASSERT_EQ(s.size(), 2u);
  EXPECT_EQ(s.at("old"), "0123456789abcdef-old");
  EXPECT_EQ(s.at("new.2"), "0123456789abcdef:new");  // the first ':' separates
}

TEST(ParseRelaySecrets, BadConfigurationThrows) {
  for (const char* bad :
       {"", "   ", "short", "k1:", "k1:short", ":0123456789abcdef",
        "k1:0123456789abcdef,k1:0123456789abcdefgh", "bad kid:0123456789abcdef",
        "k/1:0123456789abcdef", "k1:0123456789abcdef,", "k1:0123456789abcdef,0123456789abcdef",
        "0123456789abcdef,0123456789abcdef",
        "a23456789012345678901234567890123:0123456789abcdef"}) {
    EXPECT_THROW(parse_relay_secrets(bad), std::invalid_argument) << bad;
  }
}

}  // namespace
}  // namespace sudachi::auth

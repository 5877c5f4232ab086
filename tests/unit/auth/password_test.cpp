#include "auth/password.hpp"

#include <gtest/gtest.h>
#include <openssl/evp.h>

#include "test_codec.hpp"

namespace sudachi::auth {
namespace {

// Low cost keeps the suite fast; the format and the checks are the same at any cost.
constexpr int kFast = 1000;

std::vector<std::string> split(const std::string& s) {
  std::vector<std::string> parts;
  std::size_t start = 0;
  for (std::size_t pos; (pos = s.find('$', start)) != std::string::npos; start = pos + 1) {
    parts.push_back(s.substr(start, pos - start));
  }
  parts.push_back(s.substr(start));
  return parts;
}

TEST(Password, HashThenVerify) {
  const std::string stored = hash_password("hunter2", kFast);
  EXPECT_TRUE(verify_password("hunter2", stored));
  EXPECT_FALSE(verify_password("hunter3", stored));
  EXPECT_FALSE(verify_password("", stored));
  EXPECT_TRUE(verify_password("", hash_password("", kFast)));
}

TEST(Password, DefaultCostAndFormat) {
  const std::string stored = hash_password("pw");
  const auto parts = split(stored);
  ASSERT_EQ(parts.size(), 4u);
  EXPECT_EQ(parts[0], "pbkdf2-sha256");
  EXPECT_EQ(parts[1], "60000");
  EXPECT_EQ(test::b64url_decode(parts[2]).size(), 16u);
  EXPECT_EQ(test::b64url_decode(parts[3]).size(), 32u);
  EXPECT_EQ(stored.find('='), std::string::npos);
  EXPECT_TRUE(verify_password("pw", stored));
}

TEST(Password, SaltMakesEveryHashDifferent) {
  EXPECT_NE(hash_password("same", kFast), hash_password("same", kFast));
}

// A hash computed by plain OpenSSL from the documented format verifies: the format is the
// contract, not this implementation.
TEST(Password, InteroperatesWithTheDocumentedFormat) {
  const std::string salt = "0123456789abcdef";
  unsigned char out[32];
  ASSERT_EQ(PKCS5_PBKDF2_HMAC("secret", 6, reinterpret_cast<const unsigned char*>(salt.data()),
                              static_cast<int>(salt.size()), 1234, EVP_sha256(), 32, out),
            1);
  const std::string stored = "pbkdf2-sha256$1234$" + test::b64url(salt) + "$" +
                             test::b64url(std::string(reinterpret_cast<const char*>(out), 32));
  EXPECT_TRUE(verify_password("secret", stored));
  EXPECT_FALSE(verify_password("Secret", stored));
}

TEST(Password, MalformedStoredHashesAreRejectedWithoutThrowing) {
  const auto parts = split(hash_password("pw", kFast));
  const std::string salt = parts[2], hash = parts[3];
  const auto with = [](const std::string& scheme, const std::string& iter, const std::string& s,
                       const std::string& h) { return scheme + "$" + iter + "$" + s + "$" + h; };
  ASSERT_TRUE(verify_password("pw", with("pbkdf2-sha256", "1000", salt, hash)));
  const std::vector<std::string> bad = {
      "",
      "pbkdf2-sha256",
      "pbkdf2-sha256$1000$" + salt,
      with("pbkdf2-sha1", "1000", salt, hash),
      with("pbkdf2-sha256", "0", salt, hash),
      with("pbkdf2-sha256", "-1000", salt, hash),
      with("pbkdf2-sha256", "+1000", salt, hash),
      with("pbkdf2-sha256", "01000", salt, hash),
      with("pbkdf2-sha256", "1000x", salt, hash),
      with("pbkdf2-sha256", "", salt, hash),
      with("pbkdf2-sha256", "1000001", salt, hash),  // absurd cost: refused, not computed
      with("pbkdf2-sha256", "99999999999999999999", salt, hash),
      with("pbkdf2-sha256", "1000", salt + "=", hash),
      with("pbkdf2-sha256", "1000", "c2FsdA", hash),            // 4-byte salt
      with("pbkdf2-sha256", "1000", salt, hash.substr(0, 40)),  // short hash
      with("pbkdf2-sha256", "1000", salt, hash + "AAAA"),
      with("pbkdf2-sha256", "1000", salt, "!!!"),
      with("pbkdf2-sha256", "1000", salt, hash) + "$extra",
  };
  for (const auto& stored : bad) EXPECT_FALSE(verify_password("pw", stored)) << stored;
}

}  // namespace
}  // namespace sudachi::auth

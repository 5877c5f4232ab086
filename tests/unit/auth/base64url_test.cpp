#include "auth/base64url.hpp"

#include <gtest/gtest.h>

#include "test_codec.hpp"

namespace sudachi::auth {
namespace {

std::string as_string(const std::vector<std::uint8_t>& v) {
  return std::string(v.begin(), v.end());
}

TEST(Base64Url, Rfc4648Vectors) {
  EXPECT_EQ(base64url_encode(std::string_view("")), "");
  EXPECT_EQ(base64url_encode(std::string_view("f")), "Zg");
  EXPECT_EQ(base64url_encode(std::string_view("fo")), "Zm8");
  EXPECT_EQ(base64url_encode(std::string_view("foo")), "Zm9v");
  EXPECT_EQ(base64url_encode(std::string_view("foobar")), "Zm9vYmFy");
  EXPECT_EQ(base64url_encode(std::string_view("\xfb\xff", 2)), "-_8");
}

TEST(Base64Url, RoundTripsEveryLengthAgainstOpenSsl) {
  std::string bytes;
  for (int len = 0; len < 70; ++len) {
    const std::string text = base64url_encode(bytes);
    EXPECT_EQ(text, test::b64url(bytes));
    const auto back = base64url_decode(text);
    ASSERT_TRUE(back.has_value());
    EXPECT_EQ(as_string(*back), bytes);
    bytes.push_back(static_cast<char>(len * 37 + 11));
  }
}

TEST(Base64Url, DecodeIsStrict) {
  EXPECT_FALSE(base64url_decode("Zg==").has_value());    // padding
  EXPECT_FALSE(base64url_decode("Zm9v+/").has_value());  // standard alphabet
  EXPECT_FALSE(base64url_decode("Zm 9v").has_value());   // whitespace
  EXPECT_FALSE(base64url_decode("Z").has_value());       // 6 bits only
  EXPECT_FALSE(base64url_decode("Zh").has_value());      // non-zero unused bits ("Zg" is canonical)
  EXPECT_FALSE(base64url_decode(std::string_view("Zg\0", 3)).has_value());
  EXPECT_TRUE(base64url_decode("").has_value());
}

}  // namespace
}  // namespace sudachi::auth

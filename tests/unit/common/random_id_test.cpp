#include "common/random_id.hpp"

#include <set>

#include <gtest/gtest.h>

namespace sudachi {
namespace {

TEST(RandomId, UuidsAreVersion4AndDistinct) {
  std::set<std::string> seen;
  for (int i = 0; i < 1000; ++i) {
    std::string id = random_uuid_v4();
    ASSERT_TRUE(is_uuid(id)) << id;
    EXPECT_EQ(id[14], '4');
    EXPECT_NE(std::string("89ab").find(id[19]), std::string::npos) << id;
    seen.insert(id);
  }
  EXPECT_EQ(seen.size(), 1000u);
}

TEST(RandomId, TokensAreBase64UrlOfTheRightLength) {
  EXPECT_EQ(random_token(15).size(), 20u);
  EXPECT_EQ(random_token(16).size(), 22u);
  for (char c : random_token(64)) {
    EXPECT_TRUE(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_') << c;
  }
}

TEST(RandomId, Validators) {
  EXPECT_TRUE(is_uuid("123e4567-e89b-42d3-a456-426614174000"));
  EXPECT_FALSE(is_uuid("123e4567e89b42d3a456426614174000"));
  EXPECT_FALSE(is_uuid("123e4567-e89b-42d3-a456-42661417400g"));
  EXPECT_TRUE(is_hex("0100000000010000"));
  EXPECT_FALSE(is_hex(""));
  EXPECT_FALSE(is_hex("01x0"));
}

}  // namespace
}  // namespace sudachi

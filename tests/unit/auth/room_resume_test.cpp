#include "auth/room_resume.hpp"

#include <gtest/gtest.h>

#include "test_codec.hpp"

namespace sudachi::auth {
namespace {

constexpr const char* kSecret = "the-jwt-secret-shared-by-servers";

TEST(RoomResumeKeys, KeyIsTheDocumentedHmac) {
  const RoomResumeKeys keys(kSecret);
  const std::string message = std::string("room-resume") + '\0' + "room-1" + '\0' + "client-1";
  EXPECT_EQ(keys.key("room-1", "client-1"),
            test::b64url(test::hmac(EVP_sha256(), kSecret, message)));
}

TEST(RoomResumeKeys, VerifiesOnlyTheSameRoomClientAndSecret) {
  const RoomResumeKeys keys(kSecret);
  const std::string key = keys.key("room-1", "client-1");
  EXPECT_TRUE(keys.verify("room-1", "client-1", key));
  EXPECT_FALSE(keys.verify("room-2", "client-1", key));
  EXPECT_FALSE(keys.verify("room-1", "client-2", key));
  EXPECT_FALSE(keys.verify("room-1", "client-1", key.substr(1)));
  EXPECT_FALSE(keys.verify("room-1", "client-1", key + "A"));
  EXPECT_FALSE(keys.verify("room-1", "client-1", ""));
  // Another deployment (another secret) does not accept it; one sharing the secret does.
  EXPECT_FALSE(RoomResumeKeys("another-secret").verify("room-1", "client-1", key));
  EXPECT_TRUE(RoomResumeKeys(kSecret).verify("room-1", "client-1", key));
}

TEST(RoomResumeKeys, FieldBoundariesAreUnambiguous) {
  const RoomResumeKeys keys(kSecret);
  EXPECT_NE(keys.key("ab", "c"), keys.key("a", "bc"));
}

TEST(RoomResumeKeys, EmptySecretDisablesResume) {
  const RoomResumeKeys keys("");
  EXPECT_FALSE(keys.enabled());
  EXPECT_EQ(keys.key("room-1", "client-1"), "");
  EXPECT_FALSE(keys.verify("room-1", "client-1", ""));
}

}  // namespace
}  // namespace sudachi::auth

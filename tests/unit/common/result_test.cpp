#include "common/result.hpp"

#include <gtest/gtest.h>

namespace sudachi {
namespace {

TEST(Result, HoldsValueOrError) {
  Result<int> good = 7;
  ASSERT_TRUE(good.ok());
  EXPECT_EQ(*good, 7);

  Result<int> bad = ErrorCode::room_full;
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code, ErrorCode::room_full);
  EXPECT_EQ(bad.error().message, "Room is full");
}

TEST(ErrorCode, WireNamesMatchTheContract) {
  EXPECT_EQ(to_string(ErrorCode::auth_failed), "AUTH_FAILED");
  EXPECT_EQ(to_string(ErrorCode::rate_limited), "RATE_LIMITED");
  EXPECT_EQ(to_string(ErrorCode::invalid_request), "INVALID_REQUEST");
  EXPECT_EQ(to_string(ErrorCode::room_not_found), "ROOM_NOT_FOUND");
  EXPECT_EQ(to_string(ErrorCode::room_full), "ROOM_FULL");
  EXPECT_EQ(to_string(ErrorCode::wrong_password), "WRONG_PASSWORD");
  EXPECT_EQ(to_string(ErrorCode::not_host), "NOT_HOST");
  EXPECT_EQ(to_string(ErrorCode::not_in_room), "NOT_IN_ROOM");
  EXPECT_EQ(to_string(ErrorCode::already_in_room), "ALREADY_IN_ROOM");
  EXPECT_EQ(to_string(ErrorCode::banned), "BANNED");
  EXPECT_EQ(to_string(ErrorCode::no_relay_available), "NO_RELAY_AVAILABLE");
  EXPECT_EQ(to_string(ErrorCode::unavailable), "UNAVAILABLE");
  EXPECT_EQ(to_string(ErrorCode::internal), "INTERNAL");
}

}  // namespace
}  // namespace sudachi

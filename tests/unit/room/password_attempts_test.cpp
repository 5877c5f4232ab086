#include "room/password_attempts.hpp"

#include <string>

#include <gtest/gtest.h>

#include "common/clock.hpp"

namespace sudachi::room {
namespace {

constexpr const char* kRoom = "room-1";
constexpr const char* kIp = "203.0.113.7";

class PasswordAttemptsTest : public ::testing::Test {
 protected:
  ManualClock clock_;
  PasswordAttempts attempts_{PasswordAttemptPolicy{}, clock_};  // 5 per (room, client), 20 per IP
};

TEST_F(PasswordAttemptsTest, FiveFailuresPerRoomAndClientThenRefusedUntilTheWindowEnds) {
  for (int i = 0; i < 5; ++i) EXPECT_TRUE(attempts_.begin(kRoom, "alice", kIp).allowed) << i;
  clock_.advance_ms(15'000);
  const RateDecision refused = attempts_.begin(kRoom, "alice", kIp);
  EXPECT_FALSE(refused.allowed);
  EXPECT_EQ(refused.retry_after_seconds, 45);  // the window opened by the first attempt
  // Other rooms and other clients are not affected by alice's budget at this room.
  EXPECT_TRUE(attempts_.begin("room-2", "alice", kIp).allowed);
  EXPECT_TRUE(attempts_.begin(kRoom, "bob", kIp).allowed);
  clock_.advance_ms(45'000);
  EXPECT_TRUE(attempts_.begin(kRoom, "alice", kIp).allowed);
}

TEST_F(PasswordAttemptsTest, TwentyFailuresPerIpOverAllRoomsAndClients) {
  for (int i = 0; i < 20; ++i) {
    EXPECT_TRUE(attempts_.begin("room-" + std::to_string(i), "c" + std::to_string(i), kIp).allowed);
  }
  EXPECT_FALSE(attempts_.begin("room-x", "fresh-client", kIp).allowed);
  EXPECT_TRUE(attempts_.begin("room-x", "fresh-client", "198.51.100.1").allowed);  // other IP
  clock_.advance_ms(60'000);
  EXPECT_TRUE(attempts_.begin("room-x", "fresh-client", kIp).allowed);
}

TEST_F(PasswordAttemptsTest, AttemptsInFlightCountSoABurstCannotOvertakeTheLimit) {
  // Nothing has failed yet (no forgive, no failure recorded): the sixth concurrent attempt is
  // still refused, because each one counted when it began.
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(attempts_.begin(kRoom, "alice", kIp).allowed);
  EXPECT_FALSE(attempts_.begin(kRoom, "alice", kIp).allowed);
}

TEST_F(PasswordAttemptsTest, RightPasswordsAreForgiven) {
  for (int i = 0; i < 50; ++i) {
    ASSERT_TRUE(attempts_.begin(kRoom, "alice", kIp).allowed) << i;
    attempts_.forgive(kRoom, "alice", kIp);
  }
  // Forgiving more than was counted does not bank credit.
  attempts_.forgive(kRoom, "alice", kIp);
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(attempts_.begin(kRoom, "alice", kIp).allowed);
  EXPECT_FALSE(attempts_.begin(kRoom, "alice", kIp).allowed);
}

TEST_F(PasswordAttemptsTest, DisabledPolicyAllowsEverythingAndKeepsNothing) {
  PasswordAttemptPolicy off;
  off.enabled = false;
  PasswordAttempts attempts(off, clock_);
  for (int i = 0; i < 100; ++i) EXPECT_TRUE(attempts.begin(kRoom, "alice", kIp).allowed);
  EXPECT_EQ(attempts.size(), 0u);
}

TEST_F(PasswordAttemptsTest, MemoryIsBoundedAndExpiredKeysMakeRoom) {
  PasswordAttemptPolicy small;
  small.max_keys = 8;
  PasswordAttempts attempts(small, clock_);
  for (int i = 0; i < 8; ++i) {
    ASSERT_TRUE(attempts.begin(kRoom, "c" + std::to_string(i), "ip" + std::to_string(i)).allowed);
  }
  // Full of live keys: a new key is refused (fail closed) rather than stored.
  const RateDecision full = attempts.begin(kRoom, "new", "ip-new");
  EXPECT_FALSE(full.allowed);
  EXPECT_EQ(full.retry_after_seconds, 1);
  EXPECT_EQ(attempts.size(), 16u);
  clock_.advance_ms(60'000);
  EXPECT_TRUE(attempts.begin(kRoom, "new", "ip-new").allowed);
  EXPECT_LE(attempts.size(), 16u);
}

}  // namespace
}  // namespace sudachi::room

#include "room/text_rules.hpp"

#include <string>

#include <gtest/gtest.h>

namespace sudachi::room::text {
namespace {

TEST(Utf8Length, CountsCodePointsNotBytes) {
  EXPECT_EQ(utf8_length(""), 0u);
  EXPECT_EQ(utf8_length("abc"), 3u);
  EXPECT_EQ(utf8_length("\xC3\xA9t\xC3\xA9"), 3u);         // été
  EXPECT_EQ(utf8_length("\xE3\x81\x99\xE3\x81\x97"), 2u);  // すし
  EXPECT_EQ(utf8_length("\xF0\x9F\x8D\xA3"), 1u);          // 🍣
}

TEST(Utf8Length, RejectsInvalidSequences) {
  EXPECT_FALSE(utf8_length("\x80"));              // lone continuation byte
  EXPECT_FALSE(utf8_length("\xC3"));              // truncated
  EXPECT_FALSE(utf8_length("\xC3\x28"));          // bad continuation
  EXPECT_FALSE(utf8_length("\xC0\xAF"));          // overlong '/'
  EXPECT_FALSE(utf8_length("\xE0\x80\xAF"));      // overlong, 3 bytes
  EXPECT_FALSE(utf8_length("\xED\xA0\x80"));      // UTF-16 surrogate
  EXPECT_FALSE(utf8_length("\xF4\x90\x80\x80"));  // above U+10FFFF
  EXPECT_FALSE(utf8_length("\xFF"));
}

TEST(ControlChars, C0DelAndC1AreControls) {
  EXPECT_FALSE(has_control_chars("plain name", false));
  EXPECT_TRUE(has_control_chars(std::string("a\0b", 3), false));
  EXPECT_TRUE(has_control_chars("a\x1b[31m", false));
  EXPECT_TRUE(has_control_chars("a\x7f", false));
  EXPECT_TRUE(has_control_chars("a\xC2\x85", false));   // U+0085 NEL
  EXPECT_FALSE(has_control_chars("a\xC2\xA0", false));  // U+00A0 is a space, not a control
  EXPECT_TRUE(has_control_chars("a\nb", false));
  EXPECT_FALSE(has_control_chars("a\nb\tc\r", true));
  EXPECT_TRUE(has_control_chars("a\x01", true));
}

TEST(Ids, UuidsAndBoundedOperatorIds) {
  EXPECT_TRUE(is_valid_id("3f2b8c1e-9d4a-4e7b-8c2d-1a2b3c4d5e6f"));
  EXPECT_TRUE(is_valid_id("player_42"));
  EXPECT_TRUE(is_valid_id("user@example.org"));
  EXPECT_TRUE(is_valid_id(std::string(64, 'a')));
  EXPECT_FALSE(is_valid_id(std::string(65, 'a')));
  EXPECT_FALSE(is_valid_id(""));
  EXPECT_FALSE(is_valid_id("has space"));
  EXPECT_FALSE(is_valid_id("room\n"));
  EXPECT_FALSE(is_valid_id("a/b"));
}

TEST(GameId, ExactlySixteenHexDigits) {
  EXPECT_TRUE(is_game_id("0100000000010000"));
  EXPECT_TRUE(is_game_id("01006A800016E000"));
  EXPECT_FALSE(is_game_id("010000000001000"));
  EXPECT_FALSE(is_game_id("01000000000100000"));
  EXPECT_FALSE(is_game_id("010000000001000G"));
  EXPECT_FALSE(is_game_id("0x00000000010000"));
}

}  // namespace
}  // namespace sudachi::room::text

#include "room/text_rules.hpp"

#include <atomic>
#include <optional>
#include <string>
#include <thread>
#include <vector>

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

// --- display names ---------------------------------------------------------------------------

TEST(NameRules, OrdinaryNamesPass) {
  for (std::string_view name : {
           "Mario", "Player 2", "Zoë", "Ñandú", "東京ルーム", "마리오", "Игрок", "لاعب", "שחקן",
           "खिलाड़ी",
           "ผู้เล่น",        // Thai: a vowel and a tone mark stacked
           "Tiếng Việt",  // precomposed Vietnamese
           "🍣", "👍🏽 Team", "👨‍👩‍👧‍👦 family",  // skin tone, ZWJ sequence
           "🏳️‍🌈", "1️⃣ first"  // variation selector + ZWJ, keycap
       }) {
    EXPECT_EQ(name_problem(name), NameProblem::none) << name;
  }
}

TEST(NameRules, BidiControlsAreRefused) {
  for (std::string_view cp : {"\u202A", "\u202B", "\u202C", "\u202D", "\u202E", "\u2066", "\u2067",
                              "\u2068", "\u2069", "\u200E", "\u200F", "\u061C"}) {
    EXPECT_EQ(name_problem("abc" + std::string(cp) + "gnp.exe"), NameProblem::bidi_control) << cp;
  }
}

TEST(NameRules, InvisibleCharactersAreRefused) {
  EXPECT_EQ(name_problem("\uFEFFMario"), NameProblem::invisible);  // BOM first
  EXPECT_EQ(name_problem("Ma\uFEFFrio"), NameProblem::invisible);
  EXPECT_EQ(name_problem("Ad\u200Bmin"), NameProblem::invisible);  // zero-width space
  EXPECT_EQ(name_problem("Ad\u2060min"), NameProblem::invisible);  // word joiner
  EXPECT_EQ(name_problem("a\u2028b"), NameProblem::invisible);     // line separator
}

TEST(NameRules, NamesWithNothingVisibleAreRefused) {
  EXPECT_EQ(name_problem(" "), NameProblem::blank);
  EXPECT_EQ(name_problem("   \u00A0\u3000"), NameProblem::blank);     // NBSP, ideographic space
  EXPECT_EQ(name_problem("\u200D\u200C\u200D"), NameProblem::blank);  // ZWJ/ZWNJ only
  EXPECT_EQ(name_problem("\u3164\u3164"), NameProblem::blank);        // Hangul filler
  EXPECT_EQ(name_problem("\u2800"), NameProblem::blank);              // braille blank
  EXPECT_EQ(name_problem("\uFE0F"), NameProblem::blank);              // a variation selector
  EXPECT_EQ(name_problem("\u0301\u0301"), NameProblem::blank);        // marks without a base
  EXPECT_EQ(name_problem(" a "), NameProblem::none);
}

TEST(NameRules, LongRunsOfCombiningMarksAreRefused) {
  const std::string four = "\u0301\u0302\u0303\u0304";
  EXPECT_EQ(name_problem("a" + four), NameProblem::none);
  EXPECT_EQ(name_problem("a" + four + "\u0305"), NameProblem::combining_run);
  EXPECT_EQ(name_problem("Z" + four + "a" + four), NameProblem::none);  // runs, not the total
  // Marks of other scripts count too (Thai, Devanagari, enclosing).
  EXPECT_EQ(name_problem("\u0E01\u0E31\u0E34\u0E35\u0E36\u0E37"), NameProblem::combining_run);
  EXPECT_EQ(name_problem("a\u20DD\u20DE\u20DF\u20E0\u20E2"), NameProblem::combining_run);
}

TEST(NameRules, EveryProblemHasAMessage) {
  for (auto p : {NameProblem::bidi_control, NameProblem::invisible, NameProblem::blank,
                 NameProblem::combining_run}) {
    EXPECT_TRUE(describe(p).starts_with("must")) << describe(p);
  }
}

TEST(Nfc, ComposesDecomposedText) {
  EXPECT_EQ(to_nfc("Cafe\u0301"), std::optional<std::string>("Caf\u00E9"));
  EXPECT_EQ(to_nfc("\u1100\u1161"), std::optional<std::string>("\uAC00"));  // Hangul jamo
  // Marks are put in canonical order: dot below (ccc 220) before acute (ccc 230).
  EXPECT_EQ(to_nfc("q\u0301\u0323"), std::optional<std::string>("q\u0323\u0301"));
}

TEST(Nfc, LeavesComposedTextAlone) {
  for (std::string_view s :
       {"Mario", "Caf\u00E9", "東京ルーム", "👨‍👩‍👧‍👦", "ผู้เล่น"}) {
    EXPECT_EQ(to_nfc(s), std::optional<std::string>(s)) << s;
  }
}

TEST(Nfc, ThreadsShareTheNormaliser) {
  // The locale is made once and then only read: concurrent calls agree (and ASan/TSan-clean).
  std::vector<std::thread> threads;
  std::atomic<int> wrong{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 200; ++i) {
        if (to_nfc("Cafe\u0301 " + std::to_string(i)) != "Caf\u00E9 " + std::to_string(i)) ++wrong;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(wrong.load(), 0);
}

}  // namespace
}  // namespace sudachi::room::text

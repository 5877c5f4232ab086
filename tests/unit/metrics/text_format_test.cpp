#include "metrics/text_format.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

namespace sudachi::metrics::text {
namespace {

std::string label_value(std::string_view v) {
  std::string out;
  append_label_value(out, v);
  return out;
}

std::string help(std::string_view v) {
  std::string out;
  append_help(out, v);
  return out;
}

TEST(TextFormat, MetricNames) {
  for (const char* ok : {"a", "_a", ":a", "a:b_c9", "http_requests_total", "A"})
    EXPECT_TRUE(valid_metric_name(ok)) << ok;
  for (const char* bad : {"", "9a", "a-b", "a b", "a.b", "é", "a{"})
    EXPECT_FALSE(valid_metric_name(bad)) << bad;
}

TEST(TextFormat, LabelNames) {
  for (const char* ok : {"a", "_a", "game_id", "A9", "_"}) EXPECT_TRUE(valid_label_name(ok)) << ok;
  for (const char* bad : {"", "9a", "a:b", "a-b", "__name__", "__x"})
    EXPECT_FALSE(valid_label_name(bad)) << bad;
}

TEST(TextFormat, HelpEscapesBackslashAndNewlineOnly) {
  EXPECT_EQ(help("a\\b\nc\"d"), "a\\\\b\\nc\"d");
}

TEST(TextFormat, LabelValueEscapesBackslashQuoteNewline) {
  EXPECT_EQ(label_value("a\\b\"c\nd"), "a\\\\b\\\"c\\nd");
  EXPECT_EQ(label_value("ゼルダ"), "ゼルダ");
}

TEST(TextFormat, InvalidUtf8BecomesReplacementCharacter) {
  EXPECT_EQ(label_value("a\xff"
                        "b"),
            "a\xEF\xBF\xBD"
            "b");
  EXPECT_EQ(label_value("\xC0\xAF"), "\xEF\xBF\xBD\xEF\xBF\xBD");                  // overlong '/'
  EXPECT_EQ(label_value("\xED\xA0\x80"), "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");  // surrogate
  EXPECT_EQ(label_value("\xE3\x81"), "\xEF\xBF\xBD\xEF\xBF\xBD");                  // truncated
}

TEST(TextFormat, Numbers) {
  EXPECT_EQ(format_number(0), "0");
  EXPECT_EQ(format_number(-0.0), "0");
  EXPECT_EQ(format_number(42), "42");
  EXPECT_EQ(format_number(-7), "-7");
  EXPECT_EQ(format_number(0.5), "0.5");
  EXPECT_EQ(format_number(0.1), "0.1");
  EXPECT_EQ(format_number(1234567890123.0), "1234567890123");
  EXPECT_EQ(format_number(1e21), "1e+21");
  EXPECT_EQ(format_number(std::numeric_limits<double>::infinity()), "+Inf");
  EXPECT_EQ(format_number(-std::numeric_limits<double>::infinity()), "-Inf");
  EXPECT_EQ(format_number(std::nan("")), "NaN");
}

}  // namespace
}  // namespace sudachi::metrics::text

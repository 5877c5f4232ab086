#include "storage/history/history_format.hpp"

#include <gtest/gtest.h>

namespace sudachi::storage {
namespace {

TEST(HistoryFormat, TimestampsAreIsoUtcWithMilliseconds) {
  EXPECT_EQ(format_utc_timestamp(0), "1970-01-01T00:00:00.000Z");
  EXPECT_EQ(format_utc_timestamp(1'700'000'000'000), "2023-11-14T22:13:20.000Z");
  EXPECT_EQ(format_utc_timestamp(1'795'585'461'123), "2026-11-25T05:44:21.123Z");
  EXPECT_EQ(format_utc_timestamp(951'782'400'007), "2000-02-29T00:00:00.007Z");  // leap day
  EXPECT_EQ(format_utc_timestamp(-1), "1969-12-31T23:59:59.999Z");  // floors, not truncates
}

TEST(HistoryFormat, TextOrderIsTimeOrder) {
  EXPECT_LT(format_utc_timestamp(1'700'000'000'999), format_utc_timestamp(1'700'000'001'000));
  EXPECT_LT(format_utc_timestamp(999'999'999'999), format_utc_timestamp(1'000'000'000'000));
}

TEST(HistoryFormat, ConnectionTypesJson) {
  EXPECT_EQ(connection_types_json(room::ConnectionCounts{3, 1, 2}),
            R"({"direct":3,"relay":1,"failed":2})");
  EXPECT_EQ(connection_types_json(room::ConnectionCounts{}),
            R"({"direct":0,"relay":0,"failed":0})");
}

}  // namespace
}  // namespace sudachi::storage

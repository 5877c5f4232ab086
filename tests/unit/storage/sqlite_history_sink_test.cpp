// The batching sink over the real SQLite back end: what the embedded server runs.
#include <gtest/gtest.h>

#include "storage/history/batching_history_sink.hpp"
#include "storage/sqlite/sqlite_history_backend.hpp"
#include "storage/sqlite/sqlite_history_reader.hpp"
#include "storage_test_support.hpp"

namespace sudachi::storage {
namespace {

using namespace std::chrono_literals;

std::int64_t count(const std::string& path, HistoryTable table) {
  auto n = count_history_rows(path, table);
  EXPECT_TRUE(n.ok()) << n.error().message;
  return n.ok() ? *n : -1;
}

TEST(SqliteHistorySink, EveryRowInIsARowOutAfterStop) {
  test::TempDir dir;
  const std::string path = dir.file("history.db");
  auto backend = open_sqlite_history(path);
  ASSERT_TRUE(backend.ok()) << backend.error().message;

  BatchingHistorySinkOptions options;
  options.max_batch_rows = 64;
  BatchingHistorySink sink(std::move(backend).value(), options);
  for (int i = 0; i < 1'000; ++i) sink.connection_metric(test::metric_row(i));
  for (int i = 0; i < 200; ++i) sink.upsert_client(test::client_row("c" + std::to_string(i % 50)));
  for (int i = 0; i < 300; ++i) sink.room_closed(test::room_row("r" + std::to_string(i)));
  sink.stop();

  EXPECT_EQ(sink.stats().rows_written.load(), 1'500u);
  EXPECT_EQ(sink.stats().rows_dropped.load(), 0u);
  EXPECT_EQ(sink.stats().queue_depth.load(), 0u);
  EXPECT_TRUE(sink.healthy());
  EXPECT_EQ(count(path, HistoryTable::connection_metrics), 1'000);
  EXPECT_EQ(count(path, HistoryTable::clients), 50);
  EXPECT_EQ(count(path, HistoryTable::room_history), 300);
  test::RawDb db(path);
  // Appended in arrival order.
  EXPECT_EQ(db.row("SELECT min(latency_ms), max(latency_ms), count(DISTINCT latency_ms), "
                   "sum(id = latency_ms + 1) FROM connection_metrics"),
            (std::vector<std::string>{"0", "999", "1000", "1000"}));
}

TEST(SqliteHistorySink, RowsSurviveALockedDatabase) {
  test::TempDir dir;
  const std::string path = dir.file("history.db");
  SqliteHistoryOptions sqlite_options;
  sqlite_options.busy_timeout = 10ms;
  auto backend = open_sqlite_history(path, sqlite_options);
  ASSERT_TRUE(backend.ok()) << backend.error().message;

  test::RawDb other(path);
  ASSERT_TRUE(other.exec("BEGIN IMMEDIATE"));  // an operator's shell holds the write lock

  BatchingHistorySinkOptions options;
  options.flush_interval = 5ms;
  options.retry_initial = 5ms;
  options.retry_max = 20ms;
  BatchingHistorySink sink(std::move(backend).value(), options);
  for (int i = 0; i < 100; ++i) sink.connection_metric(test::metric_row(i));

  ASSERT_TRUE(test::eventually([&] { return sink.stats().write_failures.load() >= 2; }));
  EXPECT_FALSE(sink.healthy());
  EXPECT_EQ(sink.stats().rows_written.load(), 0u);

  ASSERT_TRUE(other.exec("COMMIT"));
  ASSERT_TRUE(test::eventually([&] { return sink.stats().rows_written.load() == 100; }));
  EXPECT_TRUE(sink.healthy());
  sink.stop();
  EXPECT_EQ(count(path, HistoryTable::connection_metrics), 100);
  EXPECT_EQ(sink.stats().rows_dropped.load(), 0u);
}

}  // namespace
}  // namespace sudachi::storage

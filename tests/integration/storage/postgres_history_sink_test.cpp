// The batching sink over the real PostgreSQL back end: what a production room server runs,
// including a database restart in the middle of the traffic.
#include <gtest/gtest.h>

#include "postgres_test_support.hpp"
#include "storage/history/batching_history_sink.hpp"
#include "storage/postgres/postgres_history_backend.hpp"
#include "storage_test_support.hpp"

namespace sudachi::storage {
namespace {

using namespace std::chrono_literals;

// Tight timings so that an outage is noticed, and recovery seen, within a second or two.
PostgresHistoryOptions fast_backend() {
  PostgresHistoryOptions options;
  options.connect_timeout = 2s;
  options.statement_timeout = 1s;
  options.reply_timeout = 2s;
  return options;
}

BatchingHistorySinkOptions fast_sink() {
  BatchingHistorySinkOptions options;
  options.flush_interval = 5ms;
  options.retry_initial = 5ms;
  options.retry_max = 100ms;
  options.ping_interval = 50ms;
  return options;
}

std::unique_ptr<PostgresHistoryBackend> open_backend(const std::string& url) {
  auto backend = open_postgres_history(url, fast_backend());
  EXPECT_TRUE(backend.ok()) << backend.error().message;
  return backend.ok() ? std::move(backend).value() : nullptr;
}

void stop_server() {
  std::string error;
  ASSERT_TRUE(test::postgres_server().stop(error)) << error;
}

void start_server() {
  std::string error;
  ASSERT_TRUE(test::postgres_server().start(error)) << error;
}

TEST(PostgresHistorySink, EveryRowInIsARowOutAfterStop) {
  const std::string url = test::fresh_database_url();
  auto backend = open_backend(url);
  ASSERT_TRUE(backend);

  BatchingHistorySinkOptions options;
  options.max_batch_rows = 64;
  BatchingHistorySink sink(std::move(backend), options);
  for (int i = 0; i < 1'000; ++i) sink.connection_metric(test::metric_row(i));
  for (int i = 0; i < 200; ++i) sink.upsert_client(test::client_row("c" + std::to_string(i % 50)));
  for (int i = 0; i < 300; ++i) sink.room_closed(test::room_row("r" + std::to_string(i)));
  sink.stop();

  EXPECT_EQ(sink.stats().rows_written.load(), 1'500u);
  EXPECT_EQ(sink.stats().rows_dropped.load(), 0u);
  EXPECT_EQ(sink.stats().queue_depth.load(), 0u);
  EXPECT_TRUE(sink.healthy());
  test::RawPg db(url);
  EXPECT_EQ(db.value("SELECT count(*) FROM connection_metrics"), "1000");
  EXPECT_EQ(db.value("SELECT count(*) FROM clients"), "50");
  EXPECT_EQ(db.value("SELECT count(*) FROM room_history"), "300");
  // Appended in arrival order.
  EXPECT_EQ(db.row("SELECT min(latency_ms), max(latency_ms), count(DISTINCT latency_ms), "
                   "sum((id = latency_ms + 1)::int) FROM connection_metrics"),
            (std::vector<std::string>{"0", "999", "1000", "1000"}));
}

// The promise: when PostgreSQL restarts, queued rows are written once it is back, none
// lost within the queue bound and none doubled.
TEST(PostgresHistorySink, RowsQueuedWhileTheServerIsDownAreWrittenWhenItIsBack) {
  const std::string url = test::fresh_database_url();
  auto backend = open_backend(url);
  ASSERT_TRUE(backend);
  BatchingHistorySink sink(std::move(backend), fast_sink());

  for (int i = 0; i < 100; ++i) sink.connection_metric(test::metric_row(i));
  ASSERT_TRUE(test::eventually([&] { return sink.stats().rows_written.load() == 100; }));
  EXPECT_TRUE(sink.healthy());

  test::RestartGuard guard;
  stop_server();
  for (int i = 100; i < 400; ++i) sink.connection_metric(test::metric_row(i));
  for (int i = 0; i < 50; ++i) sink.room_closed(test::room_row("r" + std::to_string(i)));
  for (int i = 0; i < 20; ++i) sink.upsert_client(test::client_row("c" + std::to_string(i)));

  ASSERT_TRUE(test::eventually([&] { return sink.stats().write_failures.load() >= 2; }, 10s));
  EXPECT_FALSE(sink.healthy());
  EXPECT_EQ(sink.stats().rows_written.load(), 100u);
  EXPECT_EQ(sink.stats().queue_depth.load(), 370u);

  start_server();
  ASSERT_TRUE(test::eventually([&] { return sink.stats().rows_written.load() == 470; }, 30s))
      << sink.stats().rows_written.load() << " written";
  EXPECT_TRUE(sink.healthy());
  sink.stop();

  EXPECT_EQ(sink.stats().rows_dropped.load(), 0u);
  EXPECT_EQ(sink.stats().rows_rejected.load(), 0u);
  test::RawPg db(url);
  EXPECT_EQ(db.row("SELECT count(*), count(DISTINCT latency_ms), min(latency_ms), "
                   "max(latency_ms) FROM connection_metrics"),
            (std::vector<std::string>{"400", "400", "0", "399"}));
  EXPECT_EQ(db.value("SELECT count(*) FROM room_history"), "50");
  EXPECT_EQ(db.value("SELECT count(*) FROM clients"), "20");
}

// Health follows the database even without traffic: idle pings notice the outage and the
// recovery.
TEST(PostgresHistorySink, IdleSinkNoticesOutageAndRecovery) {
  const std::string url = test::fresh_database_url();
  auto backend = open_backend(url);
  ASSERT_TRUE(backend);
  BatchingHistorySink sink(std::move(backend), fast_sink());
  EXPECT_TRUE(sink.healthy());

  test::RestartGuard guard;
  stop_server();
  ASSERT_TRUE(test::eventually([&] { return !sink.healthy(); }, 10s));
  start_server();
  ASSERT_TRUE(test::eventually([&] { return sink.healthy(); }, 10s));
}

TEST(PostgresHistorySink, RowsBeyondTheQueueBoundAreCountedDropped) {
  const std::string url = test::fresh_database_url();
  auto backend = open_backend(url);
  ASSERT_TRUE(backend);
  auto options = fast_sink();
  options.queue_capacity = 50;
  options.max_batch_rows = 10;
  BatchingHistorySink sink(std::move(backend), options);

  test::RestartGuard guard;
  stop_server();
  for (int i = 0; i < 80; ++i) sink.connection_metric(test::metric_row(i));
  // The batch being retried counts against the bound, so the split is exact whatever the
  // writer is doing meanwhile.
  EXPECT_EQ(sink.stats().rows_dropped.load(), 30u);
  EXPECT_EQ(sink.stats().queue_depth.load(), 50u);

  start_server();
  ASSERT_TRUE(test::eventually([&] { return sink.stats().rows_written.load() == 50; }, 30s))
      << sink.stats().rows_written.load() << " written";
  sink.stop();
  EXPECT_EQ(sink.stats().rows_dropped.load(), 30u);
  test::RawPg db(url);
  // The oldest rows are kept, in order.
  EXPECT_EQ(db.row("SELECT count(*), min(latency_ms), max(latency_ms), "
                   "sum((id = latency_ms + 1)::int) FROM connection_metrics"),
            (std::vector<std::string>{"50", "0", "49", "50"}));
}

}  // namespace
}  // namespace sudachi::storage

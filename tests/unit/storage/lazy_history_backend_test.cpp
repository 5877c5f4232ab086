#include "storage/history/lazy_history_backend.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "fake_history_backend.hpp"
#include "storage/history/batching_history_sink.hpp"
#include "storage_test_support.hpp"

namespace sudachi::storage {
namespace {

using namespace std::chrono_literals;
using test::FakeBackendState;

// An opener that fails while `down` is set (a PostgreSQL that is not there yet), counting calls.
struct Database {
  std::shared_ptr<FakeBackendState> state = std::make_shared<FakeBackendState>();
  std::atomic<bool> down{true};
  std::atomic<int> opens{0};

  LazyHistoryBackend::Opener opener() {
    return [this]() -> Result<std::unique_ptr<HistoryBackend>> {
      ++opens;
      if (down.load()) return Error::make(ErrorCode::unavailable, "connection refused");
      return std::unique_ptr<HistoryBackend>(std::make_unique<test::FakeHistoryBackend>(state));
    };
  }
};

TEST(LazyHistoryBackend, FailsUnavailableUntilTheDatabaseOpensThenDelegates) {
  Database db;
  LazyHistoryBackend backend("PostgreSQL", db.opener());
  const Status ping = backend.ping();
  ASSERT_FALSE(ping.ok());
  EXPECT_EQ(ping.error().code, ErrorCode::unavailable);  // the sink retries, never rejects
  HistoryBatch batch;
  batch.metrics.push_back(test::metric_row(7));
  EXPECT_EQ(backend.write_batch(batch).error().code, ErrorCode::unavailable);
  EXPECT_EQ(db.opens.load(), 2);  // each use tries again

  db.down = false;
  ASSERT_TRUE(backend.write_batch(batch).ok());
  EXPECT_TRUE(backend.ping().ok());
  EXPECT_EQ(db.opens.load(), 3);  // opened once, then kept
  EXPECT_EQ(db.state->metrics.size(), 1u);
}

// What the room server does with DATABASE_URL=postgres://...: it starts while PostgreSQL is
// down, reports unhealthy at once (probe_at_start), keeps the rows, and writes them all once
// the database comes.
TEST(LazyHistoryBackend, SinkStartsWithoutTheDatabaseAndWritesItsRowsWhenItComes) {
  Database db;
  BatchingHistorySinkOptions options;
  options.flush_interval = 2ms;
  options.ping_interval = 2ms;
  options.retry_initial = 1ms;
  options.retry_max = 4ms;
  options.probe_at_start = true;
  BatchingHistorySink sink(std::make_unique<LazyHistoryBackend>("PostgreSQL", db.opener()),
                           options);
  EXPECT_FALSE(sink.healthy());  // not assumed reachable
  for (int i = 0; i < 5; ++i) sink.connection_metric(test::metric_row(i));
  const auto deadline = std::chrono::steady_clock::now() + 4s;
  while (sink.stats().write_failures.load() < 2 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(1ms);
  }
  EXPECT_GE(sink.stats().write_failures.load(), 2u);
  EXPECT_FALSE(sink.healthy());
  EXPECT_EQ(sink.stats().rows_dropped.load(), 0u);

  db.down = false;
  ASSERT_TRUE(db.state->wait_for([](auto& s) { return s.stored_rows() == 5; }));
  // The sink records the result after the back end returns: poll for it.
  const auto healthy_by = std::chrono::steady_clock::now() + 4s;
  while (!sink.healthy() && std::chrono::steady_clock::now() < healthy_by) {
    std::this_thread::sleep_for(1ms);
  }
  EXPECT_TRUE(sink.healthy());
  EXPECT_EQ(sink.stats().rows_dropped.load(), 0u);
}

}  // namespace
}  // namespace sudachi::storage

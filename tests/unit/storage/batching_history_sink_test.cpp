#include "storage/history/batching_history_sink.hpp"

#include <gtest/gtest.h>

#include "fake_history_backend.hpp"
#include "storage_test_support.hpp"

namespace sudachi::storage {
namespace {

using namespace std::chrono_literals;
using test::FakeBackendState;
using test::metric_row;

// Timings small enough for fast tests; a flush interval of an hour means "only a full batch
// or stop() makes the writer write", which makes batch boundaries deterministic.
BatchingHistorySinkOptions test_options() {
  BatchingHistorySinkOptions options;
  options.flush_interval = 1h;
  options.ping_interval = 1h;
  options.retry_initial = 1ms;
  options.retry_max = 4ms;
  options.stop_deadline = 2s;
  return options;
}

struct Harness {
  explicit Harness(BatchingHistorySinkOptions options = test_options())
      : state(std::make_shared<FakeBackendState>()),
        sink(std::make_unique<test::FakeHistoryBackend>(state), options) {}

  std::shared_ptr<FakeBackendState> state;
  BatchingHistorySink sink;
};

std::vector<int> latencies(const std::vector<room::ConnectionMetricRow>& rows) {
  std::vector<int> out;
  for (const auto& row : rows) out.push_back(row.latency_ms);
  return out;
}

std::vector<int> iota(int from, int to) {
  std::vector<int> out;
  for (int i = from; i < to; ++i) out.push_back(i);
  return out;
}

TEST(BatchingHistorySink, StopFlushesPendingRowsGroupedByTable) {
  Harness h;
  h.sink.upsert_client(test::client_row("a"));
  h.sink.connection_metric(metric_row(0));
  h.sink.room_closed(test::room_row("r1"));
  h.sink.connection_metric(metric_row(1));
  h.sink.upsert_client(test::client_row("b"));
  EXPECT_EQ(h.sink.stats().queue_depth.load(), 5u);

  h.sink.stop();  // the flush interval is an hour: only stop() can have written these

  EXPECT_EQ(h.state->attempts, 1);
  ASSERT_EQ(h.state->clients.size(), 2u);
  EXPECT_EQ(h.state->clients[0].client_id, "a");
  EXPECT_EQ(h.state->clients[1].client_id, "b");
  ASSERT_EQ(h.state->rooms.size(), 1u);
  EXPECT_EQ(h.state->rooms[0].room_id, "r1");
  EXPECT_EQ(latencies(h.state->metrics), iota(0, 2));
  EXPECT_EQ(h.sink.stats().rows_written.load(), 5u);
  EXPECT_EQ(h.sink.stats().queue_depth.load(), 0u);
  EXPECT_EQ(h.sink.stats().rows_dropped.load(), 0u);
}

TEST(BatchingHistorySink, FullBatchWakesWriterAndBacklogDrainsInMaxSizedBatches) {
  auto options = test_options();
  options.max_batch_rows = 50;
  Harness h(options);
  for (int i = 0; i < 50; ++i) h.sink.connection_metric(metric_row(i));
  // A full batch is written without waiting for the (hour-long) flush interval.
  ASSERT_TRUE(h.state->wait_for([](auto& s) { return s.stored_rows() == 50; }));

  for (int i = 50; i < 170; ++i) h.sink.connection_metric(metric_row(i));
  h.sink.stop();

  EXPECT_EQ(h.state->stored_batch_sizes, (std::vector<std::size_t>{50, 50, 50, 20}));
  EXPECT_EQ(latencies(h.state->metrics), iota(0, 170));
}

TEST(BatchingHistorySink, PartialBatchIsWrittenAfterFlushInterval) {
  auto options = test_options();
  options.flush_interval = 20ms;
  Harness h(options);
  h.sink.connection_metric(metric_row(7));
  ASSERT_TRUE(h.state->wait_for([](auto& s) { return s.stored_rows() == 1; }));
  EXPECT_EQ(h.state->metrics[0].latency_ms, 7);
}

TEST(BatchingHistorySink, FailedBatchIsRetriedWithBackoffUntilStored) {
  auto options = test_options();
  options.max_batch_rows = 10;
  options.retry_initial = 10ms;
  options.retry_max = 25ms;
  Harness h(options);
  {
    std::lock_guard lock(h.state->mutex);
    h.state->fail_next = 4;
    h.state->probe = [&] { return h.sink.healthy(); };
  }
  for (int i = 0; i < 10; ++i) h.sink.connection_metric(metric_row(i));

  ASSERT_TRUE(h.state->wait_for([](auto& s) { return s.stored_rows() == 10; }));
  h.sink.stop();

  EXPECT_EQ(h.state->attempts, 5);
  // healthy() seen by each attempt: true before any failure, false while retrying.
  EXPECT_EQ(h.state->probed, (std::vector<bool>{true, false, false, false, false}));
  EXPECT_TRUE(h.sink.healthy());
  // Backoff doubles from 10 ms and is capped at 25 ms (lower bounds only: a busy machine may
  // be slower, never faster).
  const std::chrono::milliseconds min_gaps[] = {10ms, 20ms, 25ms, 25ms};
  for (std::size_t i = 0; i < 4; ++i) {
    EXPECT_GE(h.state->attempt_times[i + 1] - h.state->attempt_times[i], min_gaps[i]) << i;
  }
  EXPECT_EQ(latencies(h.state->metrics), iota(0, 10));  // none lost, none doubled
  EXPECT_EQ(h.sink.stats().write_failures.load(), 4u);
  EXPECT_EQ(h.sink.stats().rows_written.load(), 10u);
  EXPECT_EQ(h.sink.stats().rows_dropped.load(), 0u);
}

TEST(BatchingHistorySink, HealthFollowsAnOngoingOutageAndItsEnd) {
  auto options = test_options();
  options.max_batch_rows = 3;
  Harness h(options);
  {
    std::lock_guard lock(h.state->mutex);
    h.state->fail_next = 1'000'000;
  }
  for (int i = 0; i < 3; ++i) h.sink.connection_metric(metric_row(i));
  // Attempt 2 starts only after the sink has handled the failure of attempt 1.
  ASSERT_TRUE(h.state->wait_for([](auto& s) { return s.attempts >= 2; }));
  EXPECT_FALSE(h.sink.healthy());
  EXPECT_EQ(h.sink.stats().rows_written.load(), 0u);
  EXPECT_EQ(h.sink.stats().queue_depth.load(), 3u);  // the batch in flight still counts

  {
    std::lock_guard lock(h.state->mutex);
    h.state->fail_next = 0;
  }
  ASSERT_TRUE(h.state->wait_for([](auto& s) { return s.stored_rows() == 3; }));
  h.sink.stop();
  EXPECT_TRUE(h.sink.healthy());
  EXPECT_EQ(latencies(h.state->metrics), iota(0, 3));
  EXPECT_GE(h.sink.stats().write_failures.load(), 1u);
}

TEST(BatchingHistorySink, QueueBoundDropsOverflowAndKeepsExactlyCapacity) {
  auto options = test_options();
  options.queue_capacity = 20;
  options.max_batch_rows = 5;
  Harness h(options);
  {
    std::lock_guard lock(h.state->mutex);
    h.state->gate_closed = true;  // the database hangs: nothing completes
  }
  for (int i = 0; i < 5; ++i) h.sink.connection_metric(metric_row(i));
  ASSERT_TRUE(h.state->wait_for([](auto& s) { return s.attempts == 1; }));  // 5 in flight

  for (int i = 5; i < 30; ++i) h.sink.connection_metric(metric_row(i));
  EXPECT_EQ(h.sink.stats().rows_dropped.load(), 10u);
  EXPECT_EQ(h.sink.stats().queue_depth.load(), 20u);

  h.state->open_gate();
  h.sink.stop();
  EXPECT_EQ(latencies(h.state->metrics), iota(0, 20));  // the oldest rows, in order
  EXPECT_EQ(h.sink.stats().rows_written.load(), 20u);
  EXPECT_EQ(h.sink.stats().rows_dropped.load(), 10u);
  EXPECT_EQ(h.sink.stats().queue_depth.load(), 0u);
}

TEST(BatchingHistorySink, StopGivesUpAtDeadlineAndCountsTheLoss) {
  auto options = test_options();
  options.stop_deadline = 50ms;
  Harness h(options);
  {
    std::lock_guard lock(h.state->mutex);
    h.state->fail_next = 1'000'000;
  }
  for (int i = 0; i < 7; ++i) h.sink.connection_metric(metric_row(i));

  const auto started = std::chrono::steady_clock::now();
  h.sink.stop();
  EXPECT_LT(std::chrono::steady_clock::now() - started, 2s);
  EXPECT_GE(h.state->attempts, 1);
  EXPECT_EQ(h.sink.stats().rows_written.load(), 0u);
  EXPECT_EQ(h.sink.stats().rows_dropped.load(), 7u);
  EXPECT_EQ(h.sink.stats().queue_depth.load(), 0u);
  EXPECT_FALSE(h.sink.healthy());
}

TEST(BatchingHistorySink, RowsAfterStopAreDroppedAndStopIsIdempotent) {
  Harness h;
  h.sink.stop();
  h.sink.upsert_client(test::client_row("late"));
  h.sink.stop();
  EXPECT_EQ(h.sink.stats().rows_dropped.load(), 1u);
  EXPECT_EQ(h.state->attempts, 0);
}

TEST(BatchingHistorySink, UnstorableBatchIsRejectedInsteadOfBlockingTheQueue) {
  auto options = test_options();
  options.max_batch_rows = 3;
  Harness h(options);
  {
    std::lock_guard lock(h.state->mutex);
    h.state->reject_next = true;
  }
  for (int i = 0; i < 6; ++i) h.sink.connection_metric(metric_row(i));
  h.sink.stop();

  EXPECT_EQ(latencies(h.state->metrics), iota(3, 6));
  EXPECT_EQ(h.sink.stats().rows_rejected.load(), 3u);
  EXPECT_EQ(h.sink.stats().rows_written.load(), 3u);
  EXPECT_EQ(h.sink.stats().write_failures.load(), 0u);
}

TEST(BatchingHistorySink, IdlePingsTrackDatabaseHealth) {
  auto options = test_options();
  options.flush_interval = 2ms;
  options.ping_interval = 2ms;
  Harness h(options);
  {
    std::lock_guard lock(h.state->mutex);
    h.state->ping_fails = true;
  }
  // Ping k+1 begins only after the result of ping k was recorded.
  ASSERT_TRUE(h.state->wait_for([](auto& s) { return s.pings >= 2; }));
  EXPECT_FALSE(h.sink.healthy());

  int seen = 0;
  {
    std::lock_guard lock(h.state->mutex);
    h.state->ping_fails = false;
    seen = h.state->pings;
  }
  ASSERT_TRUE(h.state->wait_for([&](auto& s) { return s.pings >= seen + 2; }));
  EXPECT_TRUE(h.sink.healthy());
}

TEST(BatchingHistorySink, DestructorFlushes) {
  auto state = std::make_shared<FakeBackendState>();
  {
    BatchingHistorySink sink(std::make_unique<test::FakeHistoryBackend>(state), test_options());
    sink.room_closed(test::room_row("r"));
  }
  ASSERT_EQ(state->rooms.size(), 1u);
  EXPECT_EQ(state->rooms[0].room_id, "r");
}

}  // namespace
}  // namespace sudachi::storage

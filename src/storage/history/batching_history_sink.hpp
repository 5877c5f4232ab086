#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <memory>
#include <mutex>
#include <thread>
#include <variant>

#include "room/history_sink.hpp"
#include "storage/history/history_backend.hpp"
#include "storage/history/history_sink_stats.hpp"

namespace sudachi::storage {

struct BatchingHistorySinkOptions {
  // Rows held in memory, the batch being written included, so the bound is exact: during an
  // outage at most this many rows wait, and every row beyond it is dropped and counted.
  std::size_t queue_capacity = 10'000;
  std::size_t max_batch_rows = 500;
  // A partial batch is written at the latest this long after the previous pass; a full batch
  // wakes the writer at once. Waiting trades a little latency for far fewer transactions.
  std::chrono::milliseconds flush_interval{200};
  std::chrono::milliseconds retry_initial{100};  // doubles after each failure...
  std::chrono::milliseconds retry_max{5'000};    // ...up to this
  // While idle, the back end is pinged this often so healthy() follows the database.
  std::chrono::milliseconds ping_interval{5'000};
  // stop() starts no write attempt after this; rows still queued then are dropped and counted.
  // An attempt already running is bounded by the back end's own timeouts, not by this.
  std::chrono::milliseconds stop_deadline{5'000};
  // The back end was not opened by its factory (LazyHistoryBackend): healthy() starts false
  // and the writer pings at once, instead of assuming the database reachable.
  bool probe_at_start = false;
};

// room::HistorySink over any HistoryBackend. Network threads only enqueue (a mutex held for a
// deque push); one writer thread takes up to max_batch_rows rows at a time and writes them in
// one back-end call. A failed batch is kept and retried with exponential backoff, so no row
// within the queue bound is lost to an outage; the queue keeps accepting rows up to the bound
// meanwhile. stop() (also run by the destructor) flushes what is queued, then joins.
class BatchingHistorySink final : public room::HistorySink {
 public:
  // Starts the writer thread (std::system_error if it cannot: a start-up failure). `backend`
  // is assumed reachable, as its factory just opened it, so healthy() starts true, unless
  // options.probe_at_start.
  explicit BatchingHistorySink(std::unique_ptr<HistoryBackend> backend,
                               BatchingHistorySinkOptions options = {});
  ~BatchingHistorySink() override;

  BatchingHistorySink(const BatchingHistorySink&) = delete;
  BatchingHistorySink& operator=(const BatchingHistorySink&) = delete;

  void upsert_client(room::ClientRow row) override;
  void room_closed(room::RoomHistoryRow row) override;
  void connection_metric(room::ConnectionMetricRow row) override;
  bool healthy() const override;

  // Refuses new rows, writes the queued ones (retrying until the stop deadline), joins the
  // writer. Idempotent and safe to call from several threads.
  void stop();

  const HistorySinkStats& stats() const { return stats_; }

 private:
  using Row = std::variant<room::ClientRow, room::RoomHistoryRow, room::ConnectionMetricRow>;
  using SteadyTime = std::chrono::steady_clock::time_point;

  void enqueue(Row row);
  void run();
  // The helpers below are called by the writer with mutex_ held (through `lock`).
  bool wait_for_work(std::unique_lock<std::mutex>& lock, SteadyTime& last_contact);
  void take_batch(HistoryBatch& batch);
  void wait_before_retry(std::unique_lock<std::mutex>& lock, SteadyTime retry_at);
  void abandon(HistoryBatch& batch);
  void publish_depth();

  const BatchingHistorySinkOptions options_;
  const std::unique_ptr<HistoryBackend> backend_;
  HistorySinkStats stats_;
  std::atomic<bool> healthy_{true};

  std::mutex mutex_;  // guards everything below up to join_mutex_
  std::condition_variable wake_;
  std::deque<Row> queue_;
  std::size_t in_flight_ = 0;  // rows taken from queue_ and not yet written or given up
  bool stopping_ = false;
  SteadyTime deadline_{};  // set with stopping_

  std::mutex join_mutex_;  // serialises concurrent stop() calls around join()
  std::thread writer_;     // last: started once everything above exists
};

}  // namespace sudachi::storage

#include "storage/history/batching_history_sink.hpp"

#include <algorithm>
#include <utility>

namespace sudachi::storage {
namespace {

using std::chrono::steady_clock;

// Zero capacity or batch size would make the writer spin or the sink drop everything; both
// are configuration mistakes, so clamp rather than fail at start-up.
BatchingHistorySinkOptions sanitized(BatchingHistorySinkOptions options) {
  options.queue_capacity = std::max<std::size_t>(options.queue_capacity, 1);
  options.max_batch_rows = std::max<std::size_t>(options.max_batch_rows, 1);
  options.retry_initial = std::max(options.retry_initial, std::chrono::milliseconds{1});
  options.retry_max = std::max(options.retry_max, options.retry_initial);
  return options;
}

// Sorts a queued row into the batch vector of its table.
struct AppendToBatch {
  HistoryBatch& batch;
  void operator()(room::ClientRow&& row) const { batch.clients.push_back(std::move(row)); }
  void operator()(room::RoomHistoryRow&& row) const { batch.rooms.push_back(std::move(row)); }
  void operator()(room::ConnectionMetricRow&& row) const {
    batch.metrics.push_back(std::move(row));
  }
};

void clear(HistoryBatch& batch) {
  // clear() rather than reassignment keeps the vectors' capacity for the next batch.
  batch.clients.clear();
  batch.rooms.clear();
  batch.metrics.clear();
}

}  // namespace

BatchingHistorySink::BatchingHistorySink(std::unique_ptr<HistoryBackend> backend,
                                         BatchingHistorySinkOptions options)
    : options_(sanitized(options)), backend_(std::move(backend)) {
  healthy_.store(!options_.probe_at_start);
  writer_ = std::thread([this] { run(); });
}

BatchingHistorySink::~BatchingHistorySink() {
  stop();
}

void BatchingHistorySink::upsert_client(room::ClientRow row) {
  enqueue(std::move(row));
}

void BatchingHistorySink::room_closed(room::RoomHistoryRow row) {
  enqueue(std::move(row));
}

void BatchingHistorySink::connection_metric(room::ConnectionMetricRow row) {
  enqueue(std::move(row));
}

bool BatchingHistorySink::healthy() const {
  return healthy_.load();
}

void BatchingHistorySink::stop() {
  {
    std::lock_guard lock(mutex_);
    if (!stopping_) {
      stopping_ = true;
      deadline_ = steady_clock::now() + options_.stop_deadline;
    }
  }
  wake_.notify_all();
  std::lock_guard join_lock(join_mutex_);
  if (writer_.joinable()) writer_.join();
}

void BatchingHistorySink::enqueue(Row row) {
  {
    std::lock_guard lock(mutex_);
    if (stopping_ || queue_.size() + in_flight_ >= options_.queue_capacity) {
      stats_.rows_dropped.fetch_add(1);
      return;
    }
    queue_.push_back(std::move(row));
    publish_depth();
    // Partial batches wait for the flush tick; only a full one is worth waking the writer for.
    if (queue_.size() < options_.max_batch_rows) return;
  }
  wake_.notify_one();
}

void BatchingHistorySink::run() {
  HistoryBatch batch;  // taken from the queue, not yet stored: retried until it is
  auto backoff = options_.retry_initial;
  // With probe_at_start, the first idle wait pings at once.
  SteadyTime last_contact =
      options_.probe_at_start ? steady_clock::now() - options_.ping_interval : steady_clock::now();
  std::unique_lock lock(mutex_);
  for (;;) {
    if (batch.empty()) {
      if (!wait_for_work(lock, last_contact)) return;
      take_batch(batch);
    }
    if (stopping_ && steady_clock::now() >= deadline_) {
      abandon(batch);
      return;
    }

    lock.unlock();
    const Status status = backend_->write_batch(batch);
    lock.lock();
    last_contact = steady_clock::now();

    // healthy_ is stored before the counters so that a reader who sees a counter move also
    // sees the health it implies (the atomics are sequentially consistent).
    if (status.ok()) {
      healthy_.store(true);
      stats_.rows_written.fetch_add(batch.size());
      backoff = options_.retry_initial;
    } else if (status.error().code == ErrorCode::invalid_request) {
      // The back end says no retry can ever store this batch; keeping it would block every
      // row behind it until the queue overflows.
      stats_.rows_rejected.fetch_add(batch.size());
    } else {
      healthy_.store(false);
      stats_.write_failures.fetch_add(1);
      const SteadyTime retry_at = last_contact + backoff;
      backoff = std::min(backoff * 2, options_.retry_max);
      wait_before_retry(lock, retry_at);
      continue;  // same batch again
    }
    clear(batch);
    in_flight_ = 0;
    publish_depth();
  }
}

// Waits until a batch is due: a full one is queued, the flush interval passed with rows
// queued, or stop() wants the rest. Pings the back end when idle for ping_interval so that
// healthy() notices an outage (and a recovery) without traffic. False: stopping, queue empty.
bool BatchingHistorySink::wait_for_work(std::unique_lock<std::mutex>& lock,
                                        SteadyTime& last_contact) {
  for (;;) {
    if (!stopping_ && queue_.size() < options_.max_batch_rows) {
      wake_.wait_for(lock, options_.flush_interval,
                     [this] { return stopping_ || queue_.size() >= options_.max_batch_rows; });
    }
    if (!queue_.empty()) return true;
    if (stopping_) return false;
    if (steady_clock::now() - last_contact >= options_.ping_interval) {
      lock.unlock();
      const Status status = backend_->ping();
      lock.lock();
      healthy_.store(status.ok());
      last_contact = steady_clock::now();
    }
  }
}

void BatchingHistorySink::take_batch(HistoryBatch& batch) {
  const std::size_t n = std::min(queue_.size(), options_.max_batch_rows);
  for (std::size_t i = 0; i < n; ++i) {
    std::visit(AppendToBatch{batch}, std::move(queue_.front()));
    queue_.pop_front();
  }
  // The rows still count against the capacity until written: that is what makes the bound
  // exact while a batch is being retried.
  in_flight_ = n;
}

// Sleeps until retry_at, or until the stop deadline if stop() comes first. Arriving rows also
// notify the condition variable, hence the loop instead of a single wait.
void BatchingHistorySink::wait_before_retry(std::unique_lock<std::mutex>& lock,
                                            SteadyTime retry_at) {
  for (;;) {
    const SteadyTime until = stopping_ ? std::min(retry_at, deadline_) : retry_at;
    if (steady_clock::now() >= until) return;
    wake_.wait_until(lock, until);
  }
}

// The stop deadline passed: whatever is left is lost, and counted so that operators see it.
void BatchingHistorySink::abandon(HistoryBatch& batch) {
  stats_.rows_dropped.fetch_add(batch.size() + queue_.size());
  clear(batch);
  queue_.clear();
  in_flight_ = 0;
  publish_depth();
}

void BatchingHistorySink::publish_depth() {
  stats_.queue_depth.store(queue_.size() + in_flight_);
}

}  // namespace sudachi::storage

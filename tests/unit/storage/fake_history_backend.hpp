#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <functional>
#include <memory>
#include <mutex>
#include <vector>

#include "storage/history/history_backend.hpp"

namespace sudachi::storage::test {

// What a FakeHistoryBackend does and saw. Shared with the test because the sink owns (and
// destroys) the backend itself.
struct FakeBackendState {
  std::mutex mutex;
  std::condition_variable changed;  // notified after every call, with the state updated

  // Controls.
  int fail_next = 0;         // the next N write_batch calls fail with UNAVAILABLE
  bool reject_next = false;  // the next write_batch call fails with INVALID_REQUEST
  bool gate_closed = false;  // write_batch blocks (after counting the attempt) while true
  bool ping_fails = false;
  std::function<bool()> probe;  // if set, its value is recorded at the start of each attempt

  // Observations.
  int attempts = 0;
  int pings = 0;
  std::vector<bool> probed;
  std::vector<std::chrono::steady_clock::time_point> attempt_times;
  std::vector<std::size_t> stored_batch_sizes;
  std::vector<room::ClientRow> clients;
  std::vector<room::RoomHistoryRow> rooms;
  std::vector<room::ConnectionMetricRow> metrics;

  std::size_t stored_rows() const { return clients.size() + rooms.size() + metrics.size(); }

  // Waits (bounded) until `predicate` holds over the state; the lock is held while it runs.
  template <class Predicate>
  bool wait_for(Predicate predicate,
                std::chrono::milliseconds timeout = std::chrono::milliseconds{4'000}) {
    std::unique_lock lock(mutex);
    return changed.wait_for(lock, timeout, [&] { return predicate(*this); });
  }

  void open_gate() {
    {
      std::lock_guard lock(mutex);
      gate_closed = false;
    }
    changed.notify_all();
  }
};

// A back end that fails on demand, which the real SQLite file cannot do deterministically.
class FakeHistoryBackend final : public HistoryBackend {
 public:
  explicit FakeHistoryBackend(std::shared_ptr<FakeBackendState> state) : state_(std::move(state)) {}

  Status write_batch(const HistoryBatch& batch) override {
    std::unique_lock lock(state_->mutex);
    ++state_->attempts;
    state_->attempt_times.push_back(std::chrono::steady_clock::now());
    if (state_->probe) state_->probed.push_back(state_->probe());
    state_->changed.notify_all();
    state_->changed.wait(lock, [&] { return !state_->gate_closed; });

    Status status = ok_status();
    if (state_->reject_next) {
      state_->reject_next = false;
      status = Error::make(ErrorCode::invalid_request, "fake: unstorable");
    } else if (state_->fail_next > 0) {
      --state_->fail_next;
      status = Error::make(ErrorCode::unavailable, "fake: down");
    } else {
      state_->stored_batch_sizes.push_back(batch.size());
      state_->clients.insert(state_->clients.end(), batch.clients.begin(), batch.clients.end());
      state_->rooms.insert(state_->rooms.end(), batch.rooms.begin(), batch.rooms.end());
      state_->metrics.insert(state_->metrics.end(), batch.metrics.begin(), batch.metrics.end());
    }
    state_->changed.notify_all();
    return status;
  }

  Status ping() override {
    std::lock_guard lock(state_->mutex);
    ++state_->pings;
    state_->changed.notify_all();
    if (state_->ping_fails) return Error::make(ErrorCode::unavailable, "fake: ping failed");
    return ok_status();
  }

 private:
  std::shared_ptr<FakeBackendState> state_;
};

}  // namespace sudachi::storage::test

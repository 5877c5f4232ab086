#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>

namespace sudachi::storage::redis {

// Runs `work` every `interval` on its own thread until stop() (or destruction). `work` only
// posts Redis commands, so it never blocks for long; stop() waits for a run in progress.
class PeriodicTask {
 public:
  PeriodicTask() = default;
  ~PeriodicTask() { stop(); }
  PeriodicTask(const PeriodicTask&) = delete;
  PeriodicTask& operator=(const PeriodicTask&) = delete;

  // Starts the thread; the first run is immediate when `run_now`.
  void start(std::chrono::milliseconds interval, std::function<void()> work, bool run_now = true);
  void stop();
  bool running() const { return thread_.joinable(); }

 private:
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace sudachi::storage::redis

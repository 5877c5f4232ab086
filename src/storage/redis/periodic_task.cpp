#include "storage/redis/periodic_task.hpp"

#include <utility>

namespace sudachi::storage::redis {

void PeriodicTask::start(std::chrono::milliseconds interval, std::function<void()> work,
                         bool run_now) {
  stop();
  {
    std::lock_guard lock(mutex_);
    stopping_ = false;
  }
  thread_ = std::thread([this, interval, work = std::move(work), run_now] {
    std::unique_lock lock(mutex_);
    bool first = true;
    while (!stopping_) {
      if (!first || !run_now) {
        if (wake_.wait_for(lock, interval, [this] { return stopping_; })) break;
      }
      first = false;
      lock.unlock();
      work();
      lock.lock();
    }
  });
}

void PeriodicTask::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

}  // namespace sudachi::storage::redis

#pragma once

#include <atomic>
#include <cstddef>
#include <memory>

namespace sudachi::room {

// A bound on the jobs handed to a pool whose queue cannot refuse anything itself
// (boost::asio::thread_pool queues without limit). Password hashing goes through one: with an
// unbounded queue, 20 clients sending wrong passwords made a legitimate join wait 19.5 s behind
// their hashes; with a bound, the excess is refused at once and the wait stays short.
//
// Thread-safe. A slot may outlive this object (a stopping pool destroys the jobs it never
// ran after the service is gone): the count lives in shared state.
class WorkSlots {
 public:
  // Holding one keeps a slot taken; the slot is given back when the last copy is destroyed.
  // Capture it in the job, so that it lasts until the job ran or was discarded.
  using Slot = std::shared_ptr<const void>;

  explicit WorkSlots(std::size_t limit);

  // A slot, or an empty Slot when `limit` jobs are already queued or running.
  Slot try_acquire();
  std::size_t in_use() const { return state_->in_use.load(std::memory_order_relaxed); }
  std::size_t limit() const { return state_->limit; }

 private:
  struct State {
    explicit State(std::size_t l) : limit(l) {}
    const std::size_t limit;
    std::atomic<std::size_t> in_use{0};
  };
  std::shared_ptr<State> state_;
};

}  // namespace sudachi::room

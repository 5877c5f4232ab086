#include "room/work_slots.hpp"

namespace sudachi::room {

WorkSlots::WorkSlots(std::size_t limit) : state_(std::make_shared<State>(limit)) {}

WorkSlots::Slot WorkSlots::try_acquire() {
  std::size_t n = state_->in_use.load(std::memory_order_relaxed);
  do {
    if (n >= state_->limit) return {};
  } while (!state_->in_use.compare_exchange_weak(n, n + 1, std::memory_order_relaxed));
  // The pointer is only there to be non-null; the deleter gives the slot back.
  return Slot(state_.get(), [state = state_](const void*) {
    state->in_use.fetch_sub(1, std::memory_order_relaxed);
  });
}

}  // namespace sudachi::room

#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>

namespace sudachi {

// Rate-limits log lines per category. Security events (refused handshakes, failed logins,
// rate-limit blocks, slow consumers) arrive fastest exactly when someone attacks, and a line
// per event would turn an attack on the server into an attack on its disk and log pipeline.
// Each category lets `burst` lines through per interval; the first line of a later interval
// carries the count that was held back meanwhile, so the totals stay visible next to the
// counters. Lock-free, shared by every event loop: at worst a race lets one extra line out.
template <std::size_t Categories>
class LogSampler {
 public:
  LogSampler(std::int64_t interval_ms, std::uint32_t burst)
      : interval_ms_(interval_ms), burst_(burst) {}

  // True when the caller should write its line now; `suppressed` is then the number of events
  // of this category that were not written since the last line that was.
  bool admit(std::size_t category, std::int64_t now_ms, std::uint64_t& suppressed) {
    Slot& slot = slots_[category];
    std::int64_t start = slot.window_start_ms.load(std::memory_order_relaxed);
    if (now_ms - start >= interval_ms_ &&
        slot.window_start_ms.compare_exchange_strong(start, now_ms, std::memory_order_relaxed)) {
      slot.admitted.store(0, std::memory_order_relaxed);
    }
    if (slot.admitted.fetch_add(1, std::memory_order_relaxed) < burst_) {
      suppressed = slot.dropped.exchange(0, std::memory_order_relaxed);
      return true;
    }
    slot.dropped.fetch_add(1, std::memory_order_relaxed);
    return false;
  }

 private:
  struct Slot {
    // INT64_MIN / 2: the first event of a category always opens a window, whatever the clock.
    std::atomic<std::int64_t> window_start_ms{INT64_MIN / 2};
    std::atomic<std::uint32_t> admitted{0};
    std::atomic<std::uint64_t> dropped{0};
  };
  const std::int64_t interval_ms_;
  const std::uint32_t burst_;
  std::array<Slot, Categories> slots_{};
};

}  // namespace sudachi

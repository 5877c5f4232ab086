#pragma once

#include <chrono>
#include <cstdint>

namespace sudachi::client::p2p::runtime {

// The connectivity logic's time base: monotonic milliseconds.
inline std::int64_t steady_now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

}  // namespace sudachi::client::p2p::runtime

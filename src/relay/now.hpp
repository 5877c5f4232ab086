#pragma once

#include <chrono>
#include <cstdint>

namespace sudachi::relay {

// Monotonic milliseconds for timeouts and token buckets; wall-clock Unix milliseconds for
// token expiry. Read once per batch of packets by the back ends, not once per packet.
inline std::int64_t steady_now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}
inline std::int64_t unix_now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace sudachi::relay

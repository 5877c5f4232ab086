#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <unordered_map>

#include "common/clock.hpp"
#include "room/rate_limiter.hpp"
#include "storage/memory/expiring_table.hpp"

namespace sudachi::storage {

// The embedded-mode RateLimiter: counters in process memory, split over independently locked
// shards; the callback runs inline, with no lock held.
//
// Per key: a fixed window of `duration_ms` opened by the key's first request. The request
// that takes the count over `points` is refused and, when block_ms > 0, replaces the window
// by a block of block_ms during which every request is refused; when the block ends the key
// starts afresh (as rate-limiter-flexible's blockDuration does). With block_ms == 0 requests
// over the limit are refused until the window ends. retry_after_seconds is the time left,
// rounded up to whole seconds, at least 1. A disabled policy allows everything and stores
// nothing.
//
// Memory is bounded: sweep() (called once a second) drops expired keys, and the table holds
// at most `max_entries` keys. A new key arriving at a full shard first sweeps that shard; if
// the shard is still full of live keys, the request is refused (fail closed, retry after 1 s)
// and counted in refused_table_full(). Only a flood of distinct live keys gets there, and
// letting new keys through unlimited would be exactly what that flood wants.
class MemoryRateLimiter final : public room::RateLimiter {
 public:
  static constexpr std::size_t kDefaultMaxEntries = 1'000'000;

  MemoryRateLimiter(room::RatePolicy policy, const Clock& clock,
                    std::size_t max_entries = kDefaultMaxEntries);

  void consume(std::string key, std::function<void(room::RateDecision)> done) override;

  // The synchronous core of consume(), for callers that want the decision directly.
  room::RateDecision try_consume(const std::string& key);

  void sweep();
  std::size_t size() const;
  std::uint64_t refused_table_full() const { return refused_full_.load(std::memory_order_relaxed); }

 private:
  struct Entry {
    std::int64_t ends_at_ms = 0;  // end of the window, or of the block when blocked
    int count = 0;
    bool blocked = false;
  };
  static room::RateDecision refuse(std::int64_t remaining_ms);

  const room::RatePolicy policy_;
  const Clock& clock_;
  mutable memory::ExpiringTable<Entry, 64> table_;
  std::atomic<std::uint64_t> refused_full_{0};
};

}  // namespace sudachi::storage

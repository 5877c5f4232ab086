#include "storage/memory/memory_rate_limiter.hpp"

#include <algorithm>

namespace sudachi::storage {

MemoryRateLimiter::MemoryRateLimiter(room::RatePolicy policy, const Clock& clock,
                                     std::size_t max_entries)
    : policy_(policy), clock_(clock), table_(max_entries) {}

void MemoryRateLimiter::consume(std::string key, std::function<void(room::RateDecision)> done) {
  done(try_consume(key));
}

room::RateDecision MemoryRateLimiter::refuse(std::int64_t remaining_ms) {
  // Whole seconds, rounded up, never 0: "retry after 0 s" would invite an immediate retry.
  const std::int64_t seconds = (std::max<std::int64_t>(remaining_ms, 0) + 999) / 1000;
  return room::RateDecision{false, static_cast<int>(std::max<std::int64_t>(seconds, 1))};
}

room::RateDecision MemoryRateLimiter::try_consume(const std::string& key) {
  if (!policy_.enabled) return {};
  const std::int64_t now = clock_.steady_ms();
  return table_.with(key, now, [&](Entry* entry, auto insert) {
    if (entry == nullptr && (entry = insert(Entry{})) == nullptr) {
      refused_full_.fetch_add(1, std::memory_order_relaxed);
      return refuse(1000);
    }
    if (now >= entry->ends_at_ms)
      *entry = Entry{now + policy_.duration_ms, 0, false};  // new window
    if (entry->blocked) return refuse(entry->ends_at_ms - now);

    ++entry->count;
    if (entry->count <= policy_.points) return room::RateDecision{};
    if (policy_.block_ms > 0) {
      entry->blocked = true;
      entry->ends_at_ms = now + policy_.block_ms;
    }
    return refuse(entry->ends_at_ms - now);
  });
}

void MemoryRateLimiter::sweep() {
  table_.sweep(clock_.steady_ms());
}

std::size_t MemoryRateLimiter::size() const {
  return table_.size();
}

}  // namespace sudachi::storage

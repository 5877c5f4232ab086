#include "storage/memory/memory_rate_limiter.hpp"

#include <algorithm>

#include "storage/memory/sharding.hpp"

namespace sudachi::storage {

MemoryRateLimiter::MemoryRateLimiter(room::RatePolicy policy, const Clock& clock,
                                     std::size_t max_entries)
    : policy_(policy),
      clock_(clock),
      // Per shard, so the cap is checked under one shard's lock; at least one key per shard.
      max_per_shard_(std::max<std::size_t>(1, max_entries / kShards)) {}

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
  Shard& shard = shards_[memory::shard_of(key, kShards)];
  std::lock_guard lock(shard.mutex);

  auto it = shard.entries.find(key);
  if (it == shard.entries.end()) {
    if (shard.entries.size() >= max_per_shard_) {
      sweep_shard(shard, now);
      if (shard.entries.size() >= max_per_shard_) {
        refused_full_.fetch_add(1, std::memory_order_relaxed);
        return refuse(1000);
      }
    }
    it = shard.entries.emplace(key, Entry{}).first;
  }
  Entry& entry = it->second;
  if (now >= entry.ends_at_ms) entry = Entry{now + policy_.duration_ms, 0, false};  // new window
  if (entry.blocked) return refuse(entry.ends_at_ms - now);

  ++entry.count;
  if (entry.count <= policy_.points) return {};
  if (policy_.block_ms > 0) {
    entry.blocked = true;
    entry.ends_at_ms = now + policy_.block_ms;
  }
  return refuse(entry.ends_at_ms - now);
}

void MemoryRateLimiter::sweep_shard(Shard& shard, std::int64_t now) {
  std::erase_if(shard.entries, [now](const auto& item) { return now >= item.second.ends_at_ms; });
}

void MemoryRateLimiter::sweep() {
  const std::int64_t now = clock_.steady_ms();
  for (Shard& shard : shards_) {
    std::lock_guard lock(shard.mutex);
    sweep_shard(shard, now);
  }
}

std::size_t MemoryRateLimiter::size() const {
  std::size_t total = 0;
  for (const Shard& shard : shards_) {
    std::lock_guard lock(shard.mutex);
    total += shard.entries.size();
  }
  return total;
}

}  // namespace sudachi::storage

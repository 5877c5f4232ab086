#include "storage/memory/memory_relay_sessions.hpp"

#include <algorithm>

#include "storage/memory/sharding.hpp"

namespace sudachi::storage {
namespace {

// Room id, then both client ids in order, separated by NUL (which no id contains): distinct
// pairs never share a key, whatever characters the ids hold.
std::string table_key(const room::RelaySessionKey& key) {
  const room::RelaySessionKey k = key.normalized();
  std::string out;
  out.reserve(k.room_id.size() + k.client_a.size() + k.client_b.size() + 2);
  out.append(k.room_id).push_back('\0');
  out.append(k.client_a).push_back('\0');
  out.append(k.client_b);
  return out;
}

}  // namespace

MemoryRelaySessions::MemoryRelaySessions(const Clock& clock, std::size_t max_entries)
    : clock_(clock), max_per_shard_(std::max<std::size_t>(1, max_entries / kShards)) {}

void MemoryRelaySessions::claim(room::RelaySessionKey key, room::RelaySessionRecord candidate,
                                std::int64_t ttl_ms,
                                room::Callback<room::RelaySessionRecord> done) {
  done(try_claim(key, candidate, ttl_ms));
}

room::RelaySessionRecord MemoryRelaySessions::try_claim(const room::RelaySessionKey& key,
                                                        const room::RelaySessionRecord& candidate,
                                                        std::int64_t ttl_ms) {
  const std::string k = table_key(key);
  const std::int64_t now = clock_.steady_ms();
  Shard& shard = shards_[memory::shard_of(k, kShards)];
  std::lock_guard lock(shard.mutex);

  auto it = shard.entries.find(k);
  if (it != shard.entries.end()) {
    if (now < it->second.ends_at_ms) return it->second.record;
    it->second = Entry{candidate, now + ttl_ms};  // expired: replaced in place
    return candidate;
  }
  if (ttl_ms <= 0) return candidate;  // nothing to keep
  if (shard.entries.size() >= max_per_shard_) {
    sweep_shard(shard, now);
    if (shard.entries.size() >= max_per_shard_) {
      not_stored_.fetch_add(1, std::memory_order_relaxed);
      return candidate;
    }
  }
  shard.entries.emplace(k, Entry{candidate, now + ttl_ms});
  return candidate;
}

void MemoryRelaySessions::sweep_shard(Shard& shard, std::int64_t now) {
  std::erase_if(shard.entries, [now](const auto& item) { return now >= item.second.ends_at_ms; });
}

void MemoryRelaySessions::sweep() {
  const std::int64_t now = clock_.steady_ms();
  for (Shard& shard : shards_) {
    std::lock_guard lock(shard.mutex);
    sweep_shard(shard, now);
  }
}

std::size_t MemoryRelaySessions::size() const {
  std::size_t total = 0;
  for (const Shard& shard : shards_) {
    std::lock_guard lock(shard.mutex);
    total += shard.entries.size();
  }
  return total;
}

}  // namespace sudachi::storage

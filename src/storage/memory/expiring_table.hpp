#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <string>
#include <unordered_map>

#include "storage/memory/sharding.hpp"

namespace sudachi::storage::memory {

// A bounded map from string keys to entries that expire, split over independently locked
// shards: the common part of the in-process rate limiter and relay-session table. `Entry`
// has an `ends_at_ms` (steady clock); an entry is dead from then on. Memory is bounded by
// `max_entries` (spread evenly over the shards): a shard that is full is swept before it
// takes a new key, and refuses the key if it is still full of live entries.
template <class Entry, std::size_t Shards>
class ExpiringTable {
 public:
  explicit ExpiringTable(std::size_t max_entries)
      : max_per_shard_(std::max<std::size_t>(1, max_entries / Shards)) {}

  // Runs `fn(Entry* entry_or_null, Inserter insert)` with the key's shard locked: the live or
  // dead entry when the key is present, else null; `insert(entry)` adds one (false when the
  // shard is full). Callers keep their decisions inside `fn`, under the lock.
  template <class Fn>
  auto with(const std::string& key, std::int64_t now, Fn&& fn) {
    Shard& shard = shards_[shard_of(key, Shards)];
    std::lock_guard lock(shard.mutex);
    auto it = shard.entries.find(key);
    Entry* found = it == shard.entries.end() ? nullptr : &it->second;
    auto insert = [&](Entry entry) -> Entry* {
      if (shard.entries.size() >= max_per_shard_) {
        sweep_locked(shard, now);
        if (shard.entries.size() >= max_per_shard_) return nullptr;
      }
      return &shard.entries.insert_or_assign(key, std::move(entry)).first->second;
    };
    return fn(found, insert);
  }

  // Drops every dead entry; the once-a-second housekeeping.
  void sweep(std::int64_t now) {
    for (Shard& shard : shards_) {
      std::lock_guard lock(shard.mutex);
      sweep_locked(shard, now);
    }
  }

  std::size_t size() const {
    std::size_t total = 0;
    for (const Shard& shard : shards_) {
      std::lock_guard lock(shard.mutex);
      total += shard.entries.size();
    }
    return total;
  }

 private:
  struct Shard {
    mutable std::mutex mutex;
    std::unordered_map<std::string, Entry> entries;
  };
  static void sweep_locked(Shard& shard, std::int64_t now) {
    std::erase_if(shard.entries, [now](const auto& item) { return now >= item.second.ends_at_ms; });
  }

  const std::size_t max_per_shard_;
  std::array<Shard, Shards> shards_;
};

}  // namespace sudachi::storage::memory

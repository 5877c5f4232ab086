#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <string>
#include <unordered_map>

#include "common/clock.hpp"
#include "room/relay_sessions.hpp"
#include "storage/memory/expiring_table.hpp"

namespace sudachi::storage {

// The embedded-mode RelaySessions: records in process memory, split over independently locked
// shards; the callback runs inline, with no lock held. A record lives ttl_ms (monotonic clock)
// from the claim that stored it; expired records are dropped when a claim meets them and by
// sweep() (called once a second).
//
// Memory is bounded: the table holds at most `max_entries` records. A claim for a new pair at
// a full shard first sweeps that shard; if it is still full of live records the candidate is
// returned without being stored (counted in not_stored()): the players still get their relay,
// only a mirrored report may then get a session of its own. The relay limiter bounds
// allocations per client, so only a flood of distinct clients gets there.
class MemoryRelaySessions final : public room::RelaySessions {
 public:
  static constexpr std::size_t kDefaultMaxEntries = 200'000;

  explicit MemoryRelaySessions(const Clock& clock, std::size_t max_entries = kDefaultMaxEntries);

  void claim(room::RelaySessionKey key, room::RelaySessionRecord candidate, std::int64_t ttl_ms,
             room::Callback<room::RelaySessionRecord> done) override;

  // The synchronous core of claim().
  room::RelaySessionRecord try_claim(const room::RelaySessionKey& key,
                                     const room::RelaySessionRecord& candidate,
                                     std::int64_t ttl_ms);

  void sweep();
  std::size_t size() const;
  std::uint64_t not_stored() const { return not_stored_.load(std::memory_order_relaxed); }

 private:
  struct Entry {
    room::RelaySessionRecord record;
    std::int64_t ends_at_ms = 0;  // steady clock
  };

  const Clock& clock_;
  mutable memory::ExpiringTable<Entry, 32> table_;
  std::atomic<std::uint64_t> not_stored_{0};
};

}  // namespace sudachi::storage

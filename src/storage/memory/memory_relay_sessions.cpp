#include "storage/memory/memory_relay_sessions.hpp"

#include <algorithm>

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
    : clock_(clock), table_(max_entries) {}

void MemoryRelaySessions::claim(room::RelaySessionKey key, room::RelaySessionRecord candidate,
                                std::int64_t ttl_ms,
                                room::Callback<room::RelaySessionRecord> done) {
  done(try_claim(key, candidate, ttl_ms));
}

room::RelaySessionRecord MemoryRelaySessions::try_claim(const room::RelaySessionKey& key,
                                                        const room::RelaySessionRecord& candidate,
                                                        std::int64_t ttl_ms) {
  const std::int64_t now = clock_.steady_ms();
  return table_.with(table_key(key), now, [&](Entry* entry, auto insert) {
    if (entry != nullptr) {
      if (now < entry->ends_at_ms) return entry->record;
      *entry = Entry{candidate, now + ttl_ms};  // expired: replaced in place
      return candidate;
    }
    if (ttl_ms <= 0) return candidate;  // nothing to keep
    if (insert(Entry{candidate, now + ttl_ms}) == nullptr) {
      not_stored_.fetch_add(1, std::memory_order_relaxed);
    }
    return candidate;
  });
}

void MemoryRelaySessions::sweep() {
  table_.sweep(clock_.steady_ms());
}

std::size_t MemoryRelaySessions::size() const {
  return table_.size();
}

}  // namespace sudachi::storage

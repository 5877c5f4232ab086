#include "relay/ip_session_limits.hpp"

#include <algorithm>

namespace sudachi::relay {

Endpoint IpSessionLimits::key(const Endpoint& e) {
  Endpoint k = e.ip_only();
  if (k.family == 6) std::fill(k.addr.begin() + 8, k.addr.end(), std::uint8_t{0});
  return k;
}

IpSessionLimits::Verdict IpSessionLimits::acquire(const Endpoint& ip, bool waiting) {
  if (!enabled()) return Verdict::ok;
  const Endpoint k = key(ip);
  Shard& s = shard(k);
  std::lock_guard lock(s.mutex);
  auto it = s.counts.find(k);
  const Counts now = it == s.counts.end() ? Counts{} : it->second;
  if (max_slots_ != 0 && now.slots >= max_slots_) return Verdict::too_many_slots;
  if (waiting && max_waiting_ != 0 && now.waiting >= max_waiting_) return Verdict::too_many_waiting;
  Counts& c = it == s.counts.end() ? s.counts[k] : it->second;
  ++c.slots;
  if (waiting) ++c.waiting;
  return Verdict::ok;
}

void IpSessionLimits::release(const Endpoint& ip, bool waiting) {
  if (!enabled()) return;
  const Endpoint k = key(ip);
  Shard& s = shard(k);
  std::lock_guard lock(s.mutex);
  auto it = s.counts.find(k);
  if (it == s.counts.end()) return;
  Counts& c = it->second;
  if (c.slots > 0) --c.slots;
  if (waiting && c.waiting > 0) --c.waiting;
  if (c.slots == 0) s.counts.erase(it);
}

void IpSessionLimits::paired(const Endpoint& ip) {
  if (!enabled()) return;
  const Endpoint k = key(ip);
  Shard& s = shard(k);
  std::lock_guard lock(s.mutex);
  auto it = s.counts.find(k);
  if (it != s.counts.end() && it->second.waiting > 0) --it->second.waiting;
}

std::uint32_t IpSessionLimits::slots(const Endpoint& ip) const {
  const Endpoint k = key(ip);
  const Shard& s = shard(k);
  std::lock_guard lock(s.mutex);
  auto it = s.counts.find(k);
  return it == s.counts.end() ? 0 : it->second.slots;
}

std::uint32_t IpSessionLimits::waiting(const Endpoint& ip) const {
  const Endpoint k = key(ip);
  const Shard& s = shard(k);
  std::lock_guard lock(s.mutex);
  auto it = s.counts.find(k);
  return it == s.counts.end() ? 0 : it->second.waiting;
}

}  // namespace sudachi::relay

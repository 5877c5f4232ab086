#include "transport/connection_tracker.hpp"

#include <functional>
#include <string_view>

namespace sudachi::transport {

std::size_t ConnectionTracker::IpHash::operator()(const IpAddress& a) const noexcept {
  return std::hash<std::string_view>{}(
      std::string_view(reinterpret_cast<const char*>(a.bytes.data()), a.bytes.size()));
}

ConnectionTracker::Shard& ConnectionTracker::shard_for(const IpAddress& a) const {
  return shards_[IpHash{}(a) % kShards];
}

ConnectionTracker::Verdict ConnectionTracker::admit(const IpAddress& peer, Ticket& ticket) {
  const std::size_t before = open_.fetch_add(1, std::memory_order_relaxed);
  if (limits_.max_connections != 0 && before >= limits_.max_connections) {
    open_.fetch_sub(1, std::memory_order_relaxed);
    return Verdict::over_global_cap;
  }
  // Exempt peers are not entered in the table at all: a proxy's count would only grow a
  // number nobody reads.
  if (limits_.max_per_ip != 0 && !exempt_.contains(peer)) {
    Shard& shard = shard_for(peer);
    std::lock_guard lock(shard.mutex);
    std::size_t& count = shard.per_ip[peer];
    if (count >= limits_.max_per_ip) {
      if (count == 0) shard.per_ip.erase(peer);
      open_.fetch_sub(1, std::memory_order_relaxed);
      return Verdict::over_ip_cap;
    }
    ++count;
    ticket = Ticket(this, peer);
    ticket.counted_per_ip_ = true;
    return Verdict::accepted;
  }
  ticket = Ticket(this, peer);
  return Verdict::accepted;
}

std::size_t ConnectionTracker::open_from(const IpAddress& peer) const {
  Shard& shard = shard_for(peer);
  std::lock_guard lock(shard.mutex);
  const auto it = shard.per_ip.find(peer);
  return it == shard.per_ip.end() ? 0 : it->second;
}

void ConnectionTracker::release(const IpAddress& ip, bool counted_per_ip) {
  if (counted_per_ip) {
    Shard& shard = shard_for(ip);
    std::lock_guard lock(shard.mutex);
    const auto it = shard.per_ip.find(ip);
    if (it != shard.per_ip.end() && --it->second == 0) shard.per_ip.erase(it);
  }
  open_.fetch_sub(1, std::memory_order_relaxed);
}

ConnectionTracker::Ticket& ConnectionTracker::Ticket::operator=(Ticket&& other) noexcept {
  if (this != &other) {
    release();
    owner_ = other.owner_;
    ip_ = other.ip_;
    counted_per_ip_ = other.counted_per_ip_;
    other.owner_ = nullptr;
  }
  return *this;
}

void ConnectionTracker::Ticket::release() {
  if (owner_ == nullptr) return;
  owner_->release(ip_, counted_per_ip_);
  owner_ = nullptr;
}

}  // namespace sudachi::transport

#include "room/password_attempts.hpp"

#include <algorithm>

namespace sudachi::room {

namespace {

RateDecision refuse(std::int64_t remaining_ms) {
  // Whole seconds rounded up, never 0 (as MemoryRateLimiter answers).
  const std::int64_t seconds = (std::max<std::int64_t>(remaining_ms, 0) + 999) / 1000;
  return RateDecision{false, static_cast<int>(std::max<std::int64_t>(seconds, 1))};
}

}  // namespace

PasswordAttempts::PasswordAttempts(PasswordAttemptPolicy policy, const Clock& clock)
    : policy_(policy), clock_(clock) {}

std::string PasswordAttempts::client_key(const std::string& room_id, const std::string& client_id) {
  return room_id + '\n' + client_id;  // ids never contain a line break (text::is_valid_id)
}

PasswordAttempts::Window* PasswordAttempts::live(Table& table, const std::string& key,
                                                 std::int64_t now) {
  auto it = table.find(key);
  if (it == table.end()) return nullptr;
  if (now >= it->second.ends_at_ms) {
    table.erase(it);
    return nullptr;
  }
  return &it->second;
}

PasswordAttempts::Window* PasswordAttempts::open(Table& table, const std::string& key,
                                                 std::int64_t now) {
  if (table.size() >= policy_.max_keys && now - last_sweep_ms_ >= 1000) {
    last_sweep_ms_ = now;
    for (Table* t : {&by_client_, &by_ip_}) {
      std::erase_if(*t, [now](const auto& entry) { return now >= entry.second.ends_at_ms; });
    }
  }
  if (table.size() >= policy_.max_keys) return nullptr;
  return &table.emplace(key, Window{now + policy_.window_ms, 0}).first->second;
}

RateDecision PasswordAttempts::begin(const std::string& room_id, const std::string& client_id,
                                     const std::string& ip) {
  if (!policy_.enabled) return {};
  const std::int64_t now = clock_.steady_ms();
  const std::string key = client_key(room_id, client_id);
  std::lock_guard lock(mutex_);
  Window* by_client = live(by_client_, key, now);
  Window* by_ip = live(by_ip_, ip, now);
  if (by_client != nullptr && by_client->count >= policy_.per_room_client)
    return refuse(by_client->ends_at_ms - now);
  if (by_ip != nullptr && by_ip->count >= policy_.per_ip) return refuse(by_ip->ends_at_ms - now);
  if (by_client == nullptr && (by_client = open(by_client_, key, now)) == nullptr)
    return refuse(1000);
  if (by_ip == nullptr && (by_ip = open(by_ip_, ip, now)) == nullptr) return refuse(1000);
  ++by_client->count;
  ++by_ip->count;
  return {};
}

void PasswordAttempts::forgive(const std::string& room_id, const std::string& client_id,
                               const std::string& ip) {
  if (!policy_.enabled) return;
  const std::int64_t now = clock_.steady_ms();
  const std::string key = client_key(room_id, client_id);
  std::lock_guard lock(mutex_);
  // A window that ended meanwhile already forgot the attempt.
  if (Window* w = live(by_client_, key, now); w != nullptr && w->count > 0) --w->count;
  if (Window* w = live(by_ip_, ip, now); w != nullptr && w->count > 0) --w->count;
}

std::size_t PasswordAttempts::size() const {
  std::lock_guard lock(mutex_);
  return by_client_.size() + by_ip_.size();
}

}  // namespace sudachi::room

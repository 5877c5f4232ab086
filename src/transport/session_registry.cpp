#include "transport/session_registry.hpp"

#include <vector>

namespace sudachi::transport {

SessionRegistry::Shard& SessionRegistry::shard_for(const std::string& sid) const {
  return shards_[std::hash<std::string>{}(sid) % kShards];
}

void SessionRegistry::add(const std::string& sid, std::shared_ptr<EngineSession> session) {
  Shard& shard = shard_for(sid);
  std::lock_guard lock(shard.mutex);
  if (shard.sessions.emplace(sid, std::move(session)).second) {
    size_.fetch_add(1, std::memory_order_relaxed);
  }
}

std::shared_ptr<EngineSession> SessionRegistry::find(const std::string& sid) const {
  Shard& shard = shard_for(sid);
  std::lock_guard lock(shard.mutex);
  auto it = shard.sessions.find(sid);
  return it == shard.sessions.end() ? nullptr : it->second;
}

void SessionRegistry::remove(const std::string& sid) {
  Shard& shard = shard_for(sid);
  std::lock_guard lock(shard.mutex);
  if (shard.sessions.erase(sid) > 0) size_.fetch_sub(1, std::memory_order_relaxed);
}

void SessionRegistry::for_each(
    const std::function<void(const std::shared_ptr<EngineSession>&)>& fn) const {
  for (Shard& shard : shards_) {
    std::vector<std::shared_ptr<EngineSession>> snapshot;
    {
      std::lock_guard lock(shard.mutex);
      snapshot.reserve(shard.sessions.size());
      for (const auto& [sid, session] : shard.sessions) snapshot.push_back(session);
    }
    for (const auto& session : snapshot) fn(session);
  }
}

}  // namespace sudachi::transport

#pragma once

#include <array>
#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

namespace sudachi::transport {

class EngineSession;

// Engine.IO sessions by sid. Polling requests for one session arrive on any connection and
// any thread, so lookups must be concurrent; sharding keeps them off one lock.
class SessionRegistry {
 public:
  void add(const std::string& sid, std::shared_ptr<EngineSession> session);
  std::shared_ptr<EngineSession> find(const std::string& sid) const;
  void remove(const std::string& sid);
  std::size_t size() const { return size_.load(std::memory_order_relaxed); }
  // Calls `fn` for every session, outside the shard locks.
  void for_each(const std::function<void(const std::shared_ptr<EngineSession>&)>& fn) const;

 private:
  struct Shard {
    mutable std::mutex mutex;
    std::unordered_map<std::string, std::shared_ptr<EngineSession>> sessions;
  };
  static constexpr std::size_t kShards = 32;
  Shard& shard_for(const std::string& sid) const;

  mutable std::array<Shard, kShards> shards_;
  std::atomic<std::size_t> size_{0};
};

}  // namespace sudachi::transport

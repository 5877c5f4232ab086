#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "room/delivery.hpp"

namespace sudachi::storage::redis {

// This instance's own sockets, by client id. Each registration gets a serial number, unique
// within the process, which goes into the client's presence value: a kick or a lost presence
// names the serial, so it can only ever remove the connection it was about (never a newer
// one of the same client that arrived meanwhile). Sharded like MemoryDelivery's table; sends
// happen outside the locks (callers copy the shared_ptr out).
class LocalConnections {
 public:
  struct Attached {
    std::shared_ptr<room::ClientConnection> previous;  // replaced local connection, if any
    std::uint64_t serial = 0;                          // of the new registration
  };
  struct Entry {
    std::string client_id;
    std::uint64_t serial = 0;
  };

  Attached attach(const std::string& client_id, std::shared_ptr<room::ClientConnection> connection);
  // Removes the registration if it still is `connection`; its serial, or 0 when it was not.
  std::uint64_t detach(const std::string& client_id, const room::ClientConnection* connection);
  // Removes the registration if its serial is `serial`; the removed connection.
  std::shared_ptr<room::ClientConnection> remove_if_serial(const std::string& client_id,
                                                           std::uint64_t serial);
  std::shared_ptr<room::ClientConnection> find(std::string_view client_id) const;
  std::vector<Entry> snapshot() const;
  std::size_t size() const { return count_.load(std::memory_order_relaxed); }

 private:
  static constexpr std::size_t kShards = 32;
  struct Slot {
    std::shared_ptr<room::ClientConnection> connection;
    std::uint64_t serial = 0;
  };
  struct Shard {
    mutable std::mutex mutex;
    std::unordered_map<std::string, Slot> slots;
  };
  Shard& shard(std::string_view client_id) const;

  mutable std::array<Shard, kShards> shards_;
  std::atomic<std::size_t> count_{0};
  std::atomic<std::uint64_t> next_serial_{1};
};

}  // namespace sudachi::storage::redis

#pragma once

#include <atomic>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "room/relay_directory.hpp"

namespace sudachi::storage {

// The embedded-mode RelayDirectory: the relays given on the command line. pick() deals
// sessions round-robin among the relays of the requested region, or among all relays when
// that region has none (or no region is asked for); NO_RELAY_AVAILABLE when the list is
// empty. It knows nothing of relay health or load: that is the Redis directory's job.
// Lock-free: one atomic cursor per region, the list itself never changes.
class StaticRelayDirectory final : public room::RelayDirectory {
 public:
  explicit StaticRelayDirectory(std::vector<room::RelayEndpoint> relays);

  void pick(std::string region, std::function<void(Result<room::RelayEndpoint>)> done) override;

  Result<room::RelayEndpoint> choose(const std::string& region);  // pick(), synchronously

 private:
  struct Group {
    std::vector<std::size_t> members;  // indexes into relays_
    // Behind a pointer because atomics cannot move and Groups move while the map is built.
    std::unique_ptr<std::atomic<std::size_t>> cursor =
        std::make_unique<std::atomic<std::size_t>>(0);
  };
  const room::RelayEndpoint& next(Group& group);

  const std::vector<room::RelayEndpoint> relays_;
  Group all_;
  std::unordered_map<std::string, Group> by_region_;  // built once, then only read
};

}  // namespace sudachi::storage

#include "storage/memory/static_relay_directory.hpp"

#include <utility>

namespace sudachi::storage {

StaticRelayDirectory::StaticRelayDirectory(std::vector<room::RelayEndpoint> relays)
    : relays_(std::move(relays)) {
  for (std::size_t i = 0; i < relays_.size(); ++i) {
    all_.members.push_back(i);
    // Relays without a region serve only the "any relay" fallback.
    if (!relays_[i].region.empty()) by_region_[relays_[i].region].members.push_back(i);
  }
}

const room::RelayEndpoint& StaticRelayDirectory::next(Group& group) {
  const std::size_t turn = group.cursor->fetch_add(1, std::memory_order_relaxed);
  return relays_[group.members[turn % group.members.size()]];
}

Result<room::RelayEndpoint> StaticRelayDirectory::choose(const std::string& region) {
  if (relays_.empty()) return ErrorCode::no_relay_available;
  auto it = region.empty() ? by_region_.end() : by_region_.find(region);
  return next(it == by_region_.end() ? all_ : it->second);
}

void StaticRelayDirectory::pick(std::string region,
                                std::function<void(Result<room::RelayEndpoint>)> done) {
  done(choose(region));
}

}  // namespace sudachi::storage

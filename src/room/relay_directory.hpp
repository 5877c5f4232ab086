#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "common/result.hpp"

namespace sudachi::room {

struct RelayEndpoint {
  std::string id;    // named in the token; the relay refuses tokens for another id
  std::string host;  // what clients connect to
  std::uint16_t udp_port = 3478;
  std::uint16_t tcp_port = 3478;
  std::string region;
};

// Chooses the relay for a new session. The static version serves the configured list; the
// Redis version (scale-out) serves registered relays by load.
class RelayDirectory {
 public:
  virtual ~RelayDirectory() = default;
  // NO_RELAY_AVAILABLE when none can be used. Prefers `region`, falls back to any.
  virtual void pick(std::string region, std::function<void(Result<RelayEndpoint>)> done) = 0;
};

}  // namespace sudachi::room

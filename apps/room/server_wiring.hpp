#pragma once

#include <chrono>
#include <cstdint>
#include <memory>

#include "config.hpp"

namespace sudachi::app {

// Builds the room server from its configuration: picks the adapters (in-process state and
// SQLite embedded; Redis and PostgreSQL when configured), connects the domain, the REST routes
// and the transport, and takes it down in order.
class RoomServer {
 public:
  explicit RoomServer(const RoomServerConfig& config);  // throws on start-up errors
  ~RoomServer();

  std::uint16_t start();  // throws when the port can't be bound
  // Once a second from the main thread: bounded-memory housekeeping and derived metrics.
  void maintenance();
  // SIGTERM: /ready answers 503, new sessions are refused, clients are told to reconnect;
  // returns once they are gone or `grace` has passed, with the loops stopped and history flushed.
  void drain_and_stop(std::chrono::seconds grace);

 private:
  struct Parts;
  std::unique_ptr<Parts> parts_;
};

}  // namespace sudachi::app

#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sudachi::room {

// One encoded Engine.IO message ("42[...]"), built once and shared by every recipient.
using SharedFrame = std::shared_ptr<const std::string>;

// What the domain sees of one Socket.IO connection. Implemented by the transport; every
// method is thread-safe and never blocks (it queues and returns).
class ClientConnection {
 public:
  virtual ~ClientConnection() = default;
  virtual void send(SharedFrame frame) = 0;
  // Server-initiated Socket.IO disconnect; the transport sends DISCONNECT and closes.
  virtual void disconnect() = 0;
};

// Routes frames to connections by client id. The in-process version looks up local
// connections; the Redis version also publishes to the instances holding the others.
class Delivery {
 public:
  virtual ~Delivery() = default;

  // Registers the client's connection. A previous connection of the same client is returned
  // (the caller disconnects it: one live connection per client).
  virtual std::shared_ptr<ClientConnection> attach(
      const std::string& client_id, std::shared_ptr<ClientConnection> connection) = 0;
  // Removes the registration if it still points at `connection`; also drops lobby subscriptions.
  // Returns false when a newer connection had replaced it.
  virtual bool detach(const std::string& client_id, const ClientConnection* connection) = 0;

  virtual void to_client(std::string_view client_id, SharedFrame frame) = 0;
  virtual void to_clients(const std::vector<std::string>& client_ids, SharedFrame frame) = 0;

  // Lobby subscriptions: a subscriber with no game id sees every game.
  virtual void subscribe_lobby(const std::string& client_id,
                               std::optional<std::string> game_id) = 0;
  virtual void unsubscribe_lobby(const std::string& client_id) = 0;
  virtual void to_lobby(std::string_view game_id, SharedFrame frame) = 0;

  virtual std::size_t local_connections() const = 0;
};

}  // namespace sudachi::room

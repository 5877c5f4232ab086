#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <boost/json/value.hpp>

#include "room/client_identity.hpp"
#include "room/delivery.hpp"

namespace sudachi::room {

// The application behind the Socket.IO transport: one call per authenticated connection,
// one per event, one per disconnect. The transport knows nothing of rooms; this knows nothing
// of Engine.IO framing beyond the ready-made frames it hands to ClientConnection::send.
//
// Calls come from any network thread, concurrently for different connections and in order
// for one connection. Replies (acks, reply events, errors) go out through the connection.
class RoomService {
 public:
  virtual ~RoomService() = default;

  // After a successful CONNECT: registers the connection, upserts the client row, emits
  // `connected`.
  virtual void on_connected(const ClientIdentity& who, std::shared_ptr<ClientConnection> conn) = 0;

  // One Socket.IO EVENT: `event` is the first array element, `payload` the second (null when
  // absent), `ack_id` set when the client asked for an acknowledgement.
  virtual void on_event(const ClientIdentity& who, const std::shared_ptr<ClientConnection>& conn,
                        std::string_view event, boost::json::value payload,
                        std::optional<std::uint64_t> ack_id) = 0;

  // The connection is gone (client disconnect, transport close, ping timeout, server drain).
  virtual void on_disconnected(const ClientIdentity& who, const ClientConnection* conn) = 0;
};

}  // namespace sudachi::room

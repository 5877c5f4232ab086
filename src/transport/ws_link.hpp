#pragma once

#include "room/delivery.hpp"

namespace sudachi::transport {

// The WebSocket side of an Engine.IO session as the session sees it. Implemented by
// WebSocketSession; called only on the session's executor.
class WsLink {
 public:
  virtual ~WsLink() = default;
  // Queues one text frame; the link closes itself (and tells the session) when its queue
  // exceeds the configured bound.
  virtual void send(room::SharedFrame frame) = 0;
  // Sends a close frame after what is queued, then shuts the connection.
  virtual void close() = 0;
};

}  // namespace sudachi::transport

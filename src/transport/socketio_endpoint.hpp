#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "room/client_identity.hpp"

namespace sudachi::socketio {
struct Packet;
}

namespace sudachi::transport {

class EngineSession;
struct SessionContext;

// The Socket.IO layer of one Engine.IO session: CONNECT with JWT auth on the default
// namespace, EVENTs handed to the RoomService, refusal of other namespaces and of binary
// attachments. Runs on the session's executor.
class SocketIoEndpoint {
 public:
  SocketIoEndpoint(SessionContext& ctx, std::string remote_ip);

  enum class Verdict { keep, close };

  // One Engine.IO MESSAGE (text after the '4').
  Verdict on_message(const std::shared_ptr<EngineSession>& session, std::string_view text);
  // One binary Engine.IO MESSAGE: only attachments announced by a refused binary packet are
  // expected; they are swallowed.
  Verdict on_binary(const std::shared_ptr<EngineSession>& session);
  // The Engine.IO session is closing.
  void on_close(const EngineSession& session);

  bool connected() const { return connected_; }

 private:
  Verdict on_connect(const std::shared_ptr<EngineSession>& session, const socketio::Packet& packet);
  void send_error(EngineSession& session, std::string_view message, const std::uint64_t* ack_id);

  SessionContext& ctx_;
  room::ClientIdentity identity_;
  bool connected_ = false;
  std::uint32_t pending_attachments_ = 0;
  std::uint32_t protocol_errors_ = 0;
};

}  // namespace sudachi::transport

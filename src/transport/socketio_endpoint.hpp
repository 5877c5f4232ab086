#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "room/client_identity.hpp"

namespace sudachi::socketio {
struct Packet;
}

namespace sudachi::transport {

class EngineSession;
struct SessionContext;

// The Socket.IO v5 layer of one Engine.IO session: CONNECT with JWT auth on the default
// namespace, EVENTs handed to the RoomService, and the rest of the protocol's rules (from
// the Socket.IO v5 spec and the reference server): a malformed packet or a second CONNECT
// closes the connection; CONNECTs to other namespaces get CONNECT_ERROR; binary packets are
// refused with an error, their attachments swallowed. Every packet after CONNECT costs a
// point of the client's event budget, not only events, so that no packet kind is free to
// flood with. Runs on the session's executor.
class SocketIoEndpoint {
 public:
  SocketIoEndpoint(SessionContext& ctx, std::string remote_ip);

  enum class Verdict {
    keep,
    disconnect,  // the client's own DISCONNECT: an ordinary end
    violation,   // the peer broke the protocol: close the session
  };

  // One Engine.IO MESSAGE (text after the '4').
  Verdict on_message(const std::shared_ptr<EngineSession>& session, std::string_view text);
  // One binary Engine.IO MESSAGE: only attachments announced by a refused binary packet.
  Verdict on_binary(const std::shared_ptr<EngineSession>& session, std::string_view bytes);
  // The Engine.IO session is closing.
  void on_close(const EngineSession& session);

  bool connected() const { return connected_; }
  const std::string& remote_ip() const { return identity_.remote_ip; }

 private:
  Verdict on_connect(const std::shared_ptr<EngineSession>& session, const socketio::Packet& packet);
  Verdict on_binary_packet(const std::shared_ptr<EngineSession>& session,
                           const socketio::Packet& packet);
  // Charges one point of the client's event budget; when refused and `ack_id` names an
  // acknowledgement, answers RATE_LIMITED through it.
  void charge(const std::shared_ptr<EngineSession>& session,
              std::optional<std::uint64_t> refused_ack_id, bool answer_refusal);

  SessionContext& ctx_;
  room::ClientIdentity identity_;
  bool connected_ = false;
  std::uint32_t pending_attachments_ = 0;
  std::uint32_t refused_connects_ = 0;  // bad tokens and unknown namespaces
};

}  // namespace sudachi::transport

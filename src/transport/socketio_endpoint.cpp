#include "transport/socketio_endpoint.hpp"

#include <boost/json.hpp>

#include <spdlog/spdlog.h>

#include "common/random_id.hpp"
#include "protocol/socketio/packet.hpp"
#include "transport/engine_session.hpp"
#include "transport/session_context.hpp"

namespace sudachi::transport {
namespace json = boost::json;
namespace sio = socketio;

namespace {

// A client that keeps sending garbage is cut off rather than answered forever.
constexpr std::uint32_t kMaxProtocolErrors = 16;

room::SharedFrame frame(std::string text) {
  return std::make_shared<const std::string>(std::move(text));
}

// Derives a display name when the token carries none (operators' own identity services).
std::string fallback_username(const std::string& client_id) {
  return "player-" + client_id.substr(0, std::min<std::size_t>(8, client_id.size()));
}

}  // namespace

SocketIoEndpoint::SocketIoEndpoint(SessionContext& ctx, std::string remote_ip) : ctx_(ctx) {
  identity_.remote_ip = std::move(remote_ip);
}

void SocketIoEndpoint::send_error(EngineSession& session, std::string_view message,
                                  const std::uint64_t* ack_id) {
  json::object error{{"code", "INVALID_REQUEST"}, {"message", message}};
  if (connected_) session.enqueue(frame(sio::encode_event_frame("error", error)));
  if (ack_id != nullptr) {
    json::array args;
    args.emplace_back(json::object{{"success", false}, {"error", error}});
    session.enqueue(frame(sio::encode_ack_frame(*ack_id, args)));
  }
}

SocketIoEndpoint::Verdict SocketIoEndpoint::on_message(
    const std::shared_ptr<EngineSession>& session, std::string_view text) {
  if (pending_attachments_ > 0) {
    // Attachments follow their packet immediately; text in their place breaks the protocol.
    ctx_.metrics.protocol_errors.inc();
    return Verdict::close;
  }
  sio::Packet packet;
  const sio::DecodeError error = sio::decode(text, packet);
  if (error != sio::DecodeError::none) {
    ctx_.metrics.protocol_errors.inc();
    if (!connected_ || ++protocol_errors_ > kMaxProtocolErrors) return Verdict::close;
    send_error(*session, std::string("Malformed packet: ") + std::string(sio::to_string(error)),
               nullptr);
    return Verdict::keep;
  }

  if (packet.type == sio::PacketType::connect) return on_connect(session, packet);

  if (packet.nsp != "/") {
    // Only the default namespace exists; a client can only be here after a refused CONNECT.
    ctx_.metrics.protocol_errors.inc();
    return ++protocol_errors_ > kMaxProtocolErrors ? Verdict::close : Verdict::keep;
  }
  if (!connected_) {
    ctx_.metrics.protocol_errors.inc();
    return Verdict::close;
  }

  switch (packet.type) {
    case sio::PacketType::event: {
      auto& args = packet.data.as_array();  // the codec guarantees [string, ...]
      std::string name(args[0].as_string());
      json::value payload = args.size() > 1 ? std::move(args[1]) : json::value(nullptr);
      ctx_.service.on_event(identity_, session, name, std::move(payload), packet.id);
      return Verdict::keep;
    }
    case sio::PacketType::binary_event:
    case sio::PacketType::binary_ack:
      pending_attachments_ = packet.attachments;
      send_error(*session, "Binary attachments are not supported",
                 packet.id && packet.type == sio::PacketType::binary_event ? &*packet.id : nullptr);
      return Verdict::keep;
    case sio::PacketType::disconnect:
      connected_ = false;
      ctx_.metrics.socketio_connected.dec();
      ctx_.service.on_disconnected(identity_, session.get());
      return Verdict::close;
    case sio::PacketType::ack:
      return Verdict::keep;  // the server never asks clients for acks
    case sio::PacketType::connect:
    case sio::PacketType::connect_error:
      break;
  }
  ctx_.metrics.protocol_errors.inc();
  return Verdict::close;
}

SocketIoEndpoint::Verdict SocketIoEndpoint::on_connect(
    const std::shared_ptr<EngineSession>& session, const sio::Packet& packet) {
  if (packet.nsp != "/") {
    session->enqueue(
        frame(sio::encode_connect_error_frame(packet.nsp, "Invalid namespace", nullptr)));
    return Verdict::keep;
  }
  if (connected_) return Verdict::keep;  // a repeated CONNECT changes nothing

  std::string_view token;
  if (packet.data.is_object()) {
    if (const auto* t = packet.data.as_object().if_contains("token"); t && t->is_string()) {
      token = t->as_string();
    }
  }
  auto claims = ctx_.jwt.verify(token, ctx_.clock.unix_ms() / 1000);
  if (!claims) {
    ctx_.metrics.refused.with({"auth_failed"}).inc();
    session->enqueue(frame(sio::encode_connect_error_frame("/", "Invalid authentication token",
                                                           json::object{{"code", "AUTH_FAILED"}})));
    return Verdict::keep;
  }

  identity_.client_id = claims->sub;
  identity_.username = claims->name.empty() ? fallback_username(claims->sub) : claims->name;
  identity_.platform = claims->platform.empty() ? "unknown" : claims->platform;
  identity_.sudachi_version = claims->version.empty() ? "unknown" : claims->version;
  connected_ = true;
  ctx_.metrics.socketio_connected.inc();
  session->enqueue(frame(sio::encode_connect_frame(random_token(15))));
  ctx_.service.on_connected(identity_, session);
  return Verdict::keep;
}

SocketIoEndpoint::Verdict SocketIoEndpoint::on_binary(const std::shared_ptr<EngineSession>&) {
  if (pending_attachments_ == 0) {
    ctx_.metrics.protocol_errors.inc();
    return Verdict::close;
  }
  --pending_attachments_;
  return Verdict::keep;
}

void SocketIoEndpoint::on_close(const EngineSession& session) {
  if (!connected_) return;
  connected_ = false;
  ctx_.metrics.socketio_connected.dec();
  ctx_.service.on_disconnected(identity_, &session);
}

}  // namespace sudachi::transport

#include "transport/socketio_endpoint.hpp"

#include <boost/json.hpp>

#include "common/random_id.hpp"
#include "protocol/socketio/packet.hpp"
#include "room/validation.hpp"
#include "transport/engine_session.hpp"
#include "transport/security_log.hpp"
#include "transport/session_context.hpp"

namespace sudachi::transport {
namespace json = boost::json;
namespace sio = socketio;
using Verdict = SocketIoEndpoint::Verdict;

namespace {

// Refused CONNECTs (bad token, unknown namespace) a session may make before it is cut off:
// enough for a client that retries with a fresh token, too few to make JWT checks a flood.
constexpr std::uint32_t kMaxRefusedConnects = 4;
// Attachments one binary packet may announce. None is accepted; the count only bounds how
// many binary frames are swallowed before the connection is considered hostile.
constexpr std::uint32_t kMaxAttachments = 10;

room::SharedFrame frame(std::string text) {
  return std::make_shared<const std::string>(std::move(text));
}

// An `error` event and, when the client asked for one, the failed ack.
void send_error(EngineSession& session, ErrorCode code, std::string_view message,
                std::optional<std::uint64_t> ack_id, int retry_after = 0) {
  json::object error{{"code", to_string(code)}, {"message", message}};
  if (retry_after > 0) error["retryAfter"] = retry_after;
  if (ack_id) {
    json::array args;
    args.emplace_back(json::object{{"success", false}, {"error", error}});
    session.send(frame(sio::encode_ack_frame(*ack_id, args)));
  }
  session.send(frame(sio::encode_event_frame("error", error)));
}

// Derives a display name when the token carries none (operators' own identity services).
std::string fallback_username(const std::string& client_id) {
  return "player-" + client_id.substr(0, std::min<std::size_t>(8, client_id.size()));
}

}  // namespace

SocketIoEndpoint::SocketIoEndpoint(SessionContext& ctx, std::string remote_ip) : ctx_(ctx) {
  identity_.remote_ip = std::move(remote_ip);
}

Verdict SocketIoEndpoint::on_message(const std::shared_ptr<EngineSession>& session,
                                     std::string_view text) {
  // Attachments follow their packet immediately; text in their place breaks the protocol.
  if (pending_attachments_ > 0) return Verdict::violation;
  sio::Packet packet;
  // The Socket.IO spec: a server MUST close the connection on a packet it cannot decode.
  if (sio::decode(text, packet) != sio::DecodeError::none) return Verdict::violation;

  if (packet.type == sio::PacketType::connect) return on_connect(session, packet);
  // Before CONNECT nothing but CONNECT is meaningful.
  if (!connected_) return Verdict::violation;
  if (packet.nsp != "/") {
    // Only the default namespace exists: a packet for another one is ignored, but not free.
    charge(session, std::nullopt, false);
    return Verdict::keep;
  }

  switch (packet.type) {
    case sio::PacketType::event: {
      auto& args = packet.data.as_array();  // the codec guarantees [string, ...]
      const json::string& name = args[0].as_string();
      json::value payload = args.size() > 1 ? std::move(args[1]) : json::value(nullptr);
      ctx_.service.on_event(identity_, session, std::string_view(name.data(), name.size()),
                            std::move(payload), packet.id);
      return Verdict::keep;
    }
    case sio::PacketType::binary_event:
    case sio::PacketType::binary_ack:
      return on_binary_packet(session, packet);
    case sio::PacketType::ack:
      charge(session, std::nullopt, false);  // the server never asks clients for acks
      return Verdict::keep;
    case sio::PacketType::disconnect:
      connected_ = false;
      ctx_.metrics.socketio_connected.dec();
      ctx_.service.on_disconnected(identity_, session.get());
      return Verdict::disconnect;
    case sio::PacketType::connect:
    case sio::PacketType::connect_error:
      break;
  }
  return Verdict::violation;
}

Verdict SocketIoEndpoint::on_binary_packet(const std::shared_ptr<EngineSession>& session,
                                           const sio::Packet& packet) {
  if (packet.attachments > kMaxAttachments) return Verdict::violation;
  pending_attachments_ = packet.attachments;
  const bool answer = packet.type == sio::PacketType::binary_event;
  ctx_.event_limiter.consume(
      identity_.client_id, [weak = std::weak_ptr<EngineSession>(session), id = packet.id, answer,
                            client = identity_.client_id](room::RateDecision d) {
        if (!d.allowed) log_rate_limited("event", client);
        auto s = weak.lock();
        if (!s || !answer) return;
        if (d.allowed) {
          send_error(*s, ErrorCode::invalid_request, "Binary attachments are not supported", id);
        } else {
          send_error(*s, ErrorCode::rate_limited, default_message(ErrorCode::rate_limited), id,
                     d.retry_after_seconds);
        }
      });
  return Verdict::keep;
}

void SocketIoEndpoint::charge(const std::shared_ptr<EngineSession>& session,
                              std::optional<std::uint64_t> refused_ack_id, bool answer_refusal) {
  if (!connected_) return;
  ctx_.event_limiter.consume(
      identity_.client_id, [weak = std::weak_ptr<EngineSession>(session), refused_ack_id,
                            answer_refusal, client = identity_.client_id](room::RateDecision d) {
        if (!d.allowed) log_rate_limited("event", client);
        if (d.allowed || !answer_refusal) return;
        if (auto s = weak.lock()) {
          send_error(*s, ErrorCode::rate_limited, default_message(ErrorCode::rate_limited),
                     refused_ack_id, d.retry_after_seconds);
        }
      });
}

Verdict SocketIoEndpoint::on_connect(const std::shared_ptr<EngineSession>& session,
                                     const sio::Packet& packet) {
  if (packet.nsp != "/") {
    if (++refused_connects_ > kMaxRefusedConnects) return Verdict::violation;
    charge(session, std::nullopt, false);
    session->send(frame(sio::encode_connect_error_frame(packet.nsp, "Invalid namespace", nullptr)));
    return Verdict::keep;
  }
  // A second CONNECT on a connected namespace: the reference server closes.
  if (connected_) return Verdict::violation;

  std::string_view token;
  if (packet.data.is_object()) {
    if (const auto* t = packet.data.as_object().if_contains("token"); t && t->is_string()) {
      token = t->as_string();
    }
  }
  auto claims = ctx_.jwt.verify(token, ctx_.clock.unix_ms() / 1000);
  if (!claims) {
    ctx_.metrics.refused(Refusal::auth_failed);
    log_refusal(Refusal::auth_failed, identity_.remote_ip);
    if (++refused_connects_ > kMaxRefusedConnects) return Verdict::violation;
    session->send(frame(sio::encode_connect_error_frame("/", "Invalid authentication token",
                                                        json::object{{"code", "AUTH_FAILED"}})));
    return Verdict::keep;
  }

  identity_.client_id = claims->sub;
  // Our guest tokens carry names that passed sign-up; an operator's may not: the same rules.
  auto username = room::username_from_claim(claims->name);
  identity_.username = username ? std::move(*username) : fallback_username(claims->sub);
  identity_.platform = claims->platform.empty() ? "unknown" : claims->platform;
  identity_.sudachi_version = claims->version.empty() ? "unknown" : claims->version;
  connected_ = true;
  ctx_.metrics.socketio_connected.inc();
  session->send(frame(sio::encode_connect_frame(random_token(15))));
  ctx_.service.on_connected(identity_, session);
  return Verdict::keep;
}

Verdict SocketIoEndpoint::on_binary(const std::shared_ptr<EngineSession>& session,
                                    std::string_view) {
  if (pending_attachments_ == 0) return Verdict::violation;
  --pending_attachments_;
  charge(session, std::nullopt, false);
  return Verdict::keep;
}

void SocketIoEndpoint::on_close(const EngineSession& session) {
  if (!connected_) return;
  connected_ = false;
  ctx_.metrics.socketio_connected.dec();
  ctx_.service.on_disconnected(identity_, &session);
}

}  // namespace sudachi::transport

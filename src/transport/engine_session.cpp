#include "transport/engine_session.hpp"

#include <boost/asio/post.hpp>

#include <spdlog/spdlog.h>

#include "protocol/engineio/packet.hpp"
#include "transport/session_context.hpp"
#include "transport/ws_link.hpp"

namespace sudachi::transport {
namespace asio = boost::asio;
namespace eio = engineio;

namespace {
constexpr char kRecordSeparator = '\x1e';
// Closes the server starts; the client is still there and should hear about them.
constexpr std::string_view kReasonShutdown = "server shutting down";
constexpr std::string_view kReasonServerDisconnect = "server disconnect";
}  // namespace

EngineSession::EngineSession(Executor executor, std::string sid, std::string remote_ip,
                             Transport transport, SessionContext& ctx)
    : executor_(executor),
      sid_(std::move(sid)),
      ctx_(ctx),
      transport_(transport),
      socketio_(ctx, std::move(remote_ip)),
      ping_timer_(executor),
      connect_timer_(executor),
      upgrade_timer_(executor) {
  ctx_.metrics.handshakes.inc();
  (transport_ == Transport::polling ? ctx_.metrics.engine_sessions_polling
                                    : ctx_.metrics.engine_sessions_websocket)
      .inc();
}

EngineSession::~EngineSession() = default;

// ---------------------------------------------------------------- cross-thread entry points

void EngineSession::send(room::SharedFrame frame) {
  if (executor_.running_in_this_thread()) {
    enqueue(std::move(frame));
    return;
  }
  asio::post(executor_, [self = shared_from_this(), f = std::move(frame)]() mutable {
    self->enqueue(std::move(f));
  });
}

void EngineSession::disconnect() {
  asio::post(executor_, [self = shared_from_this()] {
    if (self->closed_) return;
    self->enqueue(std::make_shared<const std::string>("41"));
    self->close(kReasonServerDisconnect);
  });
}

void EngineSession::shutdown() {
  asio::post(executor_, [self = shared_from_this()] { self->close(kReasonShutdown); });
}

// ---------------------------------------------------------------- lifecycle

std::string EngineSession::open_packet() const {
  return eio::encode_open(sid_, transport_ == Transport::polling, ctx_.config.ping_interval_ms,
                          ctx_.config.ping_timeout_ms, ctx_.config.max_payload);
}

void EngineSession::start(std::shared_ptr<WsLink> ws) {
  if (ws) {
    ws_ = std::move(ws);
    ctx_.metrics.websocket_connections.inc();
    send_control(open_packet());
  }
  schedule_ping();
  connect_timer_.expires_after(std::chrono::milliseconds(ctx_.config.connect_timeout_ms));
  connect_timer_.async_wait([weak = weak_from_this()](boost::system::error_code ec) {
    auto self = weak.lock();
    if (ec || !self || self->closed_ || self->socketio_.connected()) return;
    self->close("socket.io connect timeout");
  });
}

void EngineSession::close(std::string_view reason) {
  if (closed_) return;
  closed_ = true;
  ++ping_generation_;
  ping_timer_.cancel();
  connect_timer_.cancel();
  upgrade_timer_.cancel();
  socketio_.on_close(*this);
  // A polling client between two GETs would learn of a server-side close only through an
  // error on its next request ("Session ID unknown"), and then not reconnect cleanly. As the
  // reference server does, the session stays findable until that GET, which gets what was
  // queued and a CLOSE packet; bounded by a timer in case the client never comes back.
  const bool server_initiated = reason == kReasonShutdown || reason == kReasonServerDisconnect;
  if (server_initiated && transport_ == Transport::polling && !pending_get_ && !upgrading_ &&
      !probe_ws_) {
    queue_.push_back(std::make_shared<const std::string>("1"));
    awaiting_final_poll_ = true;
    connect_timer_.expires_after(
        std::chrono::milliseconds(std::min<std::uint32_t>(ctx_.config.ping_timeout_ms, 5'000)));
    connect_timer_.async_wait([weak = weak_from_this()](boost::system::error_code ec) {
      if (auto self = weak.lock(); self && !ec) self->finish_final_poll();
    });
  } else {
    ctx_.registry.remove(sid_);
  }
  ctx_.metrics.closed.with({std::string(reason)}).inc();
  (transport_ == Transport::polling ? ctx_.metrics.engine_sessions_polling
                                    : ctx_.metrics.engine_sessions_websocket)
      .dec();

  if (pending_get_) {
    // A waiting poll learns of the close through a CLOSE packet, after anything queued.
    queue_.push_back(std::make_shared<const std::string>("1"));
    flush_poll();
  }
  if (ws_) {
    ws_->close();
    ws_.reset();
    ctx_.metrics.websocket_connections.dec();
  }
  if (probe_ws_) {
    probe_ws_->close();
    probe_ws_.reset();
  }
  if (awaiting_final_poll_) return;
  queue_.clear();
  queued_bytes_ = 0;
  SPDLOG_DEBUG("engine.io session {} closed: {}", sid_, reason);
}

// ---------------------------------------------------------------- heartbeat

void EngineSession::schedule_ping() {
  const std::uint64_t generation = ++ping_generation_;
  ping_timer_.expires_after(std::chrono::milliseconds(ctx_.config.ping_interval_ms));
  ping_timer_.async_wait([weak = weak_from_this(), generation](boost::system::error_code ec) {
    if (auto self = weak.lock(); self && !ec) self->on_ping_due(generation);
  });
}

void EngineSession::on_ping_due(std::uint64_t generation) {
  if (closed_ || generation != ping_generation_) return;
  awaiting_pong_ = true;
  send_control("2");
  ping_timer_.expires_after(std::chrono::milliseconds(ctx_.config.ping_timeout_ms));
  ping_timer_.async_wait([weak = weak_from_this(), generation](boost::system::error_code ec) {
    if (auto self = weak.lock(); self && !ec) self->on_pong_missing(generation);
  });
}

void EngineSession::on_pong_missing(std::uint64_t generation) {
  if (closed_ || generation != ping_generation_ || !awaiting_pong_) return;
  close("ping timeout");
}

// ---------------------------------------------------------------- outbound

void EngineSession::send_control(std::string frame) {
  enqueue(std::make_shared<const std::string>(std::move(frame)));
}

void EngineSession::enqueue(room::SharedFrame frame) {
  if (closed_) return;
  ctx_.metrics.frames_out.inc();
  if (transport_ == Transport::websocket && ws_ && !upgrading_) {
    ws_->send(std::move(frame));
    return;
  }
  queued_bytes_ += frame->size();
  queue_.push_back(std::move(frame));
  if (queue_.size() > ctx_.config.max_queued_frames ||
      queued_bytes_ > ctx_.config.max_queued_bytes) {
    close("slow consumer");
    return;
  }
  if (!upgrading_) flush_poll();
}

void EngineSession::flush_poll() {
  if (!pending_get_ || queue_.empty()) return;
  std::string body;
  body.reserve(queued_bytes_ + queue_.size());
  for (const auto& frame : queue_) {
    if (!body.empty()) body.push_back(kRecordSeparator);
    body += *frame;
  }
  queue_.clear();
  queued_bytes_ = 0;
  auto respond = std::move(pending_get_);
  pending_get_ = nullptr;
  respond(PollReply{200, "text/plain; charset=UTF-8", std::move(body)});
}

// ---------------------------------------------------------------- polling transport

void EngineSession::finish_final_poll() {
  if (!awaiting_final_poll_) return;
  awaiting_final_poll_ = false;
  queue_.clear();
  queued_bytes_ = 0;
  ctx_.registry.remove(sid_);
}

void EngineSession::handle_poll_get(PollRespond respond) {
  if (awaiting_final_poll_) {
    pending_get_ = std::move(respond);
    flush_poll();
    connect_timer_.cancel();
    finish_final_poll();
    return;
  }
  if (closed_) {
    respond(PollReply{400, "application/json",
                      eio::encode_http_error(eio::HttpErrorCode::unknown_sid)});
    return;
  }
  if (transport_ != Transport::polling) {
    respond(PollReply{400, "application/json",
                      eio::encode_http_error(eio::HttpErrorCode::bad_request)});
    return;
  }
  if (pending_get_) {
    // Two concurrent polls mean a confused or hostile client; the reference server closes.
    respond(PollReply{400, "application/json",
                      eio::encode_http_error(eio::HttpErrorCode::bad_request)});
    close("overlapping poll");
    return;
  }
  if (upgrading_) {
    // Complete the client's poll at once so that it can pause polling and finish the upgrade.
    respond(PollReply{200, "text/plain; charset=UTF-8", "6"});
    return;
  }
  pending_get_ = std::move(respond);
  flush_poll();
}

void EngineSession::handle_poll_post(std::string_view body, PollRespond respond) {
  if (closed_) {
    respond(PollReply{400, "application/json",
                      eio::encode_http_error(eio::HttpErrorCode::unknown_sid)});
    return;
  }
  if (transport_ != Transport::polling) {
    respond(PollReply{400, "application/json",
                      eio::encode_http_error(eio::HttpErrorCode::bad_request)});
    return;
  }
  if (body.size() > ctx_.config.max_payload) {
    respond(PollReply{413, "application/json",
                      eio::encode_http_error(eio::HttpErrorCode::bad_request)});
    close("payload too large");
    return;
  }
  std::vector<eio::Packet> packets;
  if (eio::decode_payload(body, packets, ctx_.config.max_packets_per_payload) !=
      eio::DecodeError::none) {
    ctx_.metrics.protocol_errors.inc();
    respond(PollReply{400, "application/json",
                      eio::encode_http_error(eio::HttpErrorCode::bad_request)});
    close("malformed payload");
    return;
  }
  // Answer first: packet handling may close the session, and the POST itself succeeded.
  respond(PollReply{200, "text/html", "ok"});
  auto keep_alive = shared_from_this();
  for (const auto& packet : packets) {
    if (closed_) break;
    on_packet(static_cast<char>(packet.type), packet.data, packet.binary);
  }
}

// ---------------------------------------------------------------- websocket transport

bool EngineSession::begin_upgrade(std::shared_ptr<WsLink> ws) {
  if (closed_ || transport_ != Transport::polling || upgrading_ || probe_ws_) return false;
  probe_ws_ = std::move(ws);
  upgrade_timer_.expires_after(std::chrono::milliseconds(ctx_.config.upgrade_timeout_ms));
  upgrade_timer_.async_wait([weak = weak_from_this()](boost::system::error_code ec) {
    auto self = weak.lock();
    if (ec || !self || !self->probe_ws_) return;
    // The client never completed the upgrade: drop the probe, keep polling.
    self->probe_ws_->close();
    self->probe_ws_.reset();
    self->upgrading_ = false;
    self->flush_poll();
  });
  return true;
}

void EngineSession::handle_ws_text(const WsLink* from, std::string_view text) {
  if (closed_) return;
  if (from == probe_ws_.get()) {
    if (text == "2probe") {
      upgrading_ = true;
      probe_ws_->send(std::make_shared<const std::string>("3probe"));
      if (pending_get_) {
        auto respond = std::move(pending_get_);
        pending_get_ = nullptr;
        respond(PollReply{200, "text/plain; charset=UTF-8", "6"});
      }
    } else if (text == "5" && upgrading_) {
      finish_upgrade();
    } else {
      ctx_.metrics.protocol_errors.inc();
      probe_ws_->close();
      probe_ws_.reset();
      upgrading_ = false;
      flush_poll();
    }
    return;
  }
  if (from != ws_.get() || text.empty()) {
    if (from == ws_.get()) close("malformed packet");
    return;
  }
  ctx_.metrics.frames_in.inc();
  on_packet(text.front(), text.substr(1), false);
}

void EngineSession::handle_ws_binary(const WsLink* from) {
  if (closed_ || from != ws_.get()) return;
  ctx_.metrics.frames_in.inc();
  on_packet('4', {}, true);
}

void EngineSession::handle_ws_closed(const WsLink* from) {
  if (from == probe_ws_.get() && probe_ws_) {
    probe_ws_.reset();
    upgrading_ = false;
    upgrade_timer_.cancel();
    flush_poll();
    return;
  }
  if (from == ws_.get() && ws_) {
    ws_.reset();
    ctx_.metrics.websocket_connections.dec();
    close("transport close");
  }
}

void EngineSession::finish_upgrade() {
  upgrade_timer_.cancel();
  if (pending_get_) {
    auto respond = std::move(pending_get_);
    pending_get_ = nullptr;
    respond(PollReply{200, "text/plain; charset=UTF-8", "6"});
  }
  ctx_.metrics.engine_sessions_polling.dec();
  ctx_.metrics.engine_sessions_websocket.inc();
  ctx_.metrics.websocket_connections.inc();
  ctx_.metrics.upgrades.inc();
  transport_ = Transport::websocket;
  ws_ = std::move(probe_ws_);
  upgrading_ = false;
  // What queued up during the probe goes out in order on the new transport.
  std::deque<room::SharedFrame> held;
  held.swap(queue_);
  queued_bytes_ = 0;
  for (auto& frame : held) ws_->send(std::move(frame));
}

// ---------------------------------------------------------------- inbound packets

void EngineSession::on_packet(char type, std::string_view data, bool binary) {
  switch (static_cast<eio::PacketType>(type)) {
    case eio::PacketType::pong:
      if (!awaiting_pong_) return;  // unsolicited: must not postpone the heartbeat
      awaiting_pong_ = false;
      schedule_ping();
      return;
    case eio::PacketType::ping:
      // v4 clients do not ping outside the upgrade probe; answering is harmless.
      send_control("3" + std::string(data));
      return;
    case eio::PacketType::message: {
      auto self = shared_from_this();
      auto verdict = binary ? socketio_.on_binary(self) : socketio_.on_message(self, data);
      if (verdict == SocketIoEndpoint::Verdict::close) close("socket.io protocol violation");
      return;
    }
    case eio::PacketType::close:
      close("client close");
      return;
    case eio::PacketType::noop:
      return;
    case eio::PacketType::open:
    case eio::PacketType::upgrade:
      break;
  }
  ctx_.metrics.protocol_errors.inc();
  close("unexpected engine.io packet");
}

}  // namespace sudachi::transport

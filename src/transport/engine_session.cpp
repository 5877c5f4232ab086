#include "transport/engine_session.hpp"

#include <boost/asio/post.hpp>

#include <spdlog/spdlog.h>

#include "protocol/engineio/packet.hpp"
#include "protocol/socketio/packet.hpp"
#include "transport/security_log.hpp"
#include "transport/session_context.hpp"
#include "transport/ws_connection.hpp"

namespace sudachi::transport {
namespace asio = boost::asio;
namespace eio = engineio;
using eio::CloseReason;

namespace {

websocket::CloseCode close_code_for(CloseReason reason) {
  switch (reason) {
    case CloseReason::client_close:
    case CloseReason::server_disconnect:
      return websocket::CloseCode::normal;
    case CloseReason::server_shutdown:
      return websocket::CloseCode::going_away;
    case CloseReason::payload_too_large:
      return websocket::CloseCode::message_too_big;
    case CloseReason::connect_timeout:
      return websocket::CloseCode::policy_violation;
    default:
      return websocket::CloseCode::protocol_error;
  }
}

eio::SessionConfig session_config(const TransportConfig& c) {
  eio::SessionConfig s;
  s.ping_interval_ms = c.ping_interval_ms;
  s.ping_timeout_ms = c.ping_timeout_ms;
  s.upgrade_timeout_ms = c.upgrade_timeout_ms;
  s.connect_timeout_ms = c.connect_timeout_ms;
  s.max_payload = c.max_payload;
  s.max_queued_frames = c.max_queued_frames;
  s.max_queued_bytes = c.max_queued_bytes;
  s.max_packets_per_payload = c.max_packets_per_payload;
  return s;
}

metrics::Gauge& sessions_gauge(TransportMetrics& m, eio::Transport t) {
  return t == eio::Transport::polling ? m.engine_sessions_polling : m.engine_sessions_websocket;
}

}  // namespace

EngineSession::EngineSession(Executor executor, std::string sid, std::string remote_ip,
                             eio::Transport transport, SessionContext& ctx)
    : executor_(executor),
      sid_(std::move(sid)),
      ctx_(ctx),
      core_(session_config(ctx.config), transport, ctx.clock.steady_ms()),
      counted_as_(transport),
      socketio_(ctx, std::move(remote_ip)),
      timer_(executor) {
  ctx_.metrics.handshakes.inc();
  sessions_gauge(ctx_.metrics, counted_as_).inc();
}

EngineSession::~EngineSession() {
  // A session torn down with its loop (server stop) never ran its close.
  if (!gauges_released_) sessions_gauge(ctx_.metrics, counted_as_).dec();
}

std::int64_t EngineSession::now() const {
  return ctx_.clock.steady_ms();
}

// ------------------------------------------------------------------ any thread

void EngineSession::send(room::SharedFrame frame) {
  if (executor_.running_in_this_thread()) {
    core_.send(std::move(frame));
    schedule_flush();
    return;
  }
  asio::post(executor_, [self = shared_from_this(), f = std::move(frame)]() mutable {
    self->core_.send(std::move(f));
    self->schedule_flush();
  });
}

void EngineSession::disconnect() {
  asio::post(executor_, [self = shared_from_this()] {
    if (self->core_.closed()) return;
    static const eio::Frame kDisconnect =
        std::make_shared<const std::string>(socketio::encode_disconnect_frame());
    self->core_.send(kDisconnect);
    self->close(CloseReason::server_disconnect);
  });
}

void EngineSession::shutdown() {
  asio::post(executor_, [self = shared_from_this()] { self->close(CloseReason::server_shutdown); });
}

// ------------------------------------------------------------------ lifecycle

std::string EngineSession::open_packet() const {
  return eio::encode_open(sid_, core_.transport() == eio::Transport::polling,
                          ctx_.config.ping_interval_ms, ctx_.config.ping_timeout_ms,
                          ctx_.config.max_payload);
}

void EngineSession::start(std::shared_ptr<WsConnection> primary) {
  if (primary) {
    primary_ = std::move(primary);
    ctx_.metrics.websocket_connections.inc();
    core_.send(std::make_shared<const std::string>(open_packet()));
  }
  schedule_flush();
}

void EngineSession::abandon() {
  primary_.reset();
  probe_.reset();
  parked_get_ = nullptr;
}

void EngineSession::close(CloseReason reason) {
  core_.close(reason);
  schedule_flush();
}

// ------------------------------------------------------------------ polling

void EngineSession::handle_poll_get(PollRespond respond) {
  // Effects still pending may hold the answer to the GET parked before this one: deliver them
  // first, or this GET would take its place in `parked_get_` and that one never be answered.
  if (flush_scheduled_) flush();
  if (auto reply = core_.on_poll_get(now())) {
    respond(std::move(*reply));
  } else {
    parked_get_ = std::move(respond);
  }
  schedule_flush();
}

void EngineSession::handle_poll_post(std::string body, PollRespond respond) {
  std::vector<eio::Packet> packets;
  PollReply reply = core_.on_poll_post(body, packets);
  if (reply.status == 400 && core_.closed()) ctx_.metrics.protocol_errors.inc();
  respond(std::move(reply));
  const std::int64_t t = now();
  for (const eio::Packet& packet : packets) {
    if (core_.closed()) break;
    ctx_.metrics.frames_in.inc();
    if (auto inbound = core_.on_packet(packet.type, packet.data, packet.binary, t)) {
      deliver(*inbound);
    }
  }
  schedule_flush();
}

// ------------------------------------------------------------------ WebSocket

eio::Link EngineSession::link_of(const WsConnection* from) const {
  return from == probe_.get() ? eio::Link::probe : eio::Link::primary;
}

bool EngineSession::attach_probe(std::shared_ptr<WsConnection> probe) {
  if (!core_.on_probe_open(now())) return false;
  probe_ = std::move(probe);
  schedule_flush();  // the upgrade deadline needs the timer
  return true;
}

void EngineSession::on_ws_message(const WsConnection* from, bool binary, std::string_view data) {
  if (from != primary_.get() && from != probe_.get()) return;
  ctx_.metrics.frames_in.inc();
  const eio::Link link = link_of(from);
  auto inbound =
      binary ? core_.on_ws_binary(link, data, now()) : core_.on_ws_text(link, data, now());
  // The UPGRADE packet made the probe the primary: promote it now, not at the next flush. The
  // client sends its buffered packets right behind "5", often in the same read, and each one
  // must already find the probe promoted, or it would be taken for a probe packet and lost.
  if (link == eio::Link::probe && from == probe_.get() &&
      core_.transport() == eio::Transport::websocket) {
    promote_probe();
  }
  if (inbound) deliver(*inbound);
  schedule_flush();
}

void EngineSession::promote_probe() {
  primary_ = std::move(probe_);
  primary_->promote();
  sessions_gauge(ctx_.metrics, counted_as_).dec();
  counted_as_ = eio::Transport::websocket;
  sessions_gauge(ctx_.metrics, counted_as_).inc();
  ctx_.metrics.websocket_connections.inc();
  ctx_.metrics.upgrades.inc();
}

void EngineSession::on_ws_closed(const WsConnection* from, CloseReason why) {
  if (from == probe_.get()) {
    probe_.reset();
    core_.on_ws_closed(eio::Link::probe, why);
  } else if (from == primary_.get()) {
    primary_.reset();
    ctx_.metrics.websocket_connections.dec();
    core_.on_ws_closed(eio::Link::primary, why);
  }
  schedule_flush();
}

void EngineSession::take_ws_frames(const WsConnection* from, std::vector<eio::Frame>& out) {
  if (from != primary_.get()) return;
  core_.take_ws_frames(out);
}

// ------------------------------------------------------------------ inbound

void EngineSession::deliver(const eio::Inbound& inbound) {
  auto self = shared_from_this();
  const auto verdict = inbound.binary ? socketio_.on_binary(self, inbound.data)
                                      : socketio_.on_message(self, inbound.data);
  switch (verdict) {
    case SocketIoEndpoint::Verdict::keep:
      break;
    case SocketIoEndpoint::Verdict::disconnect:
      core_.close(CloseReason::client_close);
      break;
    case SocketIoEndpoint::Verdict::violation:
      ctx_.metrics.protocol_errors.inc();
      core_.close(CloseReason::upper_violation);
      break;
  }
  if (socketio_.connected()) core_.upper_connected();
}

// ------------------------------------------------------------------ effects

void EngineSession::schedule_flush() {
  if (flush_scheduled_) return;
  flush_scheduled_ = true;
  asio::post(executor_, [self = shared_from_this()] { self->flush(); });
}

void EngineSession::flush() {
  flush_scheduled_ = false;
  eio::Effects e;
  core_.take_effects(e);

  if (!e.probe_frames.empty() && probe_) probe_->write_frames(std::move(e.probe_frames));
  if (e.promote_probe && probe_) promote_probe();  // normally done already, on the "5" itself
  if (e.get_reply && parked_get_) {
    auto respond = std::move(parked_get_);
    parked_get_ = nullptr;
    respond(std::move(*e.get_reply));
  }
  if (e.close_probe && probe_) {
    probe_->close(e.probe_misbehaved ? websocket::CloseCode::protocol_error
                                     : websocket::CloseCode::going_away,
                  {}, false);
    probe_.reset();
  }
  if (primary_ && core_.ws_frames_pending()) primary_->kick();
  if (e.close_primary && primary_) {
    const CloseReason reason = core_.close_reason().value_or(CloseReason::transport_close);
    primary_->close(close_code_for(reason), std::move(e.final_frames),
                    !eio::peer_reachable(reason));
    primary_.reset();
    ctx_.metrics.websocket_connections.dec();
  }
  if (e.closed) on_closed(*e.closed);
  if (e.forget) {
    ctx_.registry.remove(sid_);
    // Nothing will answer a GET parked on a forgotten session: release its connection.
    if (parked_get_) {
      auto respond = std::move(parked_get_);
      parked_get_ = nullptr;
      respond(PollReply{400, "application/json",
                        eio::encode_http_error(eio::HttpErrorCode::unknown_sid)});
    }
  }
  arm_timer();
}

void EngineSession::on_closed(CloseReason reason) {
  ctx_.metrics.closed(reason);
  if (!gauges_released_) {
    gauges_released_ = true;
    sessions_gauge(ctx_.metrics, counted_as_).dec();
  }
  socketio_.on_close(*this);
  log_close(reason, socketio_.remote_ip(), sid_);
}

// ------------------------------------------------------------------ time

void EngineSession::arm_timer() {
  const auto deadline = core_.next_deadline();
  if (!deadline) return;
  // A later deadline keeps the timer armed for the earlier one: it fires, finds nothing due,
  // and re-arms. Only an earlier deadline re-arms now (and cancels the armed wait).
  if (timer_at_ms_ != 0 && timer_at_ms_ <= *deadline) return;
  timer_at_ms_ = *deadline;
  const std::uint64_t generation = ++timer_generation_;
  timer_.expires_after(std::chrono::milliseconds(std::max<std::int64_t>(0, *deadline - now())));
  timer_.async_wait([weak = weak_from_this(), generation](const boost::system::error_code& ec) {
    auto self = weak.lock();
    if (!self || ec || generation != self->timer_generation_) return;
    self->timer_at_ms_ = 0;
    self->core_.on_timer(self->now());
    self->schedule_flush();
  });
}

}  // namespace sudachi::transport

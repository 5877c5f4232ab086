#include "protocol/engineio/server_session.hpp"

#include <algorithm>

namespace sudachi::engineio {

namespace {

constexpr char kRecordSeparator = '\x1e';

// The few control packets the server sends, encoded once by the codec.
const Frame& ping_frame() {
  static const Frame f = std::make_shared<const std::string>(encode_packet(PacketType::ping));
  return f;
}
const Frame& close_frame() {
  static const Frame f = std::make_shared<const std::string>(encode_packet(PacketType::close));
  return f;
}
const Frame& probe_pong_frame() {
  static const Frame f =
      std::make_shared<const std::string>(encode_packet(PacketType::pong, "probe"));
  return f;
}

PollReply noop_reply() {
  return PollReply{200, "text/plain; charset=UTF-8", encode_packet(PacketType::noop)};
}

PollReply error_reply(int status, HttpErrorCode code) {
  return PollReply{status, "application/json", encode_http_error(code)};
}

}  // namespace

std::string_view to_string(CloseReason reason) {
  switch (reason) {
    case CloseReason::client_close:
      return "client close";
    case CloseReason::transport_close:
      return "transport close";
    case CloseReason::transport_error:
      return "transport error";
    case CloseReason::ping_timeout:
      return "ping timeout";
    case CloseReason::connect_timeout:
      return "socket.io connect timeout";
    case CloseReason::slow_consumer:
      return "slow consumer";
    case CloseReason::protocol_violation:
      return "engine.io protocol violation";
    case CloseReason::upper_violation:
      return "socket.io protocol violation";
    case CloseReason::payload_too_large:
      return "payload too large";
    case CloseReason::overlapping_poll:
      return "overlapping poll";
    case CloseReason::server_disconnect:
      return "server disconnect";
    case CloseReason::server_shutdown:
      return "server shutting down";
  }
  return "unknown";
}

bool peer_reachable(CloseReason reason) {
  switch (reason) {
    case CloseReason::transport_close:
    case CloseReason::transport_error:
    case CloseReason::ping_timeout:
    case CloseReason::slow_consumer:
      return false;
    default:
      return true;
  }
}

ServerSession::ServerSession(const SessionConfig& config, Transport transport, std::int64_t now_ms)
    : config_(config),
      transport_(transport),
      next_ping_ms_(now_ms + config.ping_interval_ms),
      connect_deadline_ms_(now_ms + config.connect_timeout_ms),
      now_ms_(now_ms) {}

// ------------------------------------------------------------------ outbound

void ServerSession::send(Frame frame) {
  if (closed_) return;
  enqueue(std::move(frame));
}

void ServerSession::enqueue(Frame frame) {
  queued_bytes_ += frame->size();
  queue_.push_back(std::move(frame));
  if (queue_.size() > config_.max_queued_frames || queued_bytes_ > config_.max_queued_bytes) {
    close(CloseReason::slow_consumer);
  }
}

PollReply ServerSession::drain_queue_as_reply() {
  PollReply reply;
  reply.body.reserve(queued_bytes_ + queue_.size());
  for (const Frame& frame : queue_) {
    if (!reply.body.empty()) reply.body.push_back(kRecordSeparator);
    reply.body += *frame;
  }
  queue_.clear();
  queued_bytes_ = 0;
  return reply;
}

bool ServerSession::take_ws_frames(std::vector<Frame>& out) {
  if (transport_ != Transport::websocket || closed_ || queue_.empty()) return false;
  out.insert(out.end(), std::make_move_iterator(queue_.begin()),
             std::make_move_iterator(queue_.end()));
  queue_.clear();
  queued_bytes_ = 0;
  return true;
}

void ServerSession::take_effects(Effects& out) {
  // Frames queued during one input (an event and its ack, a burst of room events) go out in
  // one polling response: the answer to a parked GET waits until the input is over.
  if (!closed_ && transport_ == Transport::polling && probe_ != Probe::probing && get_parked_ &&
      !queue_.empty()) {
    effects_.get_reply = drain_queue_as_reply();
    get_parked_ = false;
  }
  out = std::move(effects_);
  effects_ = Effects{};
}

// ------------------------------------------------------------------ closing

void ServerSession::close(CloseReason reason) {
  if (closed_) return;
  closed_ = true;
  close_reason_ = reason;
  effects_.closed = reason;
  awaiting_pong_ = false;
  pong_deadline_ms_.reset();
  connect_deadline_ms_.reset();
  upgrade_deadline_ms_.reset();
  if (probe_ != Probe::none) {
    probe_ = Probe::none;
    effects_.close_probe = true;
  }
  const bool reachable = peer_reachable(reason);

  if (transport_ == Transport::websocket) {
    effects_.close_primary = true;
    if (reachable) {
      effects_.final_frames.assign(std::make_move_iterator(queue_.begin()),
                                   std::make_move_iterator(queue_.end()));
    }
    queue_.clear();
    queued_bytes_ = 0;
    effects_.forget = true;
    return;
  }

  // Polling: the peer learns of the close through a CLOSE packet in a GET response.
  if (get_parked_) {
    get_parked_ = false;
    // The client that closed knows already: its pending GET ends with a NOOP, as the
    // reference server answers it; anyone else is told with a CLOSE packet.
    if (reason == CloseReason::client_close) {
      queue_.clear();
      queued_bytes_ = 0;
      effects_.get_reply = noop_reply();
      effects_.forget = true;
      return;
    }
    // Whatever the reason, the answer is a valid payload ending in CLOSE: without it, an
    // unreachable reason with nothing queued (ping_timeout) answered 200 with an empty body,
    // which the client's parser rejects, and slow_consumer sent its whole overflowing backlog.
    // The backlog itself goes out only to a reachable peer.
    if (!reachable) {
      queue_.clear();
      queued_bytes_ = 0;
    }
    queue_.push_back(close_frame());
    effects_.get_reply = drain_queue_as_reply();
    effects_.forget = true;
    return;
  }
  const bool server_initiated =
      reason == CloseReason::server_disconnect || reason == CloseReason::server_shutdown;
  if (server_initiated) {
    // A polling client between two GETs would otherwise learn of the close only through an
    // error on its next request ("Session ID unknown") and not reconnect cleanly. As the
    // reference server does, the session stays findable until that GET, which collects what
    // was queued and the CLOSE packet; bounded in case the client never comes back.
    queue_.push_back(close_frame());
    final_poll_deadline_ms_ =
        now_ms_ + std::min(config_.final_poll_wait_ms, config_.ping_timeout_ms);
    return;
  }
  queue_.clear();
  queued_bytes_ = 0;
  effects_.forget = true;
}

void ServerSession::finish_final_poll() {
  final_poll_deadline_ms_.reset();
  queue_.clear();
  queued_bytes_ = 0;
  effects_.forget = true;
}

// ------------------------------------------------------------------ polling

std::optional<PollReply> ServerSession::on_poll_get(std::int64_t now_ms) {
  now_ms_ = now_ms;
  if (final_poll_deadline_ms_) {
    PollReply reply = drain_queue_as_reply();
    finish_final_poll();
    return reply;
  }
  if (closed_) return error_reply(400, HttpErrorCode::unknown_sid);
  if (transport_ != Transport::polling) return error_reply(400, HttpErrorCode::bad_request);
  if (get_parked_) {
    // Two GETs at once: a confused or hostile client (Engine.IO: 400 and close). The parked
    // one collects the CLOSE packet.
    close(CloseReason::overlapping_poll);
    return error_reply(400, HttpErrorCode::bad_request);
  }
  // During the upgrade probe the client pauses polling: let this GET return at once.
  if (probe_ == Probe::probing) return noop_reply();
  if (!queue_.empty()) return drain_queue_as_reply();
  get_parked_ = true;
  return std::nullopt;
}

PollReply ServerSession::on_poll_post(std::string_view body, std::vector<Packet>& packets) {
  packets.clear();
  if (closed_) return error_reply(400, HttpErrorCode::unknown_sid);
  if (transport_ != Transport::polling) return error_reply(400, HttpErrorCode::bad_request);
  if (body.size() > config_.max_payload) {
    close(CloseReason::payload_too_large);
    return PollReply{413, "application/json", encode_http_error(HttpErrorCode::bad_request)};
  }
  if (decode_payload(body, packets, config_.max_packets_per_payload) != DecodeError::none) {
    close(CloseReason::protocol_violation);
    return error_reply(400, HttpErrorCode::bad_request);
  }
  return PollReply{200, "text/html", "ok"};
}

// ------------------------------------------------------------------ WebSocket

bool ServerSession::on_probe_open(std::int64_t now_ms) {
  now_ms_ = now_ms;
  if (closed_ || transport_ != Transport::polling || probe_ != Probe::none) return false;
  probe_ = Probe::opened;
  upgrade_deadline_ms_ = now_ms + config_.upgrade_timeout_ms;
  return true;
}

// The transport learns of a promotion when it takes the effects; until then the messages that
// follow "5" in the same read, and the link's close, still come in as the probe's. They are the
// new primary's: without this, a client that sends "5" and its buffered packets back to back
// (engine.io-client does) lost those packets.
Link ServerSession::as_seen_by_session(Link link) const {
  return link == Link::probe && effects_.promote_probe ? Link::primary : link;
}

void ServerSession::end_probe(bool misbehaved) {
  probe_ = Probe::none;
  upgrade_deadline_ms_.reset();
  effects_.close_probe = true;
  effects_.probe_misbehaved = effects_.probe_misbehaved || misbehaved;
}

std::optional<Inbound> ServerSession::on_ws_text(Link link, std::string_view text,
                                                 std::int64_t now_ms) {
  now_ms_ = now_ms;
  if (closed_) return std::nullopt;
  link = as_seen_by_session(link);
  if (link == Link::probe) {
    Packet packet;
    const bool ok = decode_packet(text, packet) == DecodeError::none && !packet.binary;
    if (ok && probe_ == Probe::opened && packet.type == PacketType::ping &&
        packet.data == "probe") {
      effects_.probe_frames.push_back(probe_pong_frame());
      probe_ = Probe::probing;
      if (get_parked_) {
        get_parked_ = false;
        effects_.get_reply = noop_reply();  // lets the client pause polling
      }
    } else if (ok && probe_ == Probe::probing && packet.type == PacketType::upgrade &&
               packet.data.empty()) {
      transport_ = Transport::websocket;
      probe_ = Probe::none;
      upgrade_deadline_ms_.reset();
      effects_.promote_probe = true;
      if (get_parked_) {
        get_parked_ = false;
        effects_.get_reply = noop_reply();
      }
      // Frames held during the probe stay queued, in order: the new primary takes them.
    } else if (probe_ != Probe::none) {
      end_probe(true);
    }
    return std::nullopt;
  }
  if (transport_ != Transport::websocket || text.empty()) {
    close(CloseReason::protocol_violation);
    return std::nullopt;
  }
  const auto type = static_cast<PacketType>(text.front());
  if (type < PacketType::open || type > PacketType::noop) {
    close(CloseReason::protocol_violation);
    return std::nullopt;
  }
  return on_packet(type, text.substr(1), false, now_ms);
}

std::optional<Inbound> ServerSession::on_ws_binary(Link link, std::string_view bytes,
                                                   std::int64_t now_ms) {
  now_ms_ = now_ms;
  if (closed_) return std::nullopt;
  link = as_seen_by_session(link);
  if (link == Link::probe) {
    if (probe_ != Probe::none) end_probe(true);
    return std::nullopt;
  }
  if (transport_ != Transport::websocket) {
    close(CloseReason::protocol_violation);
    return std::nullopt;
  }
  return on_packet(PacketType::message, bytes, true, now_ms);
}

void ServerSession::on_ws_closed(Link link, CloseReason why) {
  link = as_seen_by_session(link);
  if (link == Link::probe) {
    if (probe_ != Probe::none && !closed_) {
      probe_ = Probe::none;
      upgrade_deadline_ms_.reset();
    }
    return;
  }
  if (transport_ == Transport::websocket) close(why);
}

// ------------------------------------------------------------------ packets and time

std::optional<Inbound> ServerSession::on_packet(PacketType type, std::string_view data, bool binary,
                                                std::int64_t now_ms) {
  now_ms_ = now_ms;
  if (closed_) return std::nullopt;
  switch (type) {
    case PacketType::message:
      return Inbound{binary, data};
    case PacketType::pong:
      if (awaiting_pong_) {  // an unsolicited pong must not postpone the heartbeat
        awaiting_pong_ = false;
        pong_deadline_ms_.reset();
        next_ping_ms_ = now_ms + config_.ping_interval_ms;
      }
      return std::nullopt;
    case PacketType::close:
      close(CloseReason::client_close);
      return std::nullopt;
    case PacketType::noop:
      return std::nullopt;
    case PacketType::ping:
      // Protocol v4 reversed the heartbeat: a client never pings outside the upgrade probe
      // (the reference server closes with "invalid heartbeat direction").
    case PacketType::open:
    case PacketType::upgrade:
      break;
  }
  close(CloseReason::protocol_violation);
  return std::nullopt;
}

void ServerSession::on_timer(std::int64_t now_ms) {
  now_ms_ = now_ms;
  if (closed_) {
    if (final_poll_deadline_ms_ && now_ms >= *final_poll_deadline_ms_) finish_final_poll();
    return;
  }
  if (connect_deadline_ms_ && now_ms >= *connect_deadline_ms_) {
    close(CloseReason::connect_timeout);
    return;
  }
  if (upgrade_deadline_ms_ && now_ms >= *upgrade_deadline_ms_) end_probe(false);
  if (awaiting_pong_) {
    if (pong_deadline_ms_ && now_ms >= *pong_deadline_ms_) close(CloseReason::ping_timeout);
    return;
  }
  if (now_ms >= next_ping_ms_) {
    awaiting_pong_ = true;
    pong_deadline_ms_ = now_ms + config_.ping_timeout_ms;
    enqueue(ping_frame());
  }
}

std::optional<std::int64_t> ServerSession::next_deadline() const {
  if (closed_) return final_poll_deadline_ms_;
  std::int64_t next = awaiting_pong_ && pong_deadline_ms_ ? *pong_deadline_ms_ : next_ping_ms_;
  if (connect_deadline_ms_) next = std::min(next, *connect_deadline_ms_);
  if (upgrade_deadline_ms_) next = std::min(next, *upgrade_deadline_ms_);
  return next;
}

}  // namespace sudachi::engineio

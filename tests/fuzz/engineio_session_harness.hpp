#pragma once

// The checking half of engineio_session_fuzz.cpp: a stand-in for src/transport/engine_session.cpp
// that feeds one ServerSession, carries out its effects and checks them against the contract
// of server_session.hpp after every step (the fuzz target decides which steps to take):
// - a closed session stays closed with one reason, reported once, and afterwards asks for
//   nothing but the end of its final poll (`forget`, at most once);
// - a MESSAGE on the session's transport reaches the layer above, whichever link the transport
//   still thinks it came in on; nothing else does;
// - a GET is parked only when none is, and only a parked GET is answered through the effects;
// - every GET reply is a valid Engine.IO payload (ending in CLOSE once the session has closed
//   for anything but a client close) or one of the documented HTTP errors; POST replies too;
// - nothing the session hands out exceeds its queue bounds, and the upper layer's frames come
//   out in order, each once, and all of them while the session stays open;
// - links: "3probe" only on an open probe, promotion only after it, the primary closed when
//   the session closes over WebSocket, no frames for a peer that cannot be reached;
// - the session always has a deadline while open, and a timer that fired leaves none due.
#include <charconv>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_support.hpp"
#include "protocol/engineio/packet.hpp"
#include "protocol/engineio/server_session.hpp"

namespace sudachi::fuzz::engineio_session {

namespace eio = engineio;
using eio::CloseReason;
using eio::Link;
using eio::Transport;

inline constexpr const char* kTarget = "engineio_session";
inline constexpr std::int64_t kT0 = 1'000'000;

inline const std::string kBadRequest = eio::encode_http_error(eio::HttpErrorCode::bad_request);
inline const std::string kUnknownSid = eio::encode_http_error(eio::HttpErrorCode::unknown_sid);

struct Harness {
  const std::uint8_t* data;  // the input, for SUDACHI_FUZZ_CHECK's report
  std::size_t size;
  eio::SessionConfig config;
  eio::ServerSession session;
  std::int64_t now = kT0;

  // The transport's side of the session.
  bool get_parked = false;
  bool probe_open = false;
  bool probe_answered = false;  // "3probe" written on the probe
  bool primary_open = false;
  std::vector<eio::Frame> in_flight;  // the primary's write in progress
  bool forgotten = false;
  bool connected = false;  // the upper layer's CONNECT came

  // The upper layer's frames "4<n>:..." go out in order: n = delivered + 1 each time.
  std::uint64_t sent = 0;
  std::uint64_t delivered = 0;

  // The state before the current step.
  struct Before {
    bool closed = false;
    std::optional<CloseReason> reason;
    bool forgotten = false;
    bool get_parked = false;
    bool probe_open = false;
    bool primary_open = false;
    Transport transport = Transport::polling;
  } before;

  Harness(const std::uint8_t* d, std::size_t s, const eio::SessionConfig& c, Transport t)
      : data(d), size(s), config(c), session(c, t, kT0) {
    if (t == Transport::websocket) {
      // As EngineSession::start: the OPEN packet is the first frame on the new WebSocket.
      primary_open = true;
      session.send(std::make_shared<const std::string>(eio::encode_open(
          "fuzz-sid", false, c.ping_interval_ms, c.ping_timeout_ms, c.max_payload)));
    }
  }

  void snapshot() {
    before = Before{session.closed(), session.close_reason(), forgotten,          get_parked,
                    probe_open,       primary_open,           session.transport()};
  }

  // ------------------------------------------------------------ what goes out

  // One upper-layer frame handed to a link: the next in order, never twice.
  void note_message(std::string_view text) {
    if (text.size() < 2 || text[0] != '4') return;
    const std::size_t colon = text.find(':');
    if (colon == std::string_view::npos) return;
    std::uint64_t n = 0;
    const auto [end, ec] = std::from_chars(text.data() + 1, text.data() + colon, n);
    if (ec != std::errc() || end != text.data() + colon) return;
    SUDACHI_FUZZ_CHECK(n == delivered + 1);
    SUDACHI_FUZZ_CHECK(n <= sent);
    delivered = n;
  }

  // A frame for a WebSocket: one whole text packet of a kind the server sends.
  void check_ws_frame(const eio::Frame& frame) {
    SUDACHI_FUZZ_CHECK(frame != nullptr);
    eio::Packet packet;
    SUDACHI_FUZZ_CHECK(eio::decode_packet(*frame, packet) == eio::DecodeError::none);
    SUDACHI_FUZZ_CHECK(!packet.binary);
    SUDACHI_FUZZ_CHECK(packet.type == eio::PacketType::open ||
                       packet.type == eio::PacketType::ping ||
                       packet.type == eio::PacketType::message);
    note_message(*frame);
  }

  void check_ws_batch(const std::vector<eio::Frame>& frames) {
    SUDACHI_FUZZ_CHECK(frames.size() <= config.max_queued_frames);
    std::size_t bytes = 0;
    for (const eio::Frame& f : frames) {
      check_ws_frame(f);
      bytes += f->size();
    }
    SUDACHI_FUZZ_CHECK(bytes <= config.max_queued_bytes);
  }

  // Any answer to a GET, taken after the step that produced it.
  void check_get_reply(const eio::PollReply& r) {
    if (r.status != 200) {
      SUDACHI_FUZZ_CHECK(r.status == 400 && r.content_type == "application/json");
      SUDACHI_FUZZ_CHECK(r.body == kBadRequest || r.body == kUnknownSid);
      return;
    }
    SUDACHI_FUZZ_CHECK(r.content_type == "text/plain; charset=UTF-8");
    // The queue, one CLOSE, and the separators between them.
    SUDACHI_FUZZ_CHECK(r.body.size() <= config.max_queued_bytes + config.max_queued_frames + 1);
    std::vector<eio::Packet> packets;
    SUDACHI_FUZZ_CHECK(
        eio::decode_payload(r.body, packets, std::numeric_limits<std::size_t>::max()) ==
        eio::DecodeError::none);
    SUDACHI_FUZZ_CHECK(packets.size() <= config.max_queued_frames + 1);
    for (std::size_t i = 0; i < packets.size(); ++i) {
      const eio::Packet& p = packets[i];
      const bool last = i + 1 == packets.size();
      SUDACHI_FUZZ_CHECK(!p.binary);
      switch (p.type) {
        case eio::PacketType::message:
          note_message("4" + p.data);
          break;
        case eio::PacketType::ping:
          SUDACHI_FUZZ_CHECK(p.data.empty());
          break;
        case eio::PacketType::noop:  // alone: the answer that lets a client pause or stop
          SUDACHI_FUZZ_CHECK(packets.size() == 1 && p.data.empty());
          break;
        case eio::PacketType::close:  // only last, and only from a closed session
          SUDACHI_FUZZ_CHECK(last && p.data.empty() && session.closed());
          break;
        default:
          SUDACHI_FUZZ_CHECK(false && "a packet type the server never sends in a GET");
      }
    }
    if (session.closed() && session.transport() == Transport::polling) {
      // The peer learns of the close: a CLOSE packet, or the NOOP of a client that closed
      // itself; a peer that cannot be reached gets nothing that was queued.
      const CloseReason reason = *session.close_reason();
      const bool ends_with_close = packets.back().type == eio::PacketType::close;
      SUDACHI_FUZZ_CHECK(ends_with_close || (reason == CloseReason::client_close &&
                                             packets.back().type == eio::PacketType::noop));
      if (!eio::peer_reachable(reason)) SUDACHI_FUZZ_CHECK(r.body == "1");
    }
  }

  // ------------------------------------------------------------ after every step

  // Takes the effects as EngineSession::flush does and checks them against the contract.
  void flush_and_check(bool primary_dropped = false) {
    eio::Effects e;
    session.take_effects(e);
    const bool closed = session.closed();

    // A closed session stays closed, for one reason, reported once.
    SUDACHI_FUZZ_CHECK(session.close_reason().has_value() == closed);
    SUDACHI_FUZZ_CHECK(!before.closed || closed);
    if (before.closed) SUDACHI_FUZZ_CHECK(session.close_reason() == before.reason);
    SUDACHI_FUZZ_CHECK(e.closed.has_value() == (closed && !before.closed));
    if (e.closed) SUDACHI_FUZZ_CHECK(e.closed == session.close_reason());
    if (before.closed) {
      SUDACHI_FUZZ_CHECK(e.probe_frames.empty() && !e.promote_probe && !e.get_reply &&
                         !e.close_probe && !e.probe_misbehaved && !e.close_primary &&
                         e.final_frames.empty());
    }
    SUDACHI_FUZZ_CHECK(!forgotten || !e.forget);
    if (e.forget) SUDACHI_FUZZ_CHECK(closed);

    // Effects in the order the transport carries them out.
    if (!e.probe_frames.empty()) {
      SUDACHI_FUZZ_CHECK(probe_open && e.probe_frames.size() == 1);
      SUDACHI_FUZZ_CHECK(*e.probe_frames[0] == "3probe");
      probe_answered = true;
    }
    if (e.promote_probe) {
      SUDACHI_FUZZ_CHECK(probe_open && probe_answered && before.transport == Transport::polling);
      SUDACHI_FUZZ_CHECK(session.transport() == Transport::websocket);
      primary_open = true;
      probe_open = false;
      probe_answered = false;
    }
    if (e.get_reply) {
      SUDACHI_FUZZ_CHECK(get_parked);
      check_get_reply(*e.get_reply);
      get_parked = false;
    }
    if (e.close_probe) {
      SUDACHI_FUZZ_CHECK(probe_open);
      probe_open = false;
      probe_answered = false;
    }
    if (e.probe_misbehaved) SUDACHI_FUZZ_CHECK(e.close_probe);
    if (e.close_primary) {
      SUDACHI_FUZZ_CHECK(e.closed && session.transport() == Transport::websocket);
      SUDACHI_FUZZ_CHECK(primary_open || primary_dropped);
      if (!eio::peer_reachable(*session.close_reason())) SUDACHI_FUZZ_CHECK(e.final_frames.empty());
      check_ws_batch(e.final_frames);  // written after the batch in flight
      primary_open = false;
      in_flight.clear();
    } else {
      SUDACHI_FUZZ_CHECK(e.final_frames.empty());
    }
    if (e.closed && session.transport() == Transport::websocket) {
      SUDACHI_FUZZ_CHECK(e.close_primary && e.forget);
    }
    if (e.forget) {
      // Closing answers a parked GET itself; none is left for the transport to release.
      SUDACHI_FUZZ_CHECK(!get_parked);
      forgotten = true;
    }

    // Nothing of a closed session is left open or pending.
    if (closed) {
      SUDACHI_FUZZ_CHECK(!probe_open && !get_parked && !session.ws_frames_pending());
      SUDACHI_FUZZ_CHECK(session.transport() == Transport::polling || !primary_open);
    }
    if (session.ws_frames_pending())
      SUDACHI_FUZZ_CHECK(session.transport() == Transport::websocket);

    // Deadlines: always one while open; when closed, only a final poll's, until it ends.
    const std::optional<std::int64_t> deadline = session.next_deadline();
    if (!closed) {
      SUDACHI_FUZZ_CHECK(deadline.has_value());
    } else if (deadline) {
      SUDACHI_FUZZ_CHECK(!forgotten && session.transport() == Transport::polling);
      SUDACHI_FUZZ_CHECK(session.close_reason() == CloseReason::server_disconnect ||
                         session.close_reason() == CloseReason::server_shutdown);
    }
  }

  // ------------------------------------------------------------ the layer above

  // A stand-in for the Socket.IO endpoint, as EngineSession::deliver uses its verdicts:
  // "0" connects, "1" disconnects, "9" is refused, "2" (an event) is answered at once.
  void deliver(const eio::Inbound& in) {
    if (!in.binary && !in.data.empty()) {
      switch (in.data.front()) {
        case '0':
          connected = true;
          break;
        case '1':
          session.close(CloseReason::client_close);
          break;
        case '9':
          session.close(CloseReason::upper_violation);
          break;
        case '2':
          send_frames(1, 0);
          break;
        default:
          break;
      }
    }
    if (connected) session.upper_connected();
  }

  void send_frames(std::size_t n, std::size_t padding) {
    for (std::size_t i = 0; i < n; ++i) {
      const bool was_closed = session.closed();
      const std::uint64_t seq = was_closed ? 0 : sent + 1;
      session.send(std::make_shared<const std::string>("4" + std::to_string(seq) + ":" +
                                                       std::string(padding, 'x')));
      if (!was_closed) sent = seq;
    }
  }

  // ------------------------------------------------------------ inputs

  // One WebSocket text or binary message; checks what it returns for the layer above.
  // `as_primary`: the link is the session's transport (the probe once it was promoted).
  void ws_message(Link link, bool as_primary, bool binary, std::string_view bytes) {
    const bool was_open = !session.closed();
    const std::optional<eio::Inbound> in =
        binary ? session.on_ws_binary(link, bytes, now) : session.on_ws_text(link, bytes, now);
    // A MESSAGE on the transport of an open session reaches the layer above, whichever link
    // the transport still thinks it came in on; nothing else does.
    const bool message = binary || (!bytes.empty() && bytes.front() == '4');
    SUDACHI_FUZZ_CHECK(in.has_value() == (was_open && as_primary && message));
    if (!in) return;
    if (binary) {
      SUDACHI_FUZZ_CHECK(in->binary && in->data == bytes);
    } else {
      SUDACHI_FUZZ_CHECK(!in->binary && in->data.data() == bytes.data() + 1);
      SUDACHI_FUZZ_CHECK(in->data == bytes.substr(1));
    }
    deliver(*in);
  }

  void poll_get() {
    const bool was_open_polling = !before.closed && before.transport == Transport::polling;
    const std::optional<eio::PollReply> reply = session.on_poll_get(now);
    if (!reply) {
      // At most one GET parked.
      SUDACHI_FUZZ_CHECK(!before.get_parked && was_open_polling);
      get_parked = true;
      flush_and_check();
      return;
    }
    if (before.get_parked && was_open_polling) {
      // Overlapping polls: refused, and the session closes.
      SUDACHI_FUZZ_CHECK(reply->status == 400 && reply->body == kBadRequest);
      SUDACHI_FUZZ_CHECK(session.close_reason() == CloseReason::overlapping_poll);
    }
    if (!before.closed && before.transport == Transport::websocket) {
      SUDACHI_FUZZ_CHECK(reply->status == 400 && reply->body == kBadRequest);
    }
    flush_and_check();
    check_get_reply(*reply);
  }

  void poll_post(std::string_view body) {
    const bool was_open_polling = !before.closed && before.transport == Transport::polling;
    std::vector<eio::Packet> packets{eio::Packet{}};  // stale content must be replaced
    const eio::PollReply reply = session.on_poll_post(body, packets);
    switch (reply.status) {
      case 200:
        SUDACHI_FUZZ_CHECK(was_open_polling && reply.content_type == "text/html");
        SUDACHI_FUZZ_CHECK(reply.body == "ok" && !session.closed());
        SUDACHI_FUZZ_CHECK(!packets.empty() && packets.size() <= config.max_packets_per_payload);
        break;
      case 400:
        SUDACHI_FUZZ_CHECK(reply.content_type == "application/json" && packets.empty());
        if (before.closed) {
          SUDACHI_FUZZ_CHECK(reply.body == kUnknownSid);
        } else {
          SUDACHI_FUZZ_CHECK(reply.body == kBadRequest);
          if (was_open_polling)
            SUDACHI_FUZZ_CHECK(session.close_reason() == CloseReason::protocol_violation);
        }
        break;
      case 413:
        SUDACHI_FUZZ_CHECK(was_open_polling && body.size() > config.max_payload);
        SUDACHI_FUZZ_CHECK(reply.content_type == "application/json" && reply.body == kBadRequest);
        SUDACHI_FUZZ_CHECK(packets.empty());
        SUDACHI_FUZZ_CHECK(session.close_reason() == CloseReason::payload_too_large);
        break;
      default:
        SUDACHI_FUZZ_CHECK(false && "a POST status the session never answers");
    }
    // As EngineSession::handle_poll_post: each packet in order while the session is open.
    for (const eio::Packet& p : packets) {
      if (session.closed()) break;
      const std::optional<eio::Inbound> in = session.on_packet(p.type, p.data, p.binary, now);
      SUDACHI_FUZZ_CHECK(in.has_value() == (p.type == eio::PacketType::message));
      if (!in) continue;
      SUDACHI_FUZZ_CHECK(in->binary == p.binary);
      SUDACHI_FUZZ_CHECK(in->data == p.data);
      deliver(*in);
    }
    flush_and_check();
  }

  void probe_open_request() {
    const bool accepted = session.on_probe_open(now);
    SUDACHI_FUZZ_CHECK(accepted ==
                       (!before.closed && before.transport == Transport::polling && !probe_open));
    if (accepted) {
      probe_open = true;
      probe_answered = false;
    }
    flush_and_check();
  }

  void ws_writable() {
    const bool pending = session.ws_frames_pending();
    std::vector<eio::Frame> batch;
    const bool took = session.take_ws_frames(batch);
    SUDACHI_FUZZ_CHECK(took == pending && took == !batch.empty());
    SUDACHI_FUZZ_CHECK(!session.ws_frames_pending());
    check_ws_batch(batch);
    in_flight = std::move(batch);
    flush_and_check();
  }

  void timer(std::int64_t at) {
    now = at;
    session.on_timer(now);
    // A timer that fired leaves nothing due: the transport would spin on it otherwise.
    const std::optional<std::int64_t> deadline = session.next_deadline();
    SUDACHI_FUZZ_CHECK(!deadline || *deadline > now);
    flush_and_check();
  }

  // At the end: everything the upper layer sent to a session still open reaches the peer.
  void drain_and_check() {
    if (session.closed()) return;
    snapshot();
    if (session.transport() == Transport::websocket) {
      SUDACHI_FUZZ_CHECK(primary_open);
      in_flight.clear();
      ws_writable();
    } else {
      if (get_parked) {
        session.on_poll_get_abandoned();
        get_parked = false;
      }
      if (probe_open) {
        session.on_ws_closed(Link::probe);
        probe_open = false;
      }
      snapshot();
      poll_get();
    }
    SUDACHI_FUZZ_CHECK(session.closed() || delivered == sent);
  }
};

}  // namespace sudachi::fuzz::engineio_session

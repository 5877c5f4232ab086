#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "protocol/engineio/packet.hpp"

// One Engine.IO v4 session on the server, as a state machine without I/O: heartbeat, the
// outbound queue, long-polling, the WebSocket transport and the upgrade between the two.
//
// The transport (an Asio shell) feeds it inputs — requests, WebSocket messages, link closes,
// the clock — and then reads what it must do from take_effects(). Nothing here calls back into
// the transport, so no input can close a connection or free a buffer while the transport is in
// the middle of a write or of a loop over packets: closing is a change of state here, and the
// transport carries it out after the input returns (the use-after-free of a synchronous,
// re-entrant close cannot be written against this interface).
//
// Ownership of outbound frames: this object owns every frame not yet handed to a link; the
// WebSocket link owns the batch it is writing (take_ws_frames moves frames out). The queue is
// bounded; a peer that stops reading makes it overflow and the session closes with
// `slow_consumer`.
//
// Single-threaded: every call on the session's event loop.
namespace sudachi::engineio {

// One encoded Engine.IO text packet ("42[...]", "2"), shared by every recipient.
using Frame = std::shared_ptr<const std::string>;

struct SessionConfig {
  std::uint32_t ping_interval_ms = 25'000;
  std::uint32_t ping_timeout_ms = 20'000;
  std::uint32_t upgrade_timeout_ms = 10'000;
  std::uint32_t connect_timeout_ms = 45'000;  // open -> upper_connected()
  std::uint64_t max_payload = 1'000'000;
  std::size_t max_queued_frames = 4'096;
  std::size_t max_queued_bytes = 8u << 20;
  std::size_t max_packets_per_payload = 256;
  // How long a polling session closed by the server waits for the GET that collects its
  // CLOSE packet before it is forgotten.
  std::uint32_t final_poll_wait_ms = 5'000;
};

enum class Transport { polling, websocket };
// Which WebSocket a message came in on: the session's transport, or one probing an upgrade.
// A probe promoted by an input whose effects the transport has not taken yet is the primary.
enum class Link { primary, probe };

enum class CloseReason {
  client_close,     // CLOSE packet, or the Socket.IO DISCONNECT
  transport_close,  // the primary connection went away
  transport_error,  // the primary connection broke a protocol rule below Engine.IO
  ping_timeout,
  connect_timeout,     // no Socket.IO CONNECT in time
  slow_consumer,       // the outbound queue overflowed
  protocol_violation,  // malformed or unexpected Engine.IO packet
  upper_violation,     // the Socket.IO layer refused the peer
  payload_too_large,
  overlapping_poll,
  server_disconnect,  // the application disconnected the client
  server_shutdown,    // drain: the client should reconnect elsewhere
};
std::string_view to_string(CloseReason reason);
// Whether the peer is still there to be told (its transport is healthy and it reads).
bool peer_reachable(CloseReason reason);

struct PollReply {
  int status = 200;
  std::string content_type = "text/plain; charset=UTF-8";
  std::string body;
};

// One Engine.IO MESSAGE for the layer above (Socket.IO). `data` points into the caller's input.
struct Inbound {
  bool binary = false;
  std::string_view data;
};

// What the transport must do after an input, in this order.
struct Effects {
  std::vector<Frame> probe_frames;     // write on the probe WebSocket ("3probe")
  bool promote_probe = false;          // the probe WebSocket is now the primary one
  std::optional<PollReply> get_reply;  // answer the parked polling GET
  bool close_probe = false;            // close the probe WebSocket (1002 if it misbehaved)
  bool probe_misbehaved = false;
  // Close the primary WebSocket: after writing `final_frames` (abort when the peer cannot be
  // reached: nothing queued would arrive).
  bool close_primary = false;
  std::vector<Frame> final_frames;
  std::optional<CloseReason> closed;  // the session closed during this input (reported once)
  bool forget = false;                // deregister the sid: no request may find it any more
};

class ServerSession {
 public:
  ServerSession(const SessionConfig& config, Transport transport, std::int64_t now_ms);

  Transport transport() const { return transport_; }
  bool closed() const { return closed_; }
  std::optional<CloseReason> close_reason() const { return close_reason_; }

  // ---- from the layer above
  // Queues one frame for the peer; ignored once closed. Overflow closes the session.
  void send(Frame frame);
  void upper_connected() { connect_deadline_ms_.reset(); }
  // Server-side close (application disconnect, drain, upper-layer violation).
  void close(CloseReason reason);

  // ---- polling transport
  // A GET: answered now (returned) or parked until there is something to send.
  std::optional<PollReply> on_poll_get(std::int64_t now_ms);
  // A POST: validates the body into packets. The reply is for the POST itself; then each
  // packet goes through on_packet, in order, while the session stays open.
  PollReply on_poll_post(std::string_view body, std::vector<Packet>& packets);
  // The parked GET's connection went away before an answer.
  void on_poll_get_abandoned() { get_parked_ = false; }

  // ---- WebSocket transport
  // A WebSocket asking to upgrade this (polling) session arrived. False: refuse it.
  bool on_probe_open(std::int64_t now_ms);
  // One text message: a whole Engine.IO packet. A MESSAGE for the upper layer is returned.
  std::optional<Inbound> on_ws_text(Link link, std::string_view text, std::int64_t now_ms);
  std::optional<Inbound> on_ws_binary(Link link, std::string_view bytes, std::int64_t now_ms);
  void on_ws_closed(Link link, CloseReason why = CloseReason::transport_close);
  // The primary WebSocket may write: moves the queued frames into `out` (appending).
  bool take_ws_frames(std::vector<Frame>& out);
  bool ws_frames_pending() const {
    return transport_ == Transport::websocket && !closed_ && !queue_.empty();
  }

  // ---- both
  // One decoded packet (from a POST or a WebSocket text message).
  std::optional<Inbound> on_packet(PacketType type, std::string_view data, bool binary,
                                   std::int64_t now_ms);
  // Time passes: heartbeat, connect, upgrade and final-poll deadlines.
  void on_timer(std::int64_t now_ms);
  // The earliest deadline the transport must wake this session at (none when closed).
  std::optional<std::int64_t> next_deadline() const;

  // Everything the transport must do since the last call.
  void take_effects(Effects& out);

 private:
  void enqueue(Frame frame);
  void flush_to_parked_get();
  Link as_seen_by_session(Link link) const;
  void end_probe(bool misbehaved);
  void finish_final_poll();
  PollReply drain_queue_as_reply();

  SessionConfig config_;
  Transport transport_;
  bool closed_ = false;
  std::optional<CloseReason> close_reason_;

  std::deque<Frame> queue_;
  std::size_t queued_bytes_ = 0;
  bool get_parked_ = false;

  enum class Probe { none, opened, probing };  // probing: "2probe" answered, waiting for "5"
  Probe probe_ = Probe::none;

  bool awaiting_pong_ = false;
  std::int64_t next_ping_ms_;
  std::optional<std::int64_t> pong_deadline_ms_;
  std::optional<std::int64_t> connect_deadline_ms_;
  std::optional<std::int64_t> upgrade_deadline_ms_;
  std::optional<std::int64_t> final_poll_deadline_ms_;
  std::int64_t now_ms_;  // the latest time an input brought, for closes that have none

  Effects effects_;
};

}  // namespace sudachi::engineio

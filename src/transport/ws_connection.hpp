#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <boost/asio/buffer.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

#include "protocol/engineio/server_session.hpp"
#include "protocol/websocket/frame.hpp"
#include "transport/connection_tracker.hpp"

namespace sudachi::transport {

class EngineSession;
struct SessionContext;

// One WebSocket connection (RFC 6455, server side) carrying an Engine.IO session: its
// transport (`primary`) or a connection probing an upgrade (`probe`). It owns the socket, the
// bytes it has read and the batch it is writing; the session owns the frames not yet taken.
//
// Reading waits for readability and then reads into the loop's shared scratch buffer, so an
// idle connection holds no read buffer; only a frame that arrives in pieces is copied into a
// buffer of its own. Writing is one gather write at a time of everything queued: the frames
// the session has (taken when the previous write completes), with their headers, plus a pong
// or the close frame. Closing never happens inside a call from the session: the session's
// effects are applied after its input returned, and close() only changes state and starts
// I/O. Lives on the event loop of its session.
class WsConnection final : public std::enable_shared_from_this<WsConnection> {
 public:
  WsConnection(boost::asio::ip::tcp::socket socket, SessionContext& ctx,
               ConnectionTracker::Ticket ticket);
  ~WsConnection();
  WsConnection(const WsConnection&) = delete;
  WsConnection& operator=(const WsConnection&) = delete;

  // Writes `handshake_response` (the 101) first, then serves `session`: parses `leftover`
  // (bytes read past the HTTP request), then reads.
  void start(std::string handshake_response, std::string leftover,
             std::shared_ptr<EngineSession> session, engineio::Link role);
  // Refuses the connection: writes `response` (an HTTP error) and closes.
  void refuse(std::string response);

  engineio::Link role() const { return role_; }
  void promote() { role_ = engineio::Link::primary; }

  // The session has frames for this (primary) connection: write them unless a write is in
  // flight, in which case they go out when it completes.
  void kick();
  // Frames not held by the session (the probe's "3probe").
  void write_frames(std::vector<engineio::Frame> frames);
  // Ends the connection: `final_frames`, then a close frame with `code`; then waits a bounded
  // time for the peer's close frame. `abort` cuts the TCP connection at once instead (a peer
  // that does not read would never take the close frame). Idempotent.
  void close(websocket::CloseCode code, std::vector<engineio::Frame> final_frames, bool abort);

 private:
  enum class State { open, closing, closed };

  void do_read();
  void on_readable(const boost::system::error_code& ec);
  // Parses what is in `data`; returns the bytes used. Stops early once closing.
  std::size_t process(std::uint8_t* data, std::size_t size);
  void keep_leftover(const std::uint8_t* data, std::size_t size);
  void on_message(websocket::Opcode opcode, std::string_view payload);
  void on_peer_close(websocket::CloseCode code);
  void on_violation(websocket::CloseCode code, const char* reason);
  void detach(engineio::CloseReason why);

  void start_write();
  void on_written(const boost::system::error_code& ec);
  void arm_close_timer();
  void shut();

  boost::asio::ip::tcp::socket socket_;
  SessionContext& ctx_;
  ConnectionTracker::Ticket ticket_;
  std::shared_ptr<EngineSession> session_;
  engineio::Link role_ = engineio::Link::primary;
  State state_ = State::open;
  websocket::FrameParser parser_;

  // A frame that arrived in pieces: its bytes so far (allocated only then).
  std::vector<std::uint8_t> partial_;

  bool reading_ = false;
  bool writing_ = false;
  bool refusing_ = false;
  std::string raw_out_;                  // the handshake response, before any frame
  std::string pong_;                     // a pending pong frame (only the latest ping's)
  std::vector<engineio::Frame> direct_;  // frames handed over directly (probe)
  std::vector<engineio::Frame> final_;   // the last frames before the close frame
  websocket::CloseCode close_code_ = websocket::CloseCode::normal;
  bool close_queued_ = false;  // our close frame is due after `final_`
  bool close_sent_ = false;

  // The write in flight: the frames (kept alive), their headers, the bytes of raw/pong/close.
  std::vector<engineio::Frame> batch_;
  std::vector<std::uint8_t> headers_;
  std::vector<boost::asio::const_buffer> iov_;
  std::string batch_raw_;
  std::string batch_control_;

  std::unique_ptr<boost::asio::steady_timer> close_timer_;  // only while closing
};

}  // namespace sudachi::transport

#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include "protocol/engineio/server_session.hpp"
#include "room/delivery.hpp"
#include "transport/socketio_endpoint.hpp"

namespace sudachi::transport {

struct SessionContext;
class WsConnection;

using PollReply = engineio::PollReply;
using PollRespond = std::function<void(PollReply)>;

// The Asio shell around one Engine.IO session (engineio::ServerSession, which holds every
// rule): it owns the session's timer, its WebSocket connections and the parked polling GET,
// hands MESSAGE packets to the Socket.IO endpoint, and carries out the session's effects.
//
// Effects are applied once per loop turn, in flush(), which every input schedules (at most
// one pending): an event and its ack, or a burst of room events, leave in one write or one
// polling response, and no effect — a close above all — ever runs inside the input that
// caused it.
//
// All state lives on one event loop (`executor()`); send(), disconnect(), shutdown() and the
// POST guard may be called from any thread.
class EngineSession final : public room::ClientConnection,
                            public std::enable_shared_from_this<EngineSession> {
 public:
  using Executor = boost::asio::io_context::executor_type;

  EngineSession(Executor executor, std::string sid, std::string remote_ip,
                engineio::Transport transport, SessionContext& ctx);
  ~EngineSession() override;

  const std::string& sid() const { return sid_; }
  Executor executor() const { return executor_; }

  // --- any thread
  void send(room::SharedFrame frame) override;
  void disconnect() override;
  // Server drain: close the transport without a Socket.IO DISCONNECT, so that clients
  // reconnect (to another instance behind the load balancer).
  void shutdown();
  // One polling POST at a time per session (Engine.IO: a second one is 400 and closes the
  // session). False when another POST is in progress; end_post() after a true.
  bool begin_post() { return !post_in_progress_.exchange(true); }
  void end_post() { post_in_progress_.store(false); }

  // --- the session's loop only
  // Arms the heartbeat; a WebSocket session is given its connection and sends OPEN on it.
  void start(std::shared_ptr<WsConnection> primary);
  std::string open_packet() const;
  void handle_poll_get(PollRespond respond);
  void handle_poll_post(std::string body, PollRespond respond);
  void close(engineio::CloseReason reason);
  bool closed() const { return core_.closed(); }
  // Server stop, after the loops are joined: drops the links and the parked GET, which would
  // otherwise keep this session and its connections alive in a cycle.
  void abandon();

  // A WebSocket asking to upgrade this session; false: refuse it.
  bool attach_probe(std::shared_ptr<WsConnection> probe);
  // From a WsConnection: one message; its end (once); its readiness to write.
  void on_ws_message(const WsConnection* from, bool binary, std::string_view data);
  void on_ws_closed(const WsConnection* from, engineio::CloseReason why);
  void take_ws_frames(const WsConnection* from, std::vector<engineio::Frame>& out);

 private:
  engineio::Link link_of(const WsConnection* from) const;
  void promote_probe();
  void deliver(const engineio::Inbound& inbound);
  void schedule_flush();
  void flush();
  void on_closed(engineio::CloseReason reason);
  void arm_timer();
  std::int64_t now() const;

  Executor executor_;
  std::string sid_;
  SessionContext& ctx_;
  engineio::ServerSession core_;
  engineio::Transport counted_as_;  // which sessions gauge this session is in
  SocketIoEndpoint socketio_;

  PollRespond parked_get_;
  std::shared_ptr<WsConnection> primary_;
  std::shared_ptr<WsConnection> probe_;
  bool flush_scheduled_ = false;
  bool gauges_released_ = false;

  boost::asio::steady_timer timer_;
  std::int64_t timer_at_ms_ = 0;  // when the armed timer fires; 0: not armed
  std::uint64_t timer_generation_ = 0;

  std::atomic<bool> post_in_progress_{false};
};

}  // namespace sudachi::transport

#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include "room/delivery.hpp"
#include "transport/socketio_endpoint.hpp"

namespace sudachi::transport {

struct SessionContext;
class WsLink;

// The answer to one long-polling HTTP request.
struct PollReply {
  int status = 200;
  std::string content_type = "text/plain; charset=UTF-8";
  std::string body;
};
using PollRespond = std::function<void(PollReply)>;

// One Engine.IO v4 session: heartbeat, outbound queue, the polling and WebSocket transports
// and the upgrade between them. Owns its Socket.IO endpoint. All state lives on one event
// loop (`executor()`); only send(), disconnect() and shutdown() may be called from elsewhere,
// and they hop onto it.
class EngineSession final : public room::ClientConnection,
                            public std::enable_shared_from_this<EngineSession> {
 public:
  using Executor = boost::asio::io_context::executor_type;
  enum class Transport { polling, websocket };

  EngineSession(Executor executor, std::string sid, std::string remote_ip, Transport transport,
                SessionContext& ctx);
  ~EngineSession() override;

  const std::string& sid() const { return sid_; }
  Executor executor() const { return executor_; }

  // --- any thread ---
  void send(room::SharedFrame frame) override;
  void disconnect() override;
  // Server drain: close the transport without a Socket.IO DISCONNECT, so that clients
  // reconnect (to another instance behind the load balancer).
  void shutdown();

  // --- the session's executor only ---
  // Arms the heartbeat. A WebSocket session gets its OPEN packet over `ws`.
  void start(std::shared_ptr<WsLink> ws);
  std::string open_packet() const;

  void handle_poll_get(PollRespond respond);
  void handle_poll_post(std::string_view body, PollRespond respond);

  // A WebSocket with this sid arrived: the upgrade probe begins. False when the session
  // cannot upgrade (already on WebSocket, closing, or another upgrade under way).
  bool begin_upgrade(std::shared_ptr<WsLink> ws);
  void handle_ws_text(const WsLink* from, std::string_view text);
  void handle_ws_binary(const WsLink* from);
  void handle_ws_closed(const WsLink* from);

  // Sends one frame through whichever transport is current (executor only).
  void enqueue(room::SharedFrame frame);
  void close(std::string_view reason);

  bool closed() const { return closed_; }

 private:
  // Ends the wait for the last GET of a polling session the server closed.
  void finish_final_poll();
  void on_packet(char type, std::string_view data, bool binary);
  void flush_poll();
  void schedule_ping();
  void on_ping_due(std::uint64_t generation);
  void on_pong_missing(std::uint64_t generation);
  void finish_upgrade();
  void send_control(std::string frame);

  Executor executor_;
  std::string sid_;
  SessionContext& ctx_;
  Transport transport_;
  SocketIoEndpoint socketio_;

  std::deque<room::SharedFrame> queue_;  // polling, or held during an upgrade
  std::size_t queued_bytes_ = 0;
  PollRespond pending_get_;

  std::shared_ptr<WsLink> ws_;        // the live WebSocket transport
  std::shared_ptr<WsLink> probe_ws_;  // a WebSocket being probed for the upgrade
  bool upgrading_ = false;

  boost::asio::steady_timer ping_timer_;
  boost::asio::steady_timer connect_timer_;  // Engine.IO open -> Socket.IO CONNECT
  boost::asio::steady_timer upgrade_timer_;  // probe -> upgrade packet
  std::uint64_t ping_generation_ = 0;
  bool awaiting_pong_ = false;
  bool closed_ = false;
  bool awaiting_final_poll_ = false;  // closed by the server; the next GET gets the CLOSE packet
};

}  // namespace sudachi::transport

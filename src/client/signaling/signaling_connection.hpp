#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/json/value.hpp>

#include "client/signaling/engineio_client.hpp"
#include "client/signaling/room_codec.hpp"
#include "client/signaling/server_url.hpp"
#include "client/signaling/socketio_client.hpp"
#include "client/signaling/ws_link.hpp"

// One signed-in connection to a room server: the WebSocket link, the Engine.IO and Socket.IO
// client state machines on it, and the clock that drives them. It is "connected" once the
// server accepted the token and sent its `connected` event; from then on it delivers the
// server's events and carries calls with acknowledgements. It never reconnects: the room
// session above it makes a new one.
//
// Single-threaded (the io_context's thread). Handlers run from completions; they may call
// emit() and close(), and may drop the owner's pointer.
namespace sudachi::client {

class SignalingConnection : public std::enable_shared_from_this<SignalingConnection> {
 public:
  struct Options {
    std::chrono::milliseconds connect_timeout{5'000};  // start() -> `connected`
    std::size_t max_message = 1'000'000;
  };
  struct Handlers {
    std::function<void(const Connected&)> on_connected;
    std::function<void(ServerEvent)> on_event;  // every event after `connected`
    // Once, last. code none: close() was called; AUTH_FAILED: the token was refused;
    // UNREACHABLE / RATE_LIMITED / UNAVAILABLE: never connected; DISCONNECTED: lost after.
    std::function<void(const mp::Error&)> on_closed;
  };
  // The first argument of the ack, or why there is none (TIMEOUT, DISCONNECTED).
  struct Reply {
    mp::Error error;
    boost::json::value payload;
  };
  using ReplyFn = std::function<void(Reply)>;

  static std::shared_ptr<SignalingConnection> create(boost::asio::io_context& io,
                                                     std::shared_ptr<boost::asio::ssl::context> tls,
                                                     ServerUrl url, std::string token,
                                                     Options options, Handlers handlers);
  ~SignalingConnection();

  void start();
  bool connected() const { return connected_; }
  // Calls sent and not answered yet.
  std::size_t pending_calls() const { return replies_.size(); }
  const ServerUrl& url() const { return url_; }

  // Emits `event` with an ack; `done` runs once with the ack or the failure. False (and `done`
  // not called) when the connection is not connected, or the message is too large.
  bool emit(std::string_view event, const boost::json::value& payload,
            std::chrono::milliseconds timeout, ReplyFn done);
  // Socket.IO DISCONNECT, Engine.IO CLOSE, WebSocket close; on_closed follows with no error.
  void close();

 private:
  SignalingConnection(boost::asio::io_context& io, std::shared_ptr<boost::asio::ssl::context> tls,
                      ServerUrl url, std::string token, Options options, Handlers handlers);

  static std::int64_t now_ms();
  void on_link_open();
  void on_link_message(std::string_view data, bool binary);
  void on_link_closed(const mp::Error& error);
  void on_timer();
  // Moves effects between the layers until none is left, then re-arms the timer.
  void pump();
  void handle_socketio(SocketIoClient::Effects& effects);
  void end(mp::Error error, bool graceful);
  void finish();
  void arm_timer();

  boost::asio::io_context& io_;
  std::shared_ptr<boost::asio::ssl::context> tls_;
  ServerUrl url_;
  std::string token_;
  Options options_;
  Handlers handlers_;
  std::shared_ptr<WsLink> link_;
  std::optional<EngineIoClient> engine_;
  SocketIoClient socketio_;
  boost::asio::steady_timer timer_;
  std::int64_t connect_deadline_ms_ = 0;
  std::map<std::uint64_t, ReplyFn> replies_;
  bool connected_ = false;
  bool pumping_ = false;
  bool ending_ = false;
  bool finished_ = false;
  // What pump() does to the link once the last packets are queued.
  enum class LinkAction { none, close, abort };
  LinkAction link_action_ = LinkAction::none;
  bool close_engine_ = false;           // end(): CLOSE after the DISCONNECT reached the engine
  std::optional<mp::Error> end_error_;  // why the connection ends (set once)
};

}  // namespace sudachi::client

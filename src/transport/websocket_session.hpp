#pragma once

#include <deque>
#include <memory>
#include <string>

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/websocket/stream.hpp>

#include "transport/engine_session.hpp"
#include "transport/ws_link.hpp"

namespace sudachi::transport {

struct SessionContext;

// One WebSocket connection carrying an Engine.IO session: either a fresh session (no sid in
// the URL) or the upgrade of a polling session. One async_write in flight, a bounded queue.
// Lives on the event loop of the Engine.IO session it serves.
class WebSocketSession final : public WsLink,
                               public std::enable_shared_from_this<WebSocketSession> {
 public:
  using Request = boost::beast::http::request<boost::beast::http::string_body>;

  WebSocketSession(boost::asio::ip::tcp::socket socket, EngineSession::Executor executor,
                   SessionContext& ctx, std::string remote_ip);
  ~WebSocketSession();
  WebSocketSession(const WebSocketSession&) = delete;
  WebSocketSession& operator=(const WebSocketSession&) = delete;

  // Completes the WebSocket handshake for `request`; then opens a new Engine.IO session, or,
  // when `upgrading` is set, offers itself as that session's upgrade.
  void run(Request request, std::shared_ptr<EngineSession> upgrading);

  void send(room::SharedFrame frame) override;
  void close() override;

 private:
  void on_accept(boost::system::error_code ec);
  void do_read();
  void on_read(boost::system::error_code ec, std::size_t bytes);
  void do_write();
  void on_write(boost::system::error_code ec, std::size_t bytes);
  void do_close();
  void detach();

  boost::beast::websocket::stream<boost::beast::tcp_stream> ws_;
  EngineSession::Executor executor_;
  SessionContext& ctx_;
  std::string remote_ip_;
  Request request_;
  boost::beast::flat_buffer buffer_;
  std::shared_ptr<EngineSession> engine_;
  std::deque<room::SharedFrame> queue_;
  std::size_t queued_bytes_ = 0;
  bool writing_ = false;
  bool closing_ = false;
  bool close_sent_ = false;
};

}  // namespace sudachi::transport

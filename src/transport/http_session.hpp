#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>

#include "transport/engine_session.hpp"

namespace sudachi::transport {

struct SessionContext;
struct ApiResponse;
struct PollReply;

// One HTTP/1.1 connection: keep-alive request loop, routing between Engine.IO (/socket.io/)
// and the application's REST routes, and the hand-off of WebSocket upgrades. Reads the header
// first so that the body limit can follow the route.
class HttpSession final : public std::enable_shared_from_this<HttpSession> {
 public:
  using Request = boost::beast::http::request<boost::beast::http::string_body>;

  HttpSession(boost::asio::ip::tcp::socket socket, EngineSession::Executor executor,
              SessionContext& ctx);
  void run();

 private:
  void do_read_header();
  void on_header(boost::system::error_code ec);
  void on_body(boost::system::error_code ec);
  void on_request();

  // engineio_http.cpp: everything under /socket.io/.
  void handle_engineio();
  void handshake_polling();
  void handshake_websocket();
  void hand_over_websocket(std::shared_ptr<EngineSession> upgrading);
  void handle_api();

  void respond(unsigned status, std::string content_type, std::string body,
               std::initializer_list<std::pair<const char*, std::string>> headers = {});
  void respond_api(const ApiResponse& response);
  void respond_poll(const PollReply& reply);
  void respond_engineio_error(unsigned status, int code);
  void on_write(bool keep_alive, boost::system::error_code ec);
  void close();
  // Posts `fn` to this connection's loop, keeping it alive.
  void on_own_loop(std::function<void(HttpSession&)> fn);

  boost::beast::tcp_stream stream_;
  EngineSession::Executor executor_;
  SessionContext& ctx_;
  std::string remote_ip_;
  boost::beast::flat_buffer buffer_;
  std::optional<boost::beast::http::request_parser<boost::beast::http::string_body>> parser_;
  Request request_;
  std::shared_ptr<void> response_;  // the response being written, kept alive until done
};

}  // namespace sudachi::transport

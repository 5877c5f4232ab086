#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>

#include "transport/client_address.hpp"
#include "transport/connection_tracker.hpp"
#include "transport/http_response.hpp"
#include "transport/transport_metrics.hpp"

namespace sudachi::transport {

class EngineSession;
struct SessionContext;
struct PollPostGuard;

// One HTTP/1.1 connection: the keep-alive request loop, routing between Engine.IO
// (/socket.io/: handshakes, polling, the hand-off of WebSocket connections) and the
// application's REST routes, and every refusal a hostile request earns, with its status:
// 400 malformed, 413 body too large (from Content-Length before reading it, or as a chunked
// body passes the limit), 414 target too long, 431 header too large, 429 rate limited, 503
// draining. Responses are written whole; HEAD gets the headers without the body.
//
// Bytes are fed to Beast's request parser from a buffer this connection owns, so the body
// limit follows the route (Engine.IO POSTs may carry maxPayload, the REST API less) and is
// checked before a byte of the body is read. Lives on the event loop that accepted it.
class HttpConnection final : public std::enable_shared_from_this<HttpConnection> {
 public:
  using Executor = boost::asio::io_context::executor_type;

  HttpConnection(boost::asio::ip::tcp::socket socket, Executor executor, SessionContext& ctx,
                 IpAddress peer, ConnectionTracker::Ticket ticket);
  ~HttpConnection();
  void run();

 private:
  using Parser = boost::beast::http::request_parser<boost::beast::http::string_body>;
  enum class Phase { reading, handling, writing, lingering, closed };

  // --- reading (http_connection.cpp)
  void start_request();
  void read_more();
  void on_read(const boost::system::error_code& ec, std::size_t n);
  void parse_buffered();
  bool on_header();  // false: answered already
  void on_request();
  void arm_timer(std::uint32_t ms);

  // --- REST and helpers (http_connection.cpp)
  void handle_api();
  void handle_preflight();
  bool origin_allowed() const;
  void add_cors_headers(HttpResponse& response) const;

  // --- Engine.IO (engineio_routes.cpp)
  bool check_engineio_header();
  void handle_engineio();
  void handshake_polling();
  void handshake_websocket();
  void upgrade_websocket(std::shared_ptr<EngineSession> session);
  std::optional<std::string> websocket_accept();  // answers the refusal itself when empty
  void poll(std::shared_ptr<EngineSession> session);
  // The POST being read is refused for its size: its session closes (payload too large).
  void post_guard_close_session();

  // --- responses
  void respond(HttpResponse response);
  void respond_from_anywhere(HttpResponse response);
  void refuse(int status, Refusal why, std::string body, bool close = false,
              std::vector<std::pair<std::string, std::string>> headers = {});
  void on_written(const boost::system::error_code& ec);
  void linger();
  void close();

  boost::asio::ip::tcp::socket socket_;
  Executor executor_;
  SessionContext& ctx_;
  IpAddress peer_;
  std::string client_ip_;  // the peer, or the client a trusted proxy names
  ConnectionTracker::Ticket ticket_;
  Phase phase_ = Phase::reading;

  std::string in_;  // bytes read and not yet given to the parser
  std::optional<Parser> parser_;
  boost::beast::http::request<boost::beast::http::string_body> request_;
  Route route_ = Route::other;
  bool head_ = false;
  bool keep_alive_ = true;
  bool http10_ = false;
  bool got_first_byte_ = false;
  bool header_done_ = false;
  std::size_t header_bytes_ = 0;  // header bytes the parser consumed for this request
  bool close_after_write_ = false;
  std::string origin_;
  // The Engine.IO query of the current request (EIO, transport, sid).
  std::string eio_version_;
  std::string eio_transport_;
  std::string eio_sid_;
  std::shared_ptr<PollPostGuard> post_guard_;  // an Engine.IO POST's claim on its session

  std::string out_;
  std::size_t lingered_bytes_ = 0;
  boost::asio::steady_timer timer_;
  std::uint64_t timer_generation_ = 0;
};

}  // namespace sudachi::transport

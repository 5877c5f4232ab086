#include "client/signaling/ws_link.hpp"

#include <deque>
#include <utility>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/field.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>

#include "client/signaling/net_connect.hpp"

namespace sudachi::client {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = boost::beast::websocket;

namespace {

constexpr auto kUse = asio::as_tuple(asio::use_awaitable);

// The upgrade refused: the HTTP status says why (429: too many connections from this address,
// 503: the server is draining), which decides how the owner retries.
mp::Error refused(const ServerUrl& url, const websocket::response_type& res,
                  const boost::system::error_code& ec) {
  const unsigned status = res.result_int();
  if (status == 429) {
    mp::Error e{mp::ErrorCode::rate_limited, url.to_string() + ": too many connections", 0};
    const auto retry = res.find(beast::http::field::retry_after);
    if (retry != res.end()) {
      const std::string value(retry->value());
      e.retry_after_s = std::atoi(value.c_str());
    }
    return e;
  }
  if (status == 503) return {mp::ErrorCode::unavailable, url.to_string() + ": draining", 0};
  std::string message = url.to_string() + ": WebSocket upgrade failed";
  if (status != 0)
    message += ": HTTP " + std::to_string(status);
  else if (ec)
    message += ": " + ec.message();
  return {mp::ErrorCode::unreachable, std::move(message), 0};
}

template <class Next>
class WsLinkImpl final : public WsLink, public std::enable_shared_from_this<WsLinkImpl<Next>> {
 public:
  WsLinkImpl(asio::io_context& io, std::shared_ptr<asio::ssl::context> tls, ServerUrl url,
             Options options, Handlers handlers)
      : tls_(std::move(tls)),
        ws_(make_stream(io, tls_)),
        url_(std::move(url)),
        options_(std::move(options)),
        handlers_(std::move(handlers)) {}

  void start() override {
    asio::co_spawn(ws_.get_executor(), run(this->shared_from_this()), asio::detached);
  }

  void send(std::string text) override {
    if (closing_ || finished_) return;
    queue_.push_back(std::move(text));
    if (open_ && !writing_) start_writes();
  }

  void close() override {
    if (closing_ || finished_) return;
    closing_ = true;
    if (!open_) return abort();
    if (!writing_) start_close();
  }

  void abort() override {
    if (finished_) return;
    closing_ = true;
    aborted_ = true;
    beast::get_lowest_layer(ws_).close();
  }

 private:
  static websocket::stream<Next> make_stream(asio::io_context& io,
                                             const std::shared_ptr<asio::ssl::context>& tls) {
    if constexpr (std::is_same_v<Next, TlsStream>) {
      return websocket::stream<Next>(io, *tls);
    } else {
      return websocket::stream<Next>(io);
    }
  }

  static asio::awaitable<void> run(std::shared_ptr<WsLinkImpl> self) {
    mp::Error error;
    if constexpr (std::is_same_v<Next, TlsStream>) {
      error =
          co_await connect_tls(self->ws_.next_layer(), self->url_, self->options_.connect_timeout);
    } else {
      error =
          co_await connect_tcp(self->ws_.next_layer(), self->url_, self->options_.connect_timeout);
    }
    if (self->aborted_) co_return self->finish({});
    if (error) co_return self->finish(error);

    websocket::stream_base::timeout timeouts{};
    timeouts.handshake_timeout = self->options_.connect_timeout;
    timeouts.idle_timeout = websocket::stream_base::none();  // Engine.IO's heartbeat decides
    timeouts.keep_alive_pings = false;
    self->ws_.set_option(timeouts);
    self->ws_.set_option(websocket::stream_base::decorator(
        [ua = self->options_.user_agent](websocket::request_type& req) {
          req.set(beast::http::field::user_agent, ua);
        }));
    self->ws_.read_message_max(self->options_.max_message);
    websocket::response_type response;
    auto [hec] = co_await self->ws_.async_handshake(response, self->url_.host_header(),
                                                    self->url_.socketio_target(), kUse);
    if (self->aborted_) co_return self->finish({});
    if (hec) co_return self->finish(refused(self->url_, response, hec));

    self->open_ = true;
    if (self->handlers_.on_open) self->handlers_.on_open();
    if (!self->queue_.empty() && !self->writing_) self->start_writes();
    if (self->closing_ && !self->writing_) self->start_close();

    beast::flat_buffer buffer;
    boost::system::error_code read_error;
    for (;;) {
      auto [ec, n] = co_await self->ws_.async_read(buffer, kUse);
      if (ec) {
        read_error = ec;
        break;
      }
      const auto data = buffer.cdata();
      if (self->handlers_.on_message && !self->finished_) {
        self->handlers_.on_message(
            std::string_view(static_cast<const char*>(data.data()), data.size()),
            !self->ws_.got_text());
      }
      buffer.consume(n);
    }
    if (self->closing_) co_return self->finish({});
    std::string why = read_error == websocket::error::closed ? "the server closed the WebSocket"
                                                             : read_error.message();
    self->finish({mp::ErrorCode::disconnected, self->url_.to_string() + ": " + why, 0});
  }

  void start_writes() {
    writing_ = true;
    asio::co_spawn(ws_.get_executor(), write_loop(this->shared_from_this()), asio::detached);
  }

  static asio::awaitable<void> write_loop(std::shared_ptr<WsLinkImpl> self) {
    while (!self->queue_.empty() && !self->aborted_) {
      std::string message = std::move(self->queue_.front());
      self->queue_.pop_front();
      self->ws_.text(true);
      auto [ec, n] = co_await self->ws_.async_write(asio::buffer(message), kUse);
      if (ec) {
        // The read side notices the dead connection too; closing makes sure it does now.
        self->queue_.clear();
        beast::get_lowest_layer(self->ws_).close();
        break;
      }
    }
    self->writing_ = false;
    if (self->closing_ && !self->aborted_) self->start_close();
  }

  void start_close() {
    if (close_started_) return;
    close_started_ = true;
    asio::co_spawn(
        ws_.get_executor(),
        [](std::shared_ptr<WsLinkImpl> self) -> asio::awaitable<void> {
          auto [ec] = co_await self->ws_.async_close(websocket::close_code::normal, kUse);
          // The read loop ends with `closed` once the server answers; without an answer (or on
          // a failed close) the socket goes.
          if (ec) beast::get_lowest_layer(self->ws_).close();
        }(this->shared_from_this()),
        asio::detached);
  }

  void finish(const mp::Error& error) {
    if (finished_) return;
    finished_ = true;
    auto on_closed = std::move(handlers_.on_closed);
    handlers_ = {};
    boost::system::error_code ignored;
    beast::get_lowest_layer(ws_).socket().close(ignored);
    if (on_closed) on_closed(error);
  }

  std::shared_ptr<asio::ssl::context> tls_;  // outlives the stream that points at it
  websocket::stream<Next> ws_;
  ServerUrl url_;
  Options options_;
  Handlers handlers_;
  std::deque<std::string> queue_;
  bool open_ = false;
  bool writing_ = false;
  bool closing_ = false;
  bool close_started_ = false;
  bool aborted_ = false;
  bool finished_ = false;
};

}  // namespace

std::shared_ptr<WsLink> WsLink::create(asio::io_context& io,
                                       std::shared_ptr<asio::ssl::context> tls, ServerUrl url,
                                       Options options, Handlers handlers) {
  if (url.tls) {
    return std::make_shared<WsLinkImpl<TlsStream>>(io, std::move(tls), std::move(url),
                                                   std::move(options), std::move(handlers));
  }
  return std::make_shared<WsLinkImpl<TcpStream>>(io, nullptr, std::move(url), std::move(options),
                                                 std::move(handlers));
}

}  // namespace sudachi::client

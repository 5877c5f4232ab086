#include "relay/backend/asio/admin_http.hpp"

#include <chrono>
#include <memory>

#include <boost/asio/post.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

namespace sudachi::relay::asio_backend {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using asio::ip::tcp;

namespace {

class AdminSession : public std::enable_shared_from_this<AdminSession> {
 public:
  AdminSession(tcp::socket socket, const AdminHttp::Handlers& handlers)
      : stream_(std::move(socket)), handlers_(handlers) {
    parser_.body_limit(4096);
    parser_.header_limit(4096);
  }

  void start() {
    stream_.expires_after(std::chrono::seconds(5));
    http::async_read(stream_, buffer_, parser_,
                     [self = shared_from_this()](beast::error_code ec, std::size_t) {
                       if (!ec) self->respond();
                     });
  }

 private:
  void respond() {
    const auto& req = parser_.get();
    auto& res = response_;
    res.version(req.version());
    res.keep_alive(false);
    res.set(http::field::content_type, "text/plain; charset=utf-8");
    const auto target = req.target();
    const auto path = target.substr(0, target.find('?'));
    if (req.method() != http::verb::get && req.method() != http::verb::head) {
      res.result(http::status::method_not_allowed);
      res.body() = "method not allowed\n";
    } else if (path == "/health") {
      res.result(http::status::ok);
      res.body() = "ok\n";
    } else if (path == "/ready") {
      const bool ready = handlers_.ready();
      res.result(ready ? http::status::ok : http::status::service_unavailable);
      res.body() = ready ? "ready\n" : "draining\n";
    } else if (path == "/metrics") {
      res.result(http::status::ok);
      res.set(http::field::content_type, "text/plain; version=0.0.4; charset=utf-8");
      res.body() = handlers_.metrics();
    } else {
      res.result(http::status::not_found);
      res.body() = "not found\n";
    }
    res.prepare_payload();
    http::async_write(stream_, res, [self = shared_from_this()](beast::error_code, std::size_t) {
      beast::error_code ignored;
      self->stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
    });
  }

  beast::tcp_stream stream_;
  const AdminHttp::Handlers& handlers_;
  beast::flat_buffer buffer_{8192};
  http::request_parser<http::string_body> parser_;
  http::response<http::string_body> response_;
};

}  // namespace

AdminHttp::AdminHttp(asio::io_context& context, Handlers handlers)
    : context_(context),
      handlers_(std::move(handlers)),
      acceptor_(context),
      backoff_(context, "admin") {}

std::uint16_t AdminHttp::bind(const asio::ip::address& address, std::uint16_t port) {
  const tcp::endpoint ep(address, port);
  acceptor_.open(ep.protocol());
  acceptor_.set_option(tcp::acceptor::reuse_address(true));
  acceptor_.bind(ep);
  acceptor_.listen();
  return acceptor_.local_endpoint().port();
}

void AdminHttp::start() {
  accept();
}

void AdminHttp::accept() {
  acceptor_.async_accept([this](beast::error_code ec, tcp::socket socket) {
    if (ec == asio::error::operation_aborted || !acceptor_.is_open()) return;
    if (ec) return backoff_.after_failure(ec, [this] { accept(); });
    backoff_.on_success();
    std::make_shared<AdminSession>(std::move(socket), handlers_)->start();
    accept();
  });
}

void AdminHttp::close() {
  asio::post(context_, [this] {
    beast::error_code ignored;
    acceptor_.close(ignored);
    backoff_.cancel();
  });
}

}  // namespace sudachi::relay::asio_backend

#include "transport/listener.hpp"

#include <boost/asio/post.hpp>
#include <boost/asio/socket_base.hpp>

#include <spdlog/spdlog.h>

#include "transport/http_session.hpp"
#include "transport/session_context.hpp"

namespace sudachi::transport {
namespace asio = boost::asio;

namespace {
using reuse_port = asio::detail::socket_option::boolean<SOL_SOCKET, SO_REUSEPORT>;
}

Listener::Listener(asio::io_context& ioc, SessionContext& ctx)
    : ioc_(ioc), ctx_(ctx), acceptor_(ioc) {}

Status Listener::open(const asio::ip::tcp::endpoint& endpoint) {
  boost::system::error_code ec;
  acceptor_.open(endpoint.protocol(), ec);
  if (!ec) acceptor_.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acceptor_.set_option(reuse_port(true), ec);
  if (!ec) acceptor_.bind(endpoint, ec);
  if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    return Error::make(ErrorCode::internal, "cannot listen on " + endpoint.address().to_string() +
                                                ":" + std::to_string(endpoint.port()) + ": " +
                                                ec.message());
  }
  return ok_status();
}

std::uint16_t Listener::port() const {
  boost::system::error_code ec;
  return acceptor_.local_endpoint(ec).port();
}

void Listener::run() {
  do_accept();
}

void Listener::stop() {
  asio::post(ioc_, [self = shared_from_this()] {
    boost::system::error_code ignored;
    self->acceptor_.close(ignored);
  });
}

void Listener::do_accept() {
  acceptor_.async_accept(ioc_, [self = shared_from_this()](boost::system::error_code ec,
                                                           asio::ip::tcp::socket socket) {
    if (ec == asio::error::operation_aborted || !self->acceptor_.is_open()) return;
    if (ec) {
      // EMFILE and friends: log, keep accepting; the condition is usually transient.
      SPDLOG_WARN("accept failed: {}", ec.message());
    } else {
      boost::system::error_code ignored;
      socket.set_option(asio::ip::tcp::no_delay(true), ignored);
      std::make_shared<HttpSession>(std::move(socket), self->ioc_.get_executor(), self->ctx_)
          ->run();
    }
    self->do_accept();
  });
}

}  // namespace sudachi::transport

#include "transport/listener.hpp"

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>

#include <boost/asio/post.hpp>
#include <boost/asio/socket_base.hpp>

#include <spdlog/spdlog.h>

#include "transport/http_connection.hpp"
#include "transport/security_log.hpp"
#include "transport/session_context.hpp"

namespace sudachi::transport {
namespace asio = boost::asio;

namespace {

using reuse_port = asio::detail::socket_option::boolean<SOL_SOCKET, SO_REUSEPORT>;

constexpr std::chrono::milliseconds kFirstBackoff{50};
constexpr std::chrono::milliseconds kMaxBackoff{1'000};
constexpr std::chrono::seconds kWarningInterval{10};
// Process-wide, so that N loops out of descriptors together still log once per interval.
std::atomic<std::int64_t> g_last_accept_warning_ns{0};
std::atomic<std::uint64_t> g_accept_failures{0};

bool is_resource_exhaustion(const boost::system::error_code& ec) {
  return ec == asio::error::no_descriptors || ec.value() == ENFILE ||
         ec == asio::error::no_buffer_space || ec == asio::error::no_memory;
}

int open_spare() {
  return ::open("/dev/null", O_RDONLY | O_CLOEXEC);
}

std::optional<IpAddress> peer_of(const asio::ip::tcp::socket& socket) {
  boost::system::error_code ec;
  const auto endpoint = socket.remote_endpoint(ec);
  if (ec) return std::nullopt;
  return IpAddress::parse(endpoint.address().to_string());
}

}  // namespace

Listener::Listener(asio::io_context& ioc, SessionContext& ctx)
    : ioc_(ioc), ctx_(ctx), acceptor_(ioc), backoff_timer_(ioc), spare_fd_(open_spare()) {}

Listener::~Listener() {
  if (spare_fd_ >= 0) ::close(spare_fd_);
}

Status Listener::open(const asio::ip::tcp::endpoint& endpoint) {
  boost::system::error_code ec;
  acceptor_.open(endpoint.protocol(), ec);
  if (!ec) acceptor_.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acceptor_.set_option(reuse_port(true), ec);
  if (!ec) acceptor_.bind(endpoint, ec);
  if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
  // shed_one() accepts with accept4(2) directly and must never block.
  if (!ec) acceptor_.non_blocking(true, ec);
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
    self->backoff_timer_.cancel();
  });
}

void Listener::do_accept() {
  acceptor_.async_accept(ioc_, [self = shared_from_this()](const boost::system::error_code& ec,
                                                           asio::ip::tcp::socket socket) {
    self->on_accept(ec, std::move(socket));
  });
}

void Listener::on_accept(const boost::system::error_code& ec, asio::ip::tcp::socket socket) {
  if (ec == asio::error::operation_aborted || !acceptor_.is_open()) return;
  if (ec) {
    ctx_.metrics.accept_errors.inc();
    if (is_resource_exhaustion(ec)) {
      on_resource_exhausted(ec);
      return;
    }
    // ECONNABORTED and the like: one connection failed, the next may not.
    SPDLOG_DEBUG("accept failed: {}", ec.message());
    do_accept();
    return;
  }
  backoff_ = std::chrono::milliseconds{0};
  if (spare_fd_ < 0) spare_fd_ = open_spare();

  const auto peer = peer_of(socket);
  if (!peer) {
    do_accept();  // the peer left before we looked
    return;
  }
  ConnectionTracker::Ticket ticket;
  switch (ctx_.connections.admit(*peer, ticket)) {
    case ConnectionTracker::Verdict::accepted: {
      boost::system::error_code ignored;
      socket.set_option(asio::ip::tcp::no_delay(true), ignored);
      std::make_shared<HttpConnection>(std::move(socket), ioc_.get_executor(), ctx_, *peer,
                                       std::move(ticket))
          ->run();
      break;
    }
    case ConnectionTracker::Verdict::over_global_cap:
      ctx_.metrics.refused(Refusal::over_connection_cap);
      log_refusal(Refusal::over_connection_cap, peer->to_string());
      break;  // the socket closes as it goes out of scope
    case ConnectionTracker::Verdict::over_ip_cap:
      ctx_.metrics.refused(Refusal::over_ip_cap);
      log_refusal(Refusal::over_ip_cap, peer->to_string());
      break;
  }
  do_accept();
}

void Listener::on_resource_exhausted(const boost::system::error_code& ec) {
  const std::uint64_t failures = g_accept_failures.fetch_add(1, std::memory_order_relaxed) + 1;
  const std::int64_t now = std::chrono::duration_cast<std::chrono::nanoseconds>(
                               std::chrono::steady_clock::now().time_since_epoch())
                               .count();
  std::int64_t last = g_last_accept_warning_ns.load(std::memory_order_relaxed);
  const std::int64_t interval =
      std::chrono::duration_cast<std::chrono::nanoseconds>(kWarningInterval).count();
  // One listener wins the interval; the others only count.
  if ((last == 0 || now - last >= interval) &&
      g_last_accept_warning_ns.compare_exchange_strong(last, now, std::memory_order_relaxed)) {
    g_accept_failures.fetch_sub(failures, std::memory_order_relaxed);
    SPDLOG_WARN("accept failed ({}); {} failures in the last interval; pausing accepts",
                ec.message(), failures);
  }
  shed_one();
  backoff_ = backoff_.count() == 0 ? kFirstBackoff : std::min(backoff_ * 2, kMaxBackoff);
  backoff_timer_.expires_after(backoff_);
  backoff_timer_.async_wait([self = shared_from_this()](const boost::system::error_code& e) {
    if (!e) self->do_accept();
  });
}

// Frees the spare descriptor to take one pending connection off the backlog and close it: the
// client is told no at once instead of waiting out its connect timeout.
void Listener::shed_one() {
  if (spare_fd_ < 0) return;
  ::close(spare_fd_);
  spare_fd_ = -1;
  const int fd =
      ::accept4(acceptor_.native_handle(), nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
  if (fd >= 0) ::close(fd);
  spare_fd_ = open_spare();
}

}  // namespace sudachi::transport

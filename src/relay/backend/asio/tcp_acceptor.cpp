#include "relay/backend/asio/tcp_acceptor.hpp"

#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <string>

#include <boost/asio/ip/v6_only.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/steady_timer.hpp>

#include "relay/backend/asio/worker.hpp"
#include "relay/now.hpp"
#include "relay/session_table.hpp"
#include "relay/token_check.hpp"

namespace sudachi::relay::asio_backend {

namespace asio = boost::asio;
using asio::ip::tcp;

// One connection's HELLO: header, then exactly the announced token, within the deadline.
class TcpAcceptor::Handshake : public std::enable_shared_from_this<Handshake> {
 public:
  Handshake(TcpAcceptor& owner, tcp::socket socket, const Endpoint& from)
      : owner_(owner),
        socket_(std::move(socket)),
        timer_(owner.context_),
        pending_(owner.pending_),
        ip_(IpSessionLimits::key(from)) {
    ++pending_->total;
    ++pending_->per_ip[ip_];
  }
  ~Handshake() {
    --pending_->total;
    auto it = pending_->per_ip.find(ip_);
    if (it != pending_->per_ip.end() && --it->second == 0) pending_->per_ip.erase(it);
  }

  void start() {
    timer_.expires_after(std::chrono::milliseconds(owner_.config_.tcp_handshake_timeout_ms));
    timer_.async_wait([self = shared_from_this()](const boost::system::error_code& ec) {
      if (ec) return;
      boost::system::error_code ignored;
      self->socket_.close(ignored);  // too slow: drop without a word (it sent nothing usable)
    });
    asio::async_read(socket_, asio::buffer(header_),
                     [self = shared_from_this()](boost::system::error_code ec, std::size_t) {
                       if (ec) {
                         self->timer_.cancel();
                         return;
                       }
                       self->on_header();
                     });
  }

 private:
  void on_header() {
    std::size_t token_length = 0;
    switch (wire::parse_hello_header(header_, token_length)) {
      case wire::HelloParse::ok:
        break;
      case wire::HelloParse::unsupported_version:
        return refuse(wire::Status::unsupported_version);
      default:
        return refuse(wire::Status::malformed);
    }
    token_.resize(token_length);  // <= wire::kMaxTokenSize
    asio::async_read(socket_, asio::buffer(token_),
                     [self = shared_from_this()](boost::system::error_code ec, std::size_t) {
                       if (ec) {
                         self->timer_.cancel();
                         return;
                       }
                       self->on_token();
                     });
  }

  void on_token() {
    timer_.cancel();
    TokenCheck token = check_token(owner_.keyring_, token_, unix_now_ms(), owner_.config_.relay_id);
    if (token.status != wire::Status::ok) return refuse(token.status, &token);
    if (token.expired) return refuse(wire::Status::expired, &token);
    Worker* worker = owner_.workers_[owner_worker(token.claims.session_id, owner_.workers_.size())];
    // Re-home the socket on the owner's io_context: both legs of a session live on one thread.
    // Error-code overloads: the deadline may have closed the socket just before this ran.
    boost::system::error_code ec;
    const auto local = socket_.local_endpoint(ec);
    if (ec) return;
    const auto protocol = local.protocol();
    const int fd = socket_.release(ec);
    if (ec) return;
    asio::post(worker->context(), [worker, fd, protocol, token = std::move(token)]() mutable {
      tcp::socket socket(worker->context());
      boost::system::error_code assign_error;
      socket.assign(protocol, fd, assign_error);
      if (assign_error) {
        ::close(fd);
        return;
      }
      worker->adopt_tcp(std::move(socket), std::move(token));
    });
  }

  void refuse(wire::Status status, const TokenCheck* token = nullptr) {
    timer_.cancel();
    wire::HelloReply reply;
    reply.status = status;
    if (token != nullptr && token->status == wire::Status::ok) {
      reply.slot = token->claims.slot;
      reply.session_id = token->claims.session_id;
    }
    if (status == wire::Status::rate_limited) reply.retry_after_s = owner_.limiter_.retry_after_s();
    owner_.stats_.handshake(Transport::tcp, status);
    std::array<std::uint8_t, wire::kHelloReplySize> bytes{};
    wire::encode_hello_reply(bytes, reply);
    [[maybe_unused]] auto n =
        ::send(socket_.native_handle(), bytes.data(), bytes.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
    boost::system::error_code ignored;
    socket_.shutdown(tcp::socket::shutdown_both, ignored);
    socket_.close(ignored);
  }

  friend class TcpAcceptor;
  TcpAcceptor& owner_;
  tcp::socket socket_;
  asio::steady_timer timer_;
  std::shared_ptr<Pending> pending_;
  Endpoint ip_;  // the per-IP key this handshake counts under
  std::array<std::uint8_t, wire::kHelloFixedSize> header_{};
  std::string token_;
};

TcpAcceptor::TcpAcceptor(asio::io_context& context, const RelayConfig& config,
                         const auth::RelayTokenKeyring& keyring, std::vector<Worker*> workers,
                         WorkerStats& stats)
    : context_(context),
      config_(config),
      keyring_(keyring),
      workers_(std::move(workers)),
      stats_(stats),
      limiter_(config.handshake_rate_per_s, config.handshake_burst),
      acceptor_(context),
      backoff_(context, "tcp") {}

std::uint16_t TcpAcceptor::bind(const asio::ip::address& address, std::uint16_t port) {
  const tcp::endpoint ep(address, port);
  acceptor_.open(ep.protocol());
  acceptor_.set_option(tcp::acceptor::reuse_address(true));
  if (address.is_v6()) acceptor_.set_option(asio::ip::v6_only(false));
  acceptor_.bind(ep);
  acceptor_.listen(asio::socket_base::max_listen_connections);
  return acceptor_.local_endpoint().port();
}

void TcpAcceptor::start() {
  accept();
}

void TcpAcceptor::accept() {
  acceptor_.async_accept([this](boost::system::error_code ec, tcp::socket socket) {
    if (ec == asio::error::operation_aborted || !acceptor_.is_open()) return;
    if (ec) return backoff_.after_failure(ec, [this] { accept(); });
    backoff_.on_success();
    on_accept(std::move(socket));
    accept();
  });
}

void TcpAcceptor::on_accept(tcp::socket socket) {
  boost::system::error_code ignored;
  socket.set_option(tcp::no_delay(true), ignored);
  const auto remote = socket.remote_endpoint(ignored);
  Endpoint from;
  if (!ignored)
    from = Endpoint::from_sockaddr(remote.data(), static_cast<socklen_t>(remote.size()));
  auto it = pending_->per_ip.find(IpSessionLimits::key(from));
  const std::uint32_t from_ip = it == pending_->per_ip.end() ? 0 : it->second;
  auto handshake = std::make_shared<Handshake>(*this, std::move(socket), from);
  // Refusals answer at once and close: the descriptor is free again right away.
  if (pending_->total > config_.max_pending_tcp_handshakes) {
    handshake->refuse(wire::Status::over_capacity);
  } else if (config_.max_waiting_per_ip != 0 && from_ip >= config_.max_waiting_per_ip) {
    stats_.ip_limit(IpLimit::tcp_pending);
    handshake->refuse(wire::Status::over_capacity);
  } else if (!limiter_.allow(from, steady_now_ms())) {
    handshake->refuse(wire::Status::rate_limited);
  } else {
    handshake->start();
  }
}

void TcpAcceptor::close() {
  asio::post(context_, [this] {
    boost::system::error_code ignored;
    acceptor_.close(ignored);
    backoff_.cancel();
  });
}

}  // namespace sudachi::relay::asio_backend

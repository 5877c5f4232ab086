#include "client/p2p/runtime/relay_leg.hpp"

#include <chrono>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/write.hpp>

#include "client/p2p/runtime/clock.hpp"

namespace sudachi::client::p2p::runtime {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using udp = asio::ip::udp;

RelayLeg::RelayLeg(asio::io_context& io, std::string peer_id, RelayOffer offer,
                   RelayTransport transport, Config config, Owner& owner)
    : io_(io),
      peer_id_(std::move(peer_id)),
      offer_(std::move(offer)),
      transport_(transport),
      config_(config),
      owner_(owner),
      resolver_(io) {
  if (!config_.allow_udp && offer_.tcp_port != 0) transport_ = RelayTransport::tcp;
}

RelayLeg::~RelayLeg() {
  close();
}

void RelayLeg::start(std::int64_t now_ms) {
  started_ms_ = now_ms;
  // Literal addresses (the usual case) skip the resolver.
  boost::system::error_code ec;
  const auto ip = asio::ip::make_address(offer_.server, ec);
  if (!ec) {
    resolved(ip, now_ms);
    return;
  }
  resolver_.async_resolve(offer_.server, std::to_string(offer_.port),
                          [self = shared_from_this()](const boost::system::error_code& rec,
                                                      const udp::resolver::results_type& results) {
                            if (self->closed_) return;
                            if (rec || results.empty()) {
                              self->fail("cannot resolve relay " + self->offer_.server);
                              return;
                            }
                            self->resolved(results.begin()->endpoint().address(), steady_now_ms());
                          });
}

void RelayLeg::resolved(const asio::ip::address& ip, std::int64_t now_ms) {
  server_ = parse_endpoint(ip.to_string(), 0);
  if (!server_) {
    fail("relay address unusable");
    return;
  }
  if (transport_ == RelayTransport::tcp) {
    start_tcp(now_ms);
  } else {
    start_udp(now_ms);
  }
}

std::string RelayLeg::remote_address() const {
  if (!server_) return offer_.server;
  Endpoint e = *server_;
  e.port =
      transport_ == RelayTransport::tcp
          ? offer_.tcp_port
          : (udp_client_ && udp_client_->data_port() != 0 ? udp_client_->data_port() : offer_.port);
  return e.to_string();
}

void RelayLeg::fail(std::string_view reason) {
  if (closed_) return;
  closed_ = true;
  owner_.leg_failed(*this, reason);
  // Sockets are closed by close() (the owner's close_relay or the destructor).
}

void RelayLeg::switch_transport(std::string_view why, std::int64_t now_ms) {
  const bool to_tcp = transport_ == RelayTransport::udp;
  if (switches_ >= config_.max_transport_switches || (to_tcp && offer_.tcp_port == 0) ||
      (!to_tcp && !config_.allow_udp)) {
    fail(why);
    return;
  }
  ++switches_;
  owner_.leg_log(*this, LogLevel::info,
                 std::string(why) + (to_tcp ? "; trying TCP" : "; trying UDP"));
  ready_ = false;
  if (udp_) udp_->close();
  if (tcp_) {
    boost::system::error_code ec;
    tcp_->close(ec);
  }
  // The old objects may still be on the stack (we are inside one of their callbacks): keep
  // them until the io_context has unwound it.
  asio::post(io_, [u = std::move(udp_), c = std::move(udp_client_), t = std::move(tcp_),
                   r = std::move(tcp_reader_)]() mutable {});
  tcp_paired_ = false;
  tcp_write_in_flight_ = false;
  tcp_pending_.clear();
  transport_ = to_tcp ? RelayTransport::tcp : RelayTransport::udp;
  if (to_tcp) {
    start_tcp(now_ms);
  } else {
    start_udp(now_ms);
  }
}

// ---- UDP --------------------------------------------------------------------------------

void RelayLeg::start_udp(std::int64_t now_ms) {
  udp_ = std::make_unique<UdpPort>(io_);
  if (auto st = udp_->open_for(*server_); !st.ok()) {
    fail(st.error().message);
    return;
  }
  UdpRelayClient::Config c;
  c.silence_to_tcp_ms =
      offer_.tcp_port != 0 ? config_.udp_silence_to_tcp_ms : config_.handshake_timeout_ms;
  c.handshake_timeout_ms = config_.handshake_timeout_ms;
  udp_client_ = std::make_unique<UdpRelayClient>(offer_.token, offer_.port, c,
                                                 static_cast<UdpRelayClient::Host&>(*this));
  // A weak reference: the port stores this handler, and the leg owns the port.
  udp_->start([weak = weak_from_this()](const Endpoint& from, std::span<const std::uint8_t> bytes) {
    const auto self = weak.lock();
    if (!self || self->closed_ || !self->udp_client_ || from.ip_only() != self->server_->ip_only())
      return;
    self->udp_client_->on_datagram(from.port, bytes, steady_now_ms());
  });
  udp_client_->start(now_ms);
}

void RelayLeg::relay_send(std::uint16_t port, std::span<const std::uint8_t> datagram) {
  if (!udp_ || !server_) return;
  Endpoint to = *server_;
  to.port = port;
  udp_->send(to, datagram);
}

void RelayLeg::relay_bound(bool) {
  if (ready_ || closed_) return;
  ready_ = true;
  owner_.leg_ready(*this);
}

void RelayLeg::relay_data(std::span<const std::uint8_t> payload) {
  if (!closed_) owner_.leg_frame(*this, payload);
}

void RelayLeg::relay_failed(std::string_view reason, bool use_tcp) {
  if (closed_) return;
  if (use_tcp && !ready_) {
    switch_transport(reason, steady_now_ms());
  } else {
    fail(reason);
  }
}

// ---- TCP --------------------------------------------------------------------------------

void RelayLeg::start_tcp(std::int64_t now_ms) {
  started_ms_ = now_ms;
  tcp_ = std::make_unique<tcp::socket>(io_);
  tcp_reader_ = std::make_unique<TcpRelayReader>(static_cast<TcpRelayReader::Host&>(*this));
  tcp_pending_.reserve(config_.tcp_queue_limit);
  tcp_writing_.reserve(config_.tcp_queue_limit);
  boost::system::error_code ec;
  const auto ip = asio::ip::make_address(ip_string(*server_), ec);
  const tcp::endpoint target(ip, offer_.tcp_port);
  tcp::socket* socket = tcp_.get();
  socket->async_connect(
      target, [self = shared_from_this(), socket](const boost::system::error_code& cec) {
        if (self->closed_ || socket != self->tcp_.get()) return;
        if (cec) {
          self->tcp_relay_failed("cannot connect to the relay over TCP: " + cec.message(), true);
          return;
        }
        boost::system::error_code ignored;
        socket->set_option(tcp::no_delay(true), ignored);
        self->owner_.leg_log(*self, LogLevel::debug, "TCP connected to the relay; HELLO sent");
        std::array<std::uint8_t, relay::wire::kHelloFixedSize + relay::wire::kMaxTokenSize> hello{};
        const std::size_t n = encode_tcp_relay_hello(hello, self->offer_.token);
        if (n == 0) {
          self->fail("relay token unusable");
          return;
        }
        self->tcp_queue({hello.data(), n}, {});
        self->tcp_read();
      });
}

void RelayLeg::tcp_read() {
  tcp::socket* socket = tcp_.get();
  socket->async_read_some(
      asio::buffer(tcp_read_buf_),
      [self = shared_from_this(), socket](const boost::system::error_code& ec, std::size_t n) {
        if (self->closed_ || socket != self->tcp_.get()) return;
        if (ec) {
          self->fail(ec == asio::error::eof ? "relay closed the TCP connection"
                                            : "relay TCP connection failed: " + ec.message());
          return;
        }
        self->tcp_reader_->feed({self->tcp_read_buf_.data(), n});
        if (!self->closed_ && socket == self->tcp_.get() &&
            self->tcp_reader_->state() != TcpRelayReader::State::failed) {
          self->tcp_read();
        }
      });
}

bool RelayLeg::tcp_queue(std::span<const std::uint8_t> a, std::span<const std::uint8_t> b) {
  // Datagram semantics over a stream: when the socket cannot keep up, drop whole frames.
  if (tcp_pending_.size() + a.size() + b.size() > config_.tcp_queue_limit) return false;
  tcp_pending_.insert(tcp_pending_.end(), a.begin(), a.end());
  tcp_pending_.insert(tcp_pending_.end(), b.begin(), b.end());
  tcp_flush();
  return true;
}

// One write in flight; what arrives meanwhile collects in tcp_pending_ and goes next, in one
// write (the two buffers swap, so steady traffic allocates nothing).
void RelayLeg::tcp_flush() {
  if (tcp_write_in_flight_ || tcp_pending_.empty() || !tcp_) return;
  std::swap(tcp_pending_, tcp_writing_);
  tcp_pending_.clear();
  tcp_write_in_flight_ = true;
  tcp::socket* socket = tcp_.get();
  asio::async_write(
      *socket, asio::buffer(tcp_writing_),
      [self = shared_from_this(), socket](const boost::system::error_code& ec, std::size_t) {
        if (self->closed_ || socket != self->tcp_.get()) return;
        self->tcp_write_in_flight_ = false;
        self->tcp_writing_.clear();
        if (ec) {
          self->fail("relay TCP write failed: " + ec.message());
          return;
        }
        self->tcp_flush();
      });
}

void RelayLeg::tcp_relay_bound() {
  owner_.leg_log(*this, LogLevel::debug, "TCP relay slot bound; waiting for the peer");
}

void RelayLeg::tcp_relay_paired() {
  tcp_paired_ = true;
  owner_.leg_log(*this, LogLevel::debug, "TCP relay session paired");
  if (!ready_ && !closed_) {
    ready_ = true;
    owner_.leg_ready(*this);
  }
}

void RelayLeg::tcp_relay_frame(std::span<const std::uint8_t> frame) {
  if (!closed_) owner_.leg_frame(*this, frame);
}

void RelayLeg::tcp_relay_failed(std::string_view reason, bool use_udp) {
  if (closed_) return;
  if (use_udp && !ready_) {
    switch_transport(reason, steady_now_ms());
  } else {
    fail(reason);
  }
}

// ---- common -------------------------------------------------------------------------------

bool RelayLeg::send_frame(std::span<const std::uint8_t> frame) {
  if (closed_ || !ready_) return false;
  if (transport_ == RelayTransport::udp) return udp_client_ && udp_client_->send_data(frame);
  std::array<std::uint8_t, kTcpLengthSize> length{};
  if (!tcp_paired_ || !write_tcp_frame_length(length, frame.size())) return false;
  return tcp_queue(length, frame);
}

std::int64_t RelayLeg::tick(std::int64_t now_ms) {
  if (closed_) return now_ms + 60'000;
  if (transport_ == RelayTransport::udp && udp_client_) return udp_client_->tick(now_ms);
  if (transport_ == RelayTransport::tcp && !tcp_paired_) {
    // Connect plus HELLO_REPLY within the bound; pairing may take longer (the relay holds
    // the connection until the other peer binds, and tells us with a marker).
    const bool replied = tcp_reader_ && tcp_reader_->state() != TcpRelayReader::State::reply;
    if (!replied && now_ms - started_ms_ >= config_.handshake_timeout_ms) {
      fail("relay TCP handshake timed out");
      return now_ms + 60'000;
    }
    return replied ? now_ms + 60'000 : started_ms_ + config_.handshake_timeout_ms;
  }
  return now_ms + 60'000;
}

void RelayLeg::rebind(std::int64_t now_ms) {
  if (closed_ || transport_ != RelayTransport::udp || !udp_client_) return;
  owner_.leg_log(*this, LogLevel::info, "local address changed: re-binding to the relay");
  udp_client_->rebind(now_ms);
}

void RelayLeg::close() {
  if (udp_client_ && !closed_) udp_client_->close();  // BYE
  closed_ = true;
  boost::system::error_code ec;
  resolver_.cancel();
  if (udp_) udp_->close();
  if (tcp_) {
    tcp_->shutdown(tcp::socket::shutdown_both, ec);
    tcp_->close(ec);
  }
}

}  // namespace sudachi::client::p2p::runtime

#include "client/p2p/runtime/udp_port.hpp"

#include <netinet/in.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/v6_only.hpp>

namespace sudachi::client::p2p::runtime {

namespace asio = boost::asio;
using udp = asio::ip::udp;

namespace {
// Rounds of recvmmsg per readiness event before timers and other work get their turn.
constexpr int kRoundsPerWake = 8;
}  // namespace

UdpPort::UdpPort(asio::io_context& io) : socket_(io), buf_(std::make_unique<Buffers>()) {}

UdpPort::~UdpPort() {
  close();
}

Status UdpPort::open(const std::string& address, std::uint16_t port) {
  boost::system::error_code ec;
  const auto ip = asio::ip::make_address(address, ec);
  if (ec) return Error::make(ErrorCode::invalid_request, "bad bind address: " + address);
  udp::endpoint local(ip, port);
  socket_.open(local.protocol(), ec);
  if (!ec && ip.is_v6()) socket_.set_option(asio::ip::v6_only(false), ec);
  if (!ec) socket_.bind(local, ec);
  if (ec) {
    return Error::make(ErrorCode::unavailable, "cannot bind UDP " + address + ":" +
                                                   std::to_string(port) + ": " + ec.message());
  }
  v6_ = ip.is_v6();
  local_port_ = socket_.local_endpoint(ec).port();
  socket_.native_non_blocking(true, ec);
  int ttl = 0;
  socklen_t len = sizeof ttl;
  if (::getsockopt(socket_.native_handle(), v6_ ? IPPROTO_IPV6 : IPPROTO_IP,
                   v6_ ? IPV6_UNICAST_HOPS : IP_TTL, &ttl, &len) == 0 &&
      ttl > 0) {
    default_ttl_ = ttl;
  }
  return ok_status();
}

Status UdpPort::open_for(const Endpoint& peer) {
  return open(peer.family == 6 ? "::" : "0.0.0.0", 0);
}

void UdpPort::start(Handler handler, BatchDone done) {
  handler_ = std::move(handler);
  done_ = std::move(done);
  wait();
}

void UdpPort::close() {
  *alive_ = false;
  alive_ = std::make_shared<bool>(true);
  boost::system::error_code ec;
  socket_.close(ec);
}

void UdpPort::wait() {
  if (!socket_.is_open()) return;
  socket_.async_wait(udp::socket::wait_read,
                     [this, alive = alive_](const boost::system::error_code& ec) {
                       if (ec || !*alive) return;
                       drain();
                       if (*alive) wait();
                     });
}

void UdpPort::drain() {
  Buffers& b = *buf_;
  const auto alive = alive_;
  for (int round = 0; round < kRoundsPerWake; ++round) {
    for (std::size_t i = 0; i < kBatch; ++i) {
      b.iov[i] = {b.data[i].data(), kBufferSize};
      b.msgs[i] = {};
      b.msgs[i].msg_hdr.msg_name = &b.from[i];
      b.msgs[i].msg_hdr.msg_namelen = sizeof(sockaddr_storage);
      b.msgs[i].msg_hdr.msg_iov = &b.iov[i];
      b.msgs[i].msg_hdr.msg_iovlen = 1;
    }
    const int n = ::recvmmsg(socket_.native_handle(), b.msgs.data(), kBatch, MSG_DONTWAIT, nullptr);
    if (n <= 0) break;  // EAGAIN, or an ICMP error surfaced: nothing to read either way
    for (int i = 0; i < n && *alive; ++i) {
      const auto& hdr = b.msgs[i].msg_hdr;
      if ((hdr.msg_flags & MSG_TRUNC) != 0) continue;  // larger than anything we accept
      const Endpoint from =
          Endpoint::from_sockaddr(reinterpret_cast<const sockaddr*>(&b.from[i]), hdr.msg_namelen);
      if (!from.valid()) continue;
      handler_(from, {b.data[i].data(), std::min<std::size_t>(b.msgs[i].msg_len, kBufferSize)});
    }
    if (!*alive) return;
    if (static_cast<std::size_t>(n) < kBatch) break;
  }
  if (done_ && *alive) done_();
}

bool UdpPort::set_ttl(int ttl) {
  const int fd = socket_.native_handle();
  bool ok = ::setsockopt(fd, IPPROTO_IP, IP_TTL, &ttl, sizeof ttl) == 0;
  if (v6_) ok = ::setsockopt(fd, IPPROTO_IPV6, IPV6_UNICAST_HOPS, &ttl, sizeof ttl) == 0 && ok;
  return ok;
}

bool UdpPort::send(const Endpoint& to, std::span<const std::uint8_t> bytes, int ttl) {
  if (!socket_.is_open() || (to.family == 6 && !v6_)) {
    ++send_drops_;
    return false;
  }
  // A TTL-limited datagram (priming): the socket is ours alone and sends are synchronous,
  // so setting the TTL around one sendto affects exactly that datagram.
  if (ttl > 0 && !set_ttl(ttl)) {
    ++send_drops_;
    return false;
  }
  sockaddr_storage addr{};
  const socklen_t len = to.to_sockaddr(addr, v6_);
  ssize_t n = -1;
  do {
    n = ::sendto(socket_.native_handle(), bytes.data(), bytes.size(), MSG_DONTWAIT,
                 reinterpret_cast<const sockaddr*>(&addr), len);
  } while (n < 0 && errno == EINTR);
  if (ttl > 0) set_ttl(default_ttl_);
  if (n < 0) {
    ++send_drops_;
    return false;
  }
  return true;
}

}  // namespace sudachi::client::p2p::runtime

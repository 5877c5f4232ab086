#include "relay/backend/asio/udp_loop.hpp"

#include <fcntl.h>

#include <cerrno>
#include <cstring>

#include "relay/now.hpp"

namespace sudachi::relay::asio_backend {
namespace {

// Rounds of recvmmsg per readiness event before yielding to timers and other work.
constexpr int kRoundsPerWake = 16;

}  // namespace

UdpLoop::UdpLoop(WorkerLoop& loop, UdpSocket socket, DatagramHandler& handler, WorkerStats& stats)
    : fd_(socket.fd),
      handler_(handler),
      stats_(stats),
      v6_socket_(socket.v6),
      buf_(std::make_unique<Buffers>()) {
  // Every call below passes MSG_DONTWAIT as well; this also covers any other reader of the fd.
  ::fcntl(fd_, F_SETFL, ::fcntl(fd_, F_GETFL) | O_NONBLOCK);
  // Registered once; each readiness drains, then waits again (the socket closing ends it).
  readable_ = loop.watch_readable(fd_, [this] {
    on_readable();
    readable_->arm();
  });
}

void UdpLoop::start() {
  readable_->arm();
}

UdpIoFactory asio_udp_io() {
  return [](WorkerLoop& loop, UdpSocket socket, DatagramHandler& handler,
            WorkerStats& stats) -> std::unique_ptr<UdpIo> {
    return std::make_unique<UdpLoop>(loop, socket, handler, stats);
  };
}

void UdpLoop::on_readable() {
  for (int round = 0; round < kRoundsPerWake; ++round) {
    // One clock read per batch, not per datagram.
    if (receive_batch(steady_now_ms(), unix_now_ms()) < kBatch) break;
  }
}

std::size_t UdpLoop::receive_batch(std::int64_t now_ms, std::int64_t now_unix_ms) {
  Buffers& b = *buf_;
  for (std::size_t i = 0; i < kBatch; ++i) {
    b.iov[i] = {b.data[i].data(), kBufferSize};
    b.msgs[i] = {};
    b.msgs[i].msg_hdr.msg_name = &b.from[i];
    b.msgs[i].msg_hdr.msg_namelen = sizeof(sockaddr_storage);
    b.msgs[i].msg_hdr.msg_iov = &b.iov[i];
    b.msgs[i].msg_hdr.msg_iovlen = 1;
  }
  const int n = ::recvmmsg(fd_, b.msgs.data(), kBatch, MSG_DONTWAIT, nullptr);
  if (n <= 0) return 0;  // EAGAIN, or an ICMP error surfaced: nothing to do either way
  DatagramHandler::Actions actions;
  for (int i = 0; i < n; ++i) {
    const auto& hdr = b.msgs[i].msg_hdr;
    const Endpoint from =
        Endpoint::from_sockaddr(reinterpret_cast<const sockaddr*>(&b.from[i]), hdr.msg_namelen);
    const std::size_t len = std::min<std::size_t>(b.msgs[i].msg_len, kBufferSize);
    actions.count = 0;
    handler_.on_datagram({b.data[i].data(), len}, (hdr.msg_flags & MSG_TRUNC) != 0, from, now_ms,
                         now_unix_ms, DatagramHandler::Scratch{b.scratch[i]}, actions);
    for (std::size_t k = 0; k < actions.count; ++k) queue(actions.sends[k]);
  }
  flush();  // before the buffers are reused: forwarded datagrams point into them
  return static_cast<std::size_t>(n);
}

void UdpLoop::queue(const UdpSend& send) {
  Buffers& b = *buf_;
  if (pending_ == b.out_msgs.size()) flush();
  const std::size_t i = pending_++;
  const socklen_t len = send.to.to_sockaddr(b.to[i], v6_socket_);
  b.out_iov[i] = {const_cast<std::uint8_t*>(send.data), send.size};
  b.out_msgs[i] = {};
  b.out_msgs[i].msg_hdr.msg_name = &b.to[i];
  b.out_msgs[i].msg_hdr.msg_namelen = len;
  b.out_msgs[i].msg_hdr.msg_iov = &b.out_iov[i];
  b.out_msgs[i].msg_hdr.msg_iovlen = 1;
}

void UdpLoop::flush() {
  Buffers& b = *buf_;
  std::size_t done = 0;
  while (done < pending_) {
    const int n =
        ::sendmmsg(fd_, &b.out_msgs[done], static_cast<unsigned>(pending_ - done), MSG_DONTWAIT);
    if (n > 0) {
      for (int k = 0; k < n; ++k)
        stats_.packet(Transport::udp, Direction::out, b.out_iov[done + k].iov_len);
      done += static_cast<std::size_t>(n);
      continue;
    }
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOBUFS) {
      // Send buffer full: drop the rest of the batch rather than queue without bound.
      for (; done < pending_; ++done) stats_.drop(Drop::send_failed);
      break;
    }
    // This one datagram failed (unreachable network, bad address family): skip it.
    stats_.drop(Drop::send_failed);
    ++done;
  }
  pending_ = 0;
}

void UdpLoop::send_now(const UdpSend& send) {
  sockaddr_storage to{};
  const socklen_t len = send.to.to_sockaddr(to, v6_socket_);
  const auto n = ::sendto(fd_, send.data, send.size, MSG_DONTWAIT,
                          reinterpret_cast<const sockaddr*>(&to), len);
  if (n < 0) {
    stats_.drop(Drop::send_failed);
  } else {
    stats_.packet(Transport::udp, Direction::out, send.size);
  }
}

}  // namespace sudachi::relay::asio_backend

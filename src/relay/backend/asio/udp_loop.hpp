#pragma once

#include <sys/socket.h>

#include <array>
#include <cstdint>
#include <memory>

#include "relay/datagram_handler.hpp"
#include "relay/udp_io.hpp"
#include "relay/worker_loop.hpp"
#include "relay/worker_stats.hpp"

namespace sudachi::relay::asio_backend {

// One worker's UDP socket: Asio only tells us the socket is readable (through the worker's
// WorkerLoop, which waits on the socket object Asio already knows); then recvmmsg drains up
// to kBatch datagrams at a time into buffers allocated once, the handler decides, and one
// sendmmsg transmits every reply and forwarded datagram of the batch. Nothing is queued past
// the batch: a full socket send buffer drops (UDP semantics), it never grows memory.
class UdpLoop final : public UdpIo {
 public:
  static constexpr std::size_t kBatch = 32;
  static constexpr std::size_t kBufferSize =
      2048;  // > wire::kMaxDatagram, so MSG_TRUNC means oversized

  UdpLoop(WorkerLoop& loop, UdpSocket socket, DatagramHandler& handler, WorkerStats& stats);

  void start() override;
  void send_now(const UdpSend& send) override;

 private:
  void on_readable();
  std::size_t receive_batch(std::int64_t now_ms, std::int64_t now_unix_ms);
  void queue(const UdpSend& send);
  void flush();

  int fd_;
  DatagramHandler& handler_;
  WorkerStats& stats_;
  bool v6_socket_;
  std::unique_ptr<ReadableWatch> readable_;

  struct Buffers {
    std::array<std::array<std::uint8_t, kBufferSize>, kBatch> data;
    std::array<std::array<std::uint8_t, DatagramHandler::kScratchSize>, kBatch> scratch;
    std::array<sockaddr_storage, kBatch> from;
    std::array<iovec, kBatch> iov;
    std::array<mmsghdr, kBatch> msgs;
    // Each received datagram yields at most two sends.
    std::array<sockaddr_storage, 2 * kBatch> to;
    std::array<iovec, 2 * kBatch> out_iov;
    std::array<mmsghdr, 2 * kBatch> out_msgs;
  };
  std::unique_ptr<Buffers> buf_;  // ~70 KiB, once per worker
  std::size_t pending_ = 0;
};

// The portable default for AsioRelay.
UdpIoFactory asio_udp_io();

}  // namespace sudachi::relay::asio_backend

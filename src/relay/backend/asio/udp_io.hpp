#pragma once

#include <functional>
#include <memory>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/udp.hpp>

#include "relay/datagram_handler.hpp"
#include "relay/worker_stats.hpp"

namespace sudachi::relay::asio_backend {

// How a worker moves UDP datagrams: the Asio loop (recvmmsg/sendmmsg) or io_uring. Both feed
// the same DatagramHandler on the worker's thread, so the protocol cannot differ between them.
class UdpIo {
 public:
  virtual ~UdpIo() = default;
  virtual void start() = 0;
  // Best-effort single send from the worker's thread (session-close events).
  virtual void send_now(const UdpSend& send) = 0;
};

using UdpIoFactory = std::function<std::unique_ptr<UdpIo>(
    boost::asio::io_context&, boost::asio::ip::udp::socket&, DatagramHandler&, WorkerStats&)>;

// The portable default.
UdpIoFactory asio_udp_io();

}  // namespace sudachi::relay::asio_backend

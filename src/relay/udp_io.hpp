#pragma once

#include <functional>
#include <memory>

#include "relay/datagram_handler.hpp"
#include "relay/worker_loop.hpp"
#include "relay/worker_stats.hpp"

namespace sudachi::relay {

// How a worker moves UDP datagrams: the Asio loop (recvmmsg/sendmmsg, backend/asio) or
// io_uring (backend/uring). Both feed the same DatagramHandler on the worker's thread, so the
// protocol cannot differ between them. Worker's thread only, once started.
class UdpIo {
 public:
  virtual ~UdpIo() = default;
  virtual void start() = 0;
  // Best-effort single send from the worker's thread (session-close events).
  virtual void send_now(const UdpSend& send) = 0;
};

// The worker's bound UDP socket, which the worker owns and closes. A native fd, so that a
// datapath needs no Asio type; `v6` says whether destinations must be written as IPv6
// (a dual-stack socket sends to IPv4 peers as v4-mapped addresses).
struct UdpSocket {
  int fd = -1;
  bool v6 = false;
};

// Called once per worker at start-up, before its thread runs; may throw (start-up only).
using UdpIoFactory =
    std::function<std::unique_ptr<UdpIo>(WorkerLoop&, UdpSocket, DatagramHandler&, WorkerStats&)>;

}  // namespace sudachi::relay

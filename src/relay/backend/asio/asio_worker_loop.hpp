#pragma once

#include <functional>
#include <memory>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/udp.hpp>

#include "relay/worker_loop.hpp"

namespace sudachi::relay::asio_backend {

// WorkerLoop over a worker's io_context: what lets a UdpIo (the Asio loop or io_uring) run on
// the worker's thread without Asio in its interface. A watch on the worker's own UDP socket
// waits through that socket object: its fd is already registered with the reactor, and a
// second registration (a stream_descriptor on the same fd) would fail. Any other fd is waited
// on through a stream_descriptor that releases, never closes, it.
class AsioWorkerLoop final : public WorkerLoop {
 public:
  AsioWorkerLoop(boost::asio::io_context& context, boost::asio::ip::udp::socket& udp)
      : context_(context), udp_(udp) {}

  void post(std::function<void()> fn) override;
  std::unique_ptr<ReadableWatch> watch_readable(int fd, std::function<void()> on_readable) override;

 private:
  boost::asio::io_context& context_;
  boost::asio::ip::udp::socket& udp_;
};

}  // namespace sudachi::relay::asio_backend

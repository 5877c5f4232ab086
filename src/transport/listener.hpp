#pragma once

#include <chrono>
#include <cstdint>
#include <memory>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

#include "common/result.hpp"

namespace sudachi::transport {

struct SessionContext;

// Accepts TCP connections for one event loop. Each loop has its own acceptor on the same
// port (SO_REUSEPORT), so the kernel spreads connections over loops and a connection never
// changes thread.
//
// Out of descriptors (EMFILE, ENFILE) or kernel memory, accept() fails at once for as long as
// the condition lasts; retrying immediately would spin a core and flood the log. The listener
// instead gives up a spare descriptor it holds for this moment, accepts and closes one pending
// connection (so that client gets an answer rather than a hang), and pauses accepting with a
// doubling backoff, logging once per interval for the whole process (every
// loop's listener hits the same limit at once). Connections over the global or per-IP cap
// (ConnectionTracker) are closed right after accept.
class Listener final : public std::enable_shared_from_this<Listener> {
 public:
  Listener(boost::asio::io_context& ioc, SessionContext& ctx);
  ~Listener();
  Status open(const boost::asio::ip::tcp::endpoint& endpoint);
  std::uint16_t port() const;
  void run();
  void stop();  // thread-safe

 private:
  void do_accept();
  void on_accept(const boost::system::error_code& ec, boost::asio::ip::tcp::socket socket);
  void on_resource_exhausted(const boost::system::error_code& ec);
  void shed_one();

  boost::asio::io_context& ioc_;
  SessionContext& ctx_;
  boost::asio::ip::tcp::acceptor acceptor_;
  boost::asio::steady_timer backoff_timer_;
  std::chrono::milliseconds backoff_{0};
  int spare_fd_ = -1;
};

}  // namespace sudachi::transport

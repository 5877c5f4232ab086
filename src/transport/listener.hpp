#pragma once

#include <memory>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include "common/result.hpp"

namespace sudachi::transport {

struct SessionContext;

// Accepts TCP connections for one event loop. Each loop has its own acceptor on the same
// port (SO_REUSEPORT), so the kernel spreads connections over loops and a connection never
// changes thread.
class Listener final : public std::enable_shared_from_this<Listener> {
 public:
  Listener(boost::asio::io_context& ioc, SessionContext& ctx);
  Status open(const boost::asio::ip::tcp::endpoint& endpoint);
  std::uint16_t port() const;
  void run();
  void stop();  // thread-safe

 private:
  void do_accept();

  boost::asio::io_context& ioc_;
  SessionContext& ctx_;
  boost::asio::ip::tcp::acceptor acceptor_;
};

}  // namespace sudachi::transport

#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

#include "auth/relay_token.hpp"
#include "relay/ip_rate_limiter.hpp"
#include "relay/relay_config.hpp"
#include "relay/worker_stats.hpp"

namespace sudachi::relay::asio_backend {

class Worker;

// Accepts TCP connections on the relay's TCP port, reads and verifies each HELLO (bounded in
// size, time and number in progress), then hands the socket to the worker that owns the
// session. Runs on worker 0's thread and counts into worker 0's stats.
class TcpAcceptor {
 public:
  TcpAcceptor(boost::asio::io_context& context, const RelayConfig& config,
              const auth::RelayTokenKeyring& keyring, std::vector<Worker*> workers,
              WorkerStats& stats);

  std::uint16_t bind(const boost::asio::ip::address& address, std::uint16_t port);
  void start();
  void close();  // thread-safe

 private:
  class Handshake;
  void accept();

  boost::asio::io_context& context_;
  const RelayConfig& config_;
  const auth::RelayTokenKeyring& keyring_;
  std::vector<Worker*> workers_;
  WorkerStats& stats_;
  IpRateLimiter limiter_;
  boost::asio::ip::tcp::acceptor acceptor_;
  boost::asio::steady_timer retry_timer_;
  std::shared_ptr<std::size_t> pending_ = std::make_shared<std::size_t>(0);
};

}  // namespace sudachi::relay::asio_backend

#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <unordered_map>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

#include "auth/relay_token.hpp"
#include "relay/backend/asio/accept_backoff.hpp"
#include "relay/ip_rate_limiter.hpp"
#include "relay/relay_config.hpp"
#include "relay/worker_stats.hpp"

namespace sudachi::relay::asio_backend {

class Worker;

// Accepts TCP connections on the relay's TCP port, reads and verifies each HELLO (bounded in
// size, time, number in progress and number in progress per IP), then hands the socket to the
// worker that owns the session. Runs on worker 0's thread and counts into worker 0's stats.
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
  // Handshakes in progress, in total and per IP; shared with them (a Handshake may outlive
  // the acceptor by a queued handler).
  struct Pending {
    std::size_t total = 0;
    std::unordered_map<Endpoint, std::uint32_t, EndpointHash> per_ip;
  };
  void accept();
  void on_accept(boost::asio::ip::tcp::socket socket);

  boost::asio::io_context& context_;
  const RelayConfig& config_;
  const auth::RelayTokenKeyring& keyring_;
  std::vector<Worker*> workers_;
  WorkerStats& stats_;
  IpRateLimiter limiter_;
  boost::asio::ip::tcp::acceptor acceptor_;
  AcceptBackoff backoff_;
  std::shared_ptr<Pending> pending_ = std::make_shared<Pending>();
};

}  // namespace sudachi::relay::asio_backend

#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <thread>
#include <unordered_map>
#include <vector>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/udp.hpp>
#include <boost/asio/steady_timer.hpp>

#include "auth/relay_token.hpp"
#include "relay/backend/asio/asio_worker_loop.hpp"
#include "relay/backend/asio/tcp_pair.hpp"
#include "relay/cookie.hpp"
#include "relay/datagram_handler.hpp"
#include "relay/ip_rate_limiter.hpp"
#include "relay/ip_session_limits.hpp"
#include "relay/relay_config.hpp"
#include "relay/session_table.hpp"
#include "relay/source_filter.hpp"
#include "relay/token_check.hpp"
#include "relay/udp_io.hpp"
#include "relay/worker_stats.hpp"

namespace sudachi::relay::asio_backend {

// What the workers share, owned by AsioRelay and outliving them. The budget and the per-IP
// limits are thread-safe; the rest is immutable once the workers start (`sources` is
// complete only then: it needs every bound port).
struct WorkerShared {
  const RelayConfig& config;
  const auth::RelayTokenKeyring& keyring;
  SessionBudget& budget;
  IpSessionLimits& ip_limits;
  const AddressCookies& cookies;
  const SourceFilter& sources;
  const std::atomic<bool>& draining;
};

// One thread, one io_context, one UDP socket, and every session whose id hashes here (UDP and
// TCP). Nothing in it is touched by another thread except through post(), so no locks.
class Worker {
 public:
  Worker(std::size_t index, const WorkerShared& shared, UdpIoFactory udp_io);
  ~Worker();
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;

  // Binds this worker's UDP socket (port 0: ephemeral) and returns the port; start-up only.
  std::uint16_t bind_udp(const boost::asio::ip::address& address, std::uint16_t port);
  // Starts the thread once every worker's port is known (handshake replies name them).
  void start(std::vector<std::uint16_t> udp_ports);

  boost::asio::io_context& context() { return context_; }
  // On this worker's thread: a TCP connection whose HELLO verified, for a session owned here.
  void adopt_tcp(boost::asio::ip::tcp::socket socket, TokenCheck token);
  // Thread-safe: close every session (draining) and stop the thread.
  void shut_down();
  void join();

  const WorkerStats& stats() const { return stats_; }
  WorkerStats& stats() { return stats_; }

 private:
  void arm_sweep();
  void on_session_closing(Session& s, wire::CloseReason reason, SessionEnd end);
  void on_pair_finished(TcpPair& pair, SessionEnd end);
  void drop_pair(TcpPair* pair);

  boost::asio::io_context context_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_;
  std::size_t index_;
  const WorkerShared& shared_;
  const RelayConfig& config_;
  WorkerStats stats_;
  SessionTable table_;
  IpRateLimiter limiter_;
  boost::asio::ip::udp::socket udp_;
  AsioWorkerLoop loop_;  // what udp_io_ sees of context_ and udp_
  boost::asio::steady_timer sweep_timer_;
  std::optional<DatagramHandler> handler_;
  UdpIoFactory udp_io_factory_;
  std::unique_ptr<UdpIo> udp_io_;
  std::unordered_map<TcpPair*, std::shared_ptr<TcpPair>> tcp_pairs_;
  std::thread thread_;
};

}  // namespace sudachi::relay::asio_backend

#pragma once

#include <atomic>
#include <memory>
#include <optional>
#include <vector>

#include <boost/asio/steady_timer.hpp>

#include "auth/relay_token.hpp"
#include "relay/backend/asio/tcp_acceptor.hpp"
#include "relay/backend/asio/udp_loop.hpp"
#include "relay/backend/asio/worker.hpp"
#include "relay/cookie.hpp"
#include "relay/ip_session_limits.hpp"
#include "relay/relay_config.hpp"
#include "relay/source_filter.hpp"

namespace sudachi::relay::asio_backend {

// The portable back end: N workers, each a thread with its own io_context and UDP socket
// (worker 0's is the public port), a TCP acceptor on worker 0, and the drain sequence.
class AsioRelay final : public RelayBackend {
 public:
  // `udp_io` chooses how workers move datagrams (Asio by default, or io_uring).
  AsioRelay(RelayConfig config, const auth::RelayTokenKeyring& keyring,
            UdpIoFactory udp_io = asio_udp_io());
  ~AsioRelay() override;

  BoundPorts start() override;
  void begin_drain() override;
  void wait() override;
  std::vector<const WorkerStats*> worker_stats() const override;
  const SessionBudget& budget() const override { return budget_; }

 private:
  void check_drain();
  void stop_all();

  RelayConfig config_;
  const auth::RelayTokenKeyring& keyring_;
  UdpIoFactory udp_io_;
  SessionBudget budget_;
  IpSessionLimits ip_limits_;
  AddressCookies cookies_;  // a random key per process
  SourceFilter sources_;    // set in start(), once every port is bound, before any worker runs
  std::atomic<bool> draining_{false};
  WorkerShared shared_;
  std::vector<std::unique_ptr<Worker>> workers_;
  std::unique_ptr<TcpAcceptor> acceptor_;
  std::optional<boost::asio::steady_timer> drain_timer_;
  std::int64_t drain_deadline_ms_ = 0;
  bool stopped_ = false;
};

}  // namespace sudachi::relay::asio_backend

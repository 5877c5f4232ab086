#include "relay/backend/asio/asio_relay.hpp"

#include <thread>

#include <spdlog/spdlog.h>
#include <boost/asio/post.hpp>

#include "relay/backend/asio/local_addresses.hpp"
#include "relay/now.hpp"

namespace sudachi::relay::asio_backend {

AsioRelay::AsioRelay(RelayConfig config, const auth::RelayTokenKeyring& keyring,
                     UdpIoFactory udp_io)
    : config_(std::move(config)),
      keyring_(keyring),
      udp_io_(std::move(udp_io)),
      budget_(config_.max_sessions),
      ip_limits_(config_.max_sessions_per_ip, config_.max_waiting_per_ip),
      shared_{config_, keyring_, budget_, ip_limits_, cookies_, sources_, draining_} {
  if (config_.workers == 0) config_.workers = std::max(1u, std::thread::hardware_concurrency());
}

AsioRelay::~AsioRelay() {
  if (!workers_.empty() && !stopped_) {
    stop_all();
    wait();
  }
}

BoundPorts AsioRelay::start() {
  const auto address = boost::asio::ip::make_address(config_.bind_address);
  for (std::size_t i = 0; i < config_.workers; ++i) {
    workers_.push_back(std::make_unique<Worker>(i, shared_, udp_io_));
  }
  // Worker i listens on udp_port + i, so operators open one contiguous range; with port 0
  // (tests) every worker takes an ephemeral port.
  std::vector<std::uint16_t> ports;
  for (std::size_t i = 0; i < workers_.size(); ++i) {
    const std::uint16_t wanted =
        config_.udp_port == 0 ? 0 : static_cast<std::uint16_t>(config_.udp_port + i);
    ports.push_back(workers_[i]->bind_udp(address, wanted));
  }
  std::vector<Worker*> raw;
  for (auto& w : workers_) raw.push_back(w.get());
  acceptor_ = std::make_unique<TcpAcceptor>(workers_[0]->context(), config_, keyring_, raw,
                                            workers_[0]->stats());
  BoundPorts bound;
  bound.udp = ports[0];
  bound.tcp = acceptor_->bind(address, config_.tcp_port);
  std::vector<std::uint16_t> own_ports = ports;
  own_ports.push_back(bound.tcp);
  sources_ = SourceFilter(local_source_config(std::move(own_ports), config_.extra_local_addresses));
  drain_timer_.emplace(workers_[0]->context());
  acceptor_->start();
  for (auto& w : workers_) w->start(ports);
  return bound;
}

void AsioRelay::begin_drain() {
  if (draining_.exchange(true) || workers_.empty()) return;
  boost::asio::post(workers_[0]->context(), [this] {
    drain_deadline_ms_ = steady_now_ms() + config_.drain_grace_ms;
    spdlog::info("draining: refusing new sessions; {} open, grace {} ms", budget_.active(),
                 config_.drain_grace_ms);
    check_drain();
  });
}

void AsioRelay::check_drain() {
  if (budget_.active() == 0 || steady_now_ms() >= drain_deadline_ms_) {
    spdlog::info("drain done: closing {} sessions", budget_.active());
    return stop_all();
  }
  drain_timer_->expires_after(std::chrono::milliseconds(100));
  drain_timer_->async_wait([this](const boost::system::error_code& ec) {
    if (!ec) check_drain();
  });
}

void AsioRelay::stop_all() {
  if (stopped_) return;
  stopped_ = true;
  acceptor_->close();
  // Worker 0 last: the acceptor's close runs on its thread.
  for (std::size_t i = workers_.size(); i-- > 0;) workers_[i]->shut_down();
}

void AsioRelay::wait() {
  for (auto& w : workers_) w->join();
}

std::vector<const WorkerStats*> AsioRelay::worker_stats() const {
  std::vector<const WorkerStats*> out;
  for (const auto& w : workers_) out.push_back(&w->stats());
  return out;
}

}  // namespace sudachi::relay::asio_backend

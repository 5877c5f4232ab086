#include "relay/backend/asio/worker.hpp"

#include <sys/socket.h>

#include <algorithm>
#include <chrono>

#include <spdlog/spdlog.h>
#include <boost/asio/ip/v6_only.hpp>
#include <boost/asio/post.hpp>

#include "relay/now.hpp"

namespace sudachi::relay::asio_backend {
namespace {

// Timeouts are checked by a sweep rather than a timer per session: cheap at 10k sessions and
// nothing to reschedule per packet. Its period bounds how late a timeout fires.
std::chrono::milliseconds sweep_period(const SessionLimits& limits) {
  std::int64_t shortest = std::min(limits.pairing_timeout_ms, limits.idle_timeout_ms);
  for (const std::int64_t optional : {limits.data_idle_timeout_ms, limits.max_lifetime_ms}) {
    if (optional > 0) shortest = std::min(shortest, optional);
  }
  return std::chrono::milliseconds(std::clamp<std::int64_t>(shortest / 10, 50, 1000));
}

void send_reply(boost::asio::ip::tcp::socket& s, const wire::HelloReply& r) {
  std::array<std::uint8_t, wire::kHelloReplySize> bytes{};
  wire::encode_hello_reply(bytes, r);
  // A fresh connection's send buffer always has room for 36 bytes; no need to wait.
  [[maybe_unused]] auto n =
      ::send(s.native_handle(), bytes.data(), bytes.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
}

}  // namespace

Worker::Worker(std::size_t index, const WorkerShared& shared, UdpIoFactory udp_io)
    : work_(context_.get_executor()),
      index_(index),
      shared_(shared),
      config_(shared.config),
      table_(config_.limits, shared.budget, &shared.ip_limits),
      limiter_(config_.handshake_rate_per_s, config_.handshake_burst),
      udp_(context_),
      loop_(context_, udp_),
      sweep_timer_(context_),
      udp_io_factory_(std::move(udp_io)) {}

Worker::~Worker() {
  join();
  tcp_pairs_.clear();
}

std::uint16_t Worker::bind_udp(const boost::asio::ip::address& address, std::uint16_t port) {
  const boost::asio::ip::udp::endpoint ep(address, port);
  udp_.open(ep.protocol());
  if (address.is_v6()) udp_.set_option(boost::asio::ip::v6_only(false));
  // Large kernel buffers absorb bursts between two recvmmsg rounds.
  boost::system::error_code ignored;
  udp_.set_option(boost::asio::socket_base::receive_buffer_size(4 << 20), ignored);
  udp_.set_option(boost::asio::socket_base::send_buffer_size(4 << 20), ignored);
  udp_.bind(ep);
  return udp_.local_endpoint().port();
}

void Worker::start(std::vector<std::uint16_t> udp_ports) {
  handler_.emplace(WorkerIdentity{index_, std::move(udp_ports), config_.relay_id}, shared_.keyring,
                   shared_.cookies, shared_.sources, table_, limiter_, stats_, shared_.draining);
  const UdpSocket socket{udp_.native_handle(), udp_.local_endpoint().address().is_v6()};
  udp_io_ = udp_io_factory_(loop_, socket, *handler_, stats_);
  udp_io_->start();
  arm_sweep();
  thread_ = std::thread([this] { context_.run(); });
}

void Worker::arm_sweep() {
  sweep_timer_.expires_after(sweep_period(config_.limits));
  sweep_timer_.async_wait([this](const boost::system::error_code& ec) {
    if (ec) return;
    table_.sweep(steady_now_ms(), [this](Session& s, wire::CloseReason reason, SessionEnd end) {
      on_session_closing(s, reason, end);
    });
    arm_sweep();
  });
}

void Worker::on_session_closing(Session& s, wire::CloseReason reason, SessionEnd end) {
  stats_.closed(end);
  spdlog::debug("relay session closed ({}): {} + {} bytes", static_cast<int>(reason),
                s.slots[0].bytes, s.slots[1].bytes);
  if (s.transport == Transport::udp) {
    handler_->announce_close(s, reason, [this](const UdpSend& send) { udp_io_->send_now(send); });
    return;
  }
  auto* pair = static_cast<TcpPair*>(s.slots[0].bound ? s.slots[0].tcp : s.slots[1].tcp);
  if (pair == nullptr) return;
  std::optional<wire::TcpMarker> marker;
  if (!s.paired()) {
    marker = reason == wire::CloseReason::draining ? wire::TcpMarker::draining
                                                   : wire::TcpMarker::pairing_timeout;
  }
  pair->close(marker);
  drop_pair(pair);
}

void Worker::drop_pair(TcpPair* pair) {
  auto it = tcp_pairs_.find(pair);
  if (it == tcp_pairs_.end()) return;
  // Destroy after the current handler returns: we may be inside one of the pair's calls.
  boost::asio::post(context_, [keep = std::move(it->second)] {});
  tcp_pairs_.erase(it);
}

void Worker::on_pair_finished(TcpPair& pair, SessionEnd end) {
  if (Session* s = table_.find(pair.session_id())) {
    stats_.closed(end);
    table_.close(*s);
  }
  drop_pair(&pair);
}

void Worker::adopt_tcp(boost::asio::ip::tcp::socket socket, TokenCheck token) {
  wire::HelloReply reply;
  reply.slot = token.claims.slot;
  reply.session_id = token.claims.session_id;
  reply.idle_timeout_s = static_cast<std::uint16_t>(
      std::min<std::int64_t>(config_.limits.idle_timeout_ms / 1000, 65535));

  // The session's pair, if the other leg came first; else a new one.
  std::shared_ptr<TcpPair> pair;
  Session* existing = table_.find(token.claims.session_id);
  if (existing != nullptr && existing->transport == Transport::tcp) {
    auto* p = static_cast<TcpPair*>(existing->slots[0].bound ? existing->slots[0].tcp
                                                             : existing->slots[1].tcp);
    if (auto it = tcp_pairs_.find(p); it != tcp_pairs_.end()) pair = it->second;
  }
  const bool new_pair = pair == nullptr;
  if (new_pair) {
    pair =
        std::make_shared<TcpPair>(context_, token.claims.session_id, stats_,
                                  [this](TcpPair& p, SessionEnd end) { on_pair_finished(p, end); });
  }

  BindRequest bind;
  bind.session_id = token.claims.session_id;
  bind.slot = token.claims.slot;
  bind.client_id = token.claims.client_id;
  bind.token_expired = token.expired;  // no re-binding over TCP: expired means EXPIRED
  bind.transport = Transport::tcp;
  bind.tcp = pair.get();
  boost::system::error_code ignored;
  const auto remote = socket.remote_endpoint(ignored);
  if (!ignored) {
    bind.from = Endpoint::from_sockaddr(remote.data(), static_cast<socklen_t>(remote.size()));
  }
  bind.draining = shared_.draining.load(std::memory_order_relaxed);
  const BindResult result = table_.bind(bind, steady_now_ms());
  reply.status = result.status;
  if (result.status == wire::Status::over_capacity) {
    reply.retry_after_s = 5;
    stats_.ip_refused(result.ip_limit);
  }
  stats_.handshake(Transport::tcp, result.status);
  if (result.status != wire::Status::ok) {
    send_reply(socket, reply);
    socket.close(ignored);
    return;
  }
  if (result.created) stats_.opened(Transport::tcp);
  reply.peer_bound = result.session->paired();
  send_reply(socket, reply);
  pair->attach(bind.slot, std::move(socket));
  if (new_pair) tcp_pairs_.emplace(pair.get(), pair);
  if (result.newly_paired) pair->start(*result.session);
}

void Worker::shut_down() {
  boost::asio::post(context_, [this] {
    table_.close_all([this](Session& s, wire::CloseReason reason, SessionEnd end) {
      on_session_closing(s, reason, end);
    });
    sweep_timer_.cancel();
    boost::system::error_code ignored;
    udp_.close(ignored);
    udp_io_.reset();  // before the io_context stops: io_uring unregisters its ring fd
    work_.reset();
    context_.stop();
  });
}

void Worker::join() {
  if (thread_.joinable()) thread_.join();
}

}  // namespace sudachi::relay::asio_backend

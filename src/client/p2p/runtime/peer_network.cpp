#include "client/p2p/peer_network.hpp"

#include <openssl/rand.h>

#include <algorithm>
#include <charconv>
#include <cstdlib>
#include <cstring>
#include <unordered_map>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/udp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include "client/p2p/peer_session.hpp"
#include "client/p2p/runtime/clock.hpp"
#include "client/p2p/runtime/interfaces.hpp"
#include "client/p2p/runtime/relay_leg.hpp"
#include "client/p2p/runtime/udp_port.hpp"
#include "client/p2p/stun_binding.hpp"

// The runtime behind PeerNetwork: one UDP socket for every direct path (and the STUN binding
// that learns its public address), a relay leg per peer that needs one, one timer. Every input
// (datagram, signal, relay event, timer) runs the I/O-free sessions and then re-arms the timer
// at the earliest time any of them asked for.
namespace sudachi::client::p2p {

namespace asio = boost::asio;
using runtime::RelayLeg;
using runtime::steady_now_ms;

namespace {

constexpr std::size_t kMaxStunServers = 3;
constexpr int kStunFirstRtoMs = 100;
constexpr int kStunTimeoutMs = 1000;
// How often the interface list is read to notice an address change (a laptop moving from
// Wi-Fi to Ethernet, a new DHCP lease): getifaddrs is cheap at this rate.
constexpr std::int64_t kInterfaceCheckMs = 2000;

// SUDACHI_P2P_PRIMING_TTL: a diagnostics override of PeerNetworkConfig::priming_ttl (0 turns
// priming off), so that the NAT lab can measure naive punching with unmodified binaries
// (docs/connectivity.md). Anything but an integer 0..64 is ignored.
std::optional<int> priming_ttl_override() {
  const char* text = std::getenv("SUDACHI_P2P_PRIMING_TTL");
  if (text == nullptr || *text == '\0') return std::nullopt;
  int value = -1;
  const char* end = text + std::strlen(text);
  const auto [ptr, ec] = std::from_chars(text, end, value);
  if (ec != std::errc{} || ptr != end || value < 0 || value > 64) return std::nullopt;
  return value;
}

template <class T>
void random_fill(T& out) {
  if (RAND_bytes(reinterpret_cast<unsigned char*>(&out), sizeof out) != 1) {
    throw std::runtime_error("CSPRNG failure");  // not recoverable, never expected
  }
}

}  // namespace

class PeerNetwork::Impl final : public SessionOutputs, public RelayLeg::Owner {
 public:
  Impl(PeerNetwork& self, asio::io_context& io, PeerNetworkConfig config, SignalSink& sink)
      : self_(self),
        io_(io),
        config_(std::move(config)),
        sink_(sink),
        port_(io),
        timer_(io),
        resolver_(io) {
    session_config_.gather_timeout_ms = config_.gather_timeout_ms;
    session_config_.failure_timeout_ms = config_.failure_timeout_ms;
    session_config_.probe_interval_ms = std::max(5, config_.probe_interval_ms);
    session_config_.keepalive_interval_ms = std::max(100, config_.keepalive_interval_ms);
    session_config_.path_dead_ms = config_.path_dead_ms;
    session_config_.relay_request_timeout_ms = config_.relay_request_timeout_ms;
    session_config_.relay_setup_timeout_ms = config_.relay_handshake_timeout_ms + 2000;
    session_config_.priming_ttl = priming_ttl_override().value_or(config_.priming_ttl);
    session_config_.prime_wait_ms = config_.prime_wait_ms;
    session_config_.allow_direct = config_.allow_direct;
    session_config_.allow_udp_relay = config_.allow_udp_relay;
  }

  ~Impl() override { stop(); }

  Status start() {
    if (started_) return ok_status();
    if (auto st = port_.open(config_.bind_address, config_.bind_port); !st.ok()) return st;
    started_ = true;
    // Bound to one address: that address is the only one the socket receives on, and the
    // interface list does not matter (nor its changes).
    if (auto bound = parse_endpoint(config_.bind_address, 0);
        bound && is_probe_target(Endpoint{bound->family, 1, bound->addr})) {
      interfaces_ = {*bound};
      watch_interfaces_ = false;
    } else {
      interfaces_ = runtime::interface_addresses();
      watch_interfaces_ = true;
    }
    next_interface_check_ms_ = steady_now_ms() + kInterfaceCheckMs;
    local_.host = host_candidates(interfaces_, port_.local_port(), port_.dual_stack());
    log(LogLevel::info, "priming TTL " + std::to_string(session_config_.priming_ttl));
    port_.start([this](const Endpoint& from,
                       std::span<const std::uint8_t> bytes) { on_datagram(from, bytes); },
                [this] {
                  if (need_service_) service();
                });
    log(LogLevel::info, "UDP port " + std::to_string(port_.local_port()) + ", " +
                            std::to_string(local_.host.size()) + " host candidates");
    return ok_status();
  }

  void set_stun_servers(std::vector<HostPort> servers) {
    if (!started_ || stopped_) return;
    ++stun_generation_;
    stun_.clear();
    stun_pending_ = 0;
    if (servers.size() > kMaxStunServers) servers.resize(kMaxStunServers);
    stun_servers_ = servers;
    if (servers.empty()) {
      // Nothing to ask: no server-reflexive address, and no evidence that UDP is blocked.
      finish_gathering(std::nullopt, true);
      return;
    }
    for (const HostPort& s : servers) {
      ++stun_pending_;
      const auto generation = stun_generation_;
      resolver_.async_resolve(
          s.host, std::to_string(s.port),
          [this, generation, port = s.port](const boost::system::error_code& ec,
                                            const asio::ip::udp::resolver::results_type& r) {
            if (stopped_ || generation != stun_generation_) return;
            --stun_pending_;
            std::optional<Endpoint> server;
            for (const auto& entry : r) {
              auto e = parse_endpoint(entry.endpoint().address().to_string(), port);
              if (e && (e->family == 4 || port_.dual_stack())) {
                server = e;
                break;
              }
            }
            if (!ec && server) {
              relay::stun::TransactionId id;
              random_fill(id);
              stun_.emplace_back(*server, id, steady_now_ms(), kStunFirstRtoMs, kStunTimeoutMs);
            } else {
              log(LogLevel::warn, "STUN server unusable");
            }
            service();
          });
    }
  }

  void set_local_id(std::string id) { local_id_ = std::move(id); }

  void add_peer(const std::string& peer) {
    if (!started_ || stopped_ || peer.empty() || peer == local_id_ || sessions_.count(peer)) return;
    if (local_id_.empty()) {
      log(LogLevel::error, "add_peer before set_local_id: ignored");
      return;
    }
    if (sessions_.size() >= config_.max_peers) {
      log(LogLevel::warn, "peer limit reached: " + peer + " ignored");
      return;
    }
    Secret secret;
    random_fill(secret);
    frame::Tag tag = 0;
    while (tag == 0 || by_tag_.count(tag)) random_fill(tag);
    auto session = std::make_unique<PeerSession>(local_id_, peer, secret, tag, session_config_,
                                                 *this, steady_now_ms());
    PeerSession* raw = session.get();
    sessions_.emplace(peer, std::move(session));
    by_tag_.emplace(tag, raw);
    raw->update_local(local_, steady_now_ms());
    service();
  }

  void remove_peer(const std::string& peer) {
    auto it = sessions_.find(peer);
    if (it == sessions_.end()) return;
    std::unique_ptr<PeerSession> session = std::move(it->second);
    sessions_.erase(it);
    by_tag_.erase(session->local_tag());
    session->close(steady_now_ms());
    drop_leg(peer);
    // Maybe called from inside this session's own callback: destroy it later.
    asio::post(io_, [s = std::move(session)] {});
  }

  void on_signal(const std::string& peer, std::string_view payload) {
    if (!started_ || stopped_) return;
    auto message = decode_signal(payload);
    if (!message) {
      log(LogLevel::warn, "malformed p2p:signal from " + peer + " dropped");
      return;
    }
    if (!sessions_.count(peer)) add_peer(peer);
    auto it = sessions_.find(peer);
    if (it == sessions_.end()) return;
    it->second->on_signal(*message, steady_now_ms());
    service();
  }

  void on_use_relay(const std::string& peer, const RelayOffer& offer) {
    auto it = sessions_.find(peer);
    if (it == sessions_.end() || stopped_) return;
    it->second->on_use_relay(offer, steady_now_ms());
    service();
  }

  bool send(const std::string& peer, std::span<const std::byte> payload) {
    auto it = sessions_.find(peer);
    if (it == sessions_.end()) return false;
    return it->second->send(as_u8(payload), steady_now_ms());
  }

  void broadcast(std::span<const std::byte> payload) {
    const auto now = steady_now_ms();
    for (auto& [id, s] : sessions_) s->send(as_u8(payload), now);
  }

  std::optional<PeerStats> stats(const std::string& peer) const {
    auto it = sessions_.find(peer);
    if (it == sessions_.end()) return std::nullopt;
    PeerStats s = it->second->stats(steady_now_ms());
    if (s.path == PathKind::relay) {
      if (auto leg = legs_.find(peer); leg != legs_.end())
        s.remote_address = leg->second->remote_address();
    }
    return s;
  }

  std::vector<std::string> peers() const {
    std::vector<std::string> out;
    for (const auto& [id, s] : sessions_) out.push_back(id);
    std::sort(out.begin(), out.end());
    return out;
  }

  std::uint16_t local_port() const { return port_.local_port(); }

  void stop() {
    if (stopped_) return;
    stopped_ = true;
    const auto now = steady_now_ms();
    for (auto& [id, s] : sessions_) s->close(now);
    for (auto& [id, leg] : legs_) leg->close();
    legs_.clear();
    by_tag_.clear();
    // Sessions die with the Impl; callbacks may be on the stack, so not here.
    timer_.cancel();
    resolver_.cancel();
    port_.close();
  }

  // ---- SessionOutputs -----------------------------------------------------------------------

  void send_direct(const std::string&, const Endpoint& to, std::span<const std::uint8_t> frame,
                   int ttl) override {
    port_.send(to, frame, ttl);
  }

  void send_relay(const std::string& peer, std::span<const std::uint8_t> frame) override {
    if (auto it = legs_.find(peer); it != legs_.end()) it->second->send_frame(frame);
  }

  void open_relay(const std::string& peer, const RelayOffer& offer,
                  RelayTransport transport) override {
    drop_leg(peer);
    RelayLeg::Config c;
    c.udp_silence_to_tcp_ms = config_.relay_udp_timeout_ms;
    c.handshake_timeout_ms = config_.relay_handshake_timeout_ms;
    c.allow_udp = config_.allow_udp_relay;
    auto leg = std::make_shared<RelayLeg>(io_, peer, offer, transport, c, *this);
    legs_[peer] = leg;
    log(LogLevel::info, "relay session " + offer.session_id + " for " + peer + " over " +
                            (transport == RelayTransport::tcp ? "TCP" : "UDP"));
    leg->start(steady_now_ms());
  }

  void close_relay(const std::string& peer) override { drop_leg(peer); }

  void send_signal(const std::string& peer, std::string payload) override {
    sink_.send_signal(peer, std::move(payload));
  }
  void report_failure(const std::string& peer) override { sink_.report_failure(peer); }
  void report_success(const std::string& peer, PathKind kind, std::uint32_t latency) override {
    sink_.report_success(peer, kind, latency);
  }
  void deliver(const std::string& peer, std::span<const std::uint8_t> payload) override {
    if (self_.on_datagram) {
      self_.on_datagram(peer, {reinterpret_cast<const std::byte*>(payload.data()), payload.size()});
    }
  }
  void emit(const PeerEvent& event) override {
    if (self_.on_event) self_.on_event(event);
  }
  void log(LogLevel level, const std::string& peer, std::string_view message) override {
    if (config_.log) config_.log(level, "peer " + peer + ": " + std::string(message));
  }

  // ---- RelayLeg::Owner ------------------------------------------------------------------------

  void leg_ready(RelayLeg& leg) override {
    if (PeerSession* s = session_of(leg)) s->on_relay_ready(steady_now_ms());
    service();
  }
  void leg_frame(RelayLeg& leg, std::span<const std::uint8_t> frame) override {
    PeerSession* s = session_of(leg);
    if (s == nullptr) return;
    s->on_relay_frame(frame, steady_now_ms());
    if (!frame.empty() && static_cast<frame::Type>(frame[0]) != frame::Type::data) service();
  }
  void leg_failed(RelayLeg& leg, std::string_view reason) override {
    PeerSession* s = session_of(leg);
    const std::string peer = leg.peer_id();
    if (s == nullptr) return;
    // The leg is done; the session decides what next (usually: ask for the relay again).
    drop_leg(peer);
    s->on_relay_failed(reason, steady_now_ms());
    service();
  }
  void leg_log(RelayLeg& leg, LogLevel level, std::string_view message) override {
    log(level, leg.peer_id(), message);
  }

 private:
  static std::span<const std::uint8_t> as_u8(std::span<const std::byte> b) {
    return {reinterpret_cast<const std::uint8_t*>(b.data()), b.size()};
  }

  void log(LogLevel level, std::string_view message) {
    if (config_.log) config_.log(level, message);
  }

  PeerSession* session_of(RelayLeg& leg) {
    auto l = legs_.find(leg.peer_id());
    if (l == legs_.end() || l->second.get() != &leg) return nullptr;
    auto s = sessions_.find(leg.peer_id());
    return s == sessions_.end() ? nullptr : s->second.get();
  }

  void drop_leg(const std::string& peer) {
    auto it = legs_.find(peer);
    if (it == legs_.end()) return;
    std::shared_ptr<RelayLeg> leg = std::move(it->second);
    legs_.erase(it);
    leg->close();
    asio::post(io_, [leg = std::move(leg)] {});  // may be inside the leg's own callback
  }

  void on_datagram(const Endpoint& from, std::span<const std::uint8_t> bytes) {
    if (bytes.empty()) return;
    if (relay::stun::looks_like_stun(bytes)) {
      for (StunBinding& b : stun_) {
        if (b.on_datagram(from, bytes)) {
          need_service_ = true;
          break;
        }
      }
      return;
    }
    if (!frame::is_peer_frame(bytes[0])) return;
    const auto header = frame::peek(bytes);
    if (!header) return;
    auto it = by_tag_.find(header->tag);
    if (it == by_tag_.end()) return;
    it->second->on_direct_frame(from, bytes, steady_now_ms());
    if (header->type != frame::Type::data) need_service_ = true;
  }

  void finish_gathering(std::optional<Endpoint> mapped, bool udp_ok) {
    if (local_.gathering_done) return;
    local_.gathering_done = true;
    local_.udp_ok = udp_ok;
    if (mapped) {
      local_.srflx =
          Candidate{CandidateType::srflx, *mapped, candidate_priority(CandidateType::srflx, 65535)};
      log(LogLevel::info, "public address " + mapped->to_string());
    } else if (!udp_ok) {
      log(LogLevel::warn, "no STUN answer: UDP looks blocked; peers will use the TCP relay");
    }
    const auto now = steady_now_ms();
    for (auto& [id, s] : sessions_) s->update_local(local_, now);
  }

  // Runs every session's and leg's timers and the STUN bindings, then sleeps until the
  // earliest time any of them named.
  void service() {
    need_service_ = false;
    if (stopped_) return;
    if (servicing_) {
      service_again_ = true;
      return;
    }
    servicing_ = true;
    std::int64_t next = 0;
    do {
      service_again_ = false;
      const std::int64_t now = steady_now_ms();
      next = now + 60'000;
      if (watch_interfaces_) {
        if (now >= next_interface_check_ms_) check_interfaces(now);
        next = std::min(next, next_interface_check_ms_);
      }
      if (!local_.gathering_done) next = std::min(next, service_stun(now));
      // A snapshot: callbacks may add or remove peers while we iterate.
      snapshot_.clear();
      for (auto& [id, s] : sessions_) snapshot_.push_back(s.get());
      for (PeerSession* s : snapshot_) {
        if (by_tag_.count(s->local_tag())) next = std::min(next, s->tick(now));
      }
      leg_snapshot_.clear();
      for (auto& [id, leg] : legs_) leg_snapshot_.push_back(leg);
      for (auto& leg : leg_snapshot_) next = std::min(next, leg->tick(now));
      leg_snapshot_.clear();
    } while (service_again_ && !stopped_);
    servicing_ = false;
    arm_timer(next);
  }

  // An address of ours appeared or went away: new host candidates (signalled to every peer
  // with the next complete signal), a new server-reflexive address (the NAT may map the new
  // source differently), and every UDP relay session proves its new source address at once.
  // A direct path that used the old address goes silent and falls back to the relay.
  void check_interfaces(std::int64_t now) {
    next_interface_check_ms_ = now + kInterfaceCheckMs;
    std::vector<Endpoint> current = runtime::interface_addresses();
    const auto key = [](const Endpoint& e) { return e.to_string(); };
    std::vector<std::string> a, b;
    for (const Endpoint& e : current) a.push_back(key(e));
    for (const Endpoint& e : interfaces_) b.push_back(key(e));
    std::sort(a.begin(), a.end());
    std::sort(b.begin(), b.end());
    if (a == b) return;
    log(LogLevel::info, "local addresses changed: gathering again");
    interfaces_ = std::move(current);
    local_.host = host_candidates(interfaces_, port_.local_port(), port_.dual_stack());
    for (auto& [id, leg] : legs_) leg->rebind(now);
    if (stun_generation_ == 0) {
      // No STUN servers known yet: the new host candidates are all there is to tell.
      for (auto& [id, s] : sessions_) s->update_local(local_, now);
      return;
    }
    local_.gathering_done = false;
    local_.srflx.reset();
    for (auto& [id, s] : sessions_) s->update_local(local_, now);
    set_stun_servers(stun_servers_);
  }

  std::int64_t service_stun(std::int64_t now) {
    std::array<std::uint8_t, 64> request{};
    std::int64_t next = now + 60'000;
    bool any_done = false, all_finished = stun_pending_ == 0;
    for (StunBinding& b : stun_) {
      if (b.done()) {
        any_done = true;
        continue;
      }
      if (const std::size_t n = b.poll_request(request, now); n > 0)
        port_.send(b.server(), {request.data(), n});
      if (!b.finished(now)) {
        all_finished = false;
        next = std::min(next, b.next_event_ms());
      }
    }
    if (any_done) {
      for (StunBinding& b : stun_) {
        if (b.done()) {
          finish_gathering(b.mapped(), true);
          break;
        }
      }
    } else if (all_finished && stun_generation_ > 0) {
      // Asked and never answered: UDP to the relay is filtered. No server could even be
      // resolved: no evidence either way.
      finish_gathering(std::nullopt, stun_.empty());
    }
    return next;
  }

  void arm_timer(std::int64_t at) {
    if (stopped_) return;
    if (timer_armed_ && at >= timer_at_) return;
    timer_at_ = at;
    timer_armed_ = true;
    timer_.expires_at(asio::steady_timer::clock_type::time_point(std::chrono::milliseconds(at)));
    timer_.async_wait([this](const boost::system::error_code& ec) {
      if (ec || stopped_) return;
      timer_armed_ = false;
      service();
    });
  }

  PeerNetwork& self_;
  asio::io_context& io_;
  PeerNetworkConfig config_;
  SignalSink& sink_;
  SessionConfig session_config_;
  runtime::UdpPort port_;
  asio::steady_timer timer_;
  asio::ip::udp::resolver resolver_;
  bool started_ = false;
  bool stopped_ = false;
  bool servicing_ = false;
  bool service_again_ = false;
  bool need_service_ = false;
  bool timer_armed_ = false;
  std::int64_t timer_at_ = 0;

  std::string local_id_;
  std::vector<Endpoint> interfaces_;
  LocalInfo local_;
  std::vector<StunBinding> stun_;
  std::vector<HostPort> stun_servers_;
  bool watch_interfaces_ = false;
  std::int64_t next_interface_check_ms_ = 0;
  int stun_pending_ = 0;
  std::uint64_t stun_generation_ = 0;

  std::unordered_map<std::string, std::unique_ptr<PeerSession>> sessions_;
  std::unordered_map<frame::Tag, PeerSession*> by_tag_;
  std::unordered_map<std::string, std::shared_ptr<RelayLeg>> legs_;
  std::vector<PeerSession*> snapshot_;
  std::vector<std::shared_ptr<RelayLeg>> leg_snapshot_;
};

PeerNetwork::PeerNetwork(asio::io_context& io, PeerNetworkConfig config, SignalSink& sink)
    : impl_(std::make_unique<Impl>(*this, io, std::move(config), sink)) {}
PeerNetwork::~PeerNetwork() = default;
Status PeerNetwork::start() {
  return impl_->start();
}
void PeerNetwork::set_stun_servers(std::vector<HostPort> servers) {
  impl_->set_stun_servers(std::move(servers));
}
void PeerNetwork::set_local_id(std::string client_id) {
  impl_->set_local_id(std::move(client_id));
}
void PeerNetwork::add_peer(const std::string& peer_id) {
  impl_->add_peer(peer_id);
}
void PeerNetwork::remove_peer(const std::string& peer_id) {
  impl_->remove_peer(peer_id);
}
void PeerNetwork::on_signal(const std::string& peer_id, std::string_view payload_json) {
  impl_->on_signal(peer_id, payload_json);
}
void PeerNetwork::on_use_relay(const std::string& peer_id, const RelayOffer& offer) {
  impl_->on_use_relay(peer_id, offer);
}
bool PeerNetwork::send(const std::string& peer_id, std::span<const std::byte> payload) {
  return impl_->send(peer_id, payload);
}
void PeerNetwork::broadcast(std::span<const std::byte> payload) {
  impl_->broadcast(payload);
}
std::optional<PeerStats> PeerNetwork::stats(const std::string& peer_id) const {
  return impl_->stats(peer_id);
}
std::vector<std::string> PeerNetwork::peers() const {
  return impl_->peers();
}
std::uint16_t PeerNetwork::local_port() const {
  return impl_->local_port();
}
void PeerNetwork::stop() {
  impl_->stop();
}

}  // namespace sudachi::client::p2p

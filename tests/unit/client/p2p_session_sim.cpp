#include "p2p_session_sim.hpp"

#include <algorithm>

namespace sudachi::client::p2p::test {

Endpoint Side::outside_source(const Endpoint& to) {
  if (nat == Nat::none) return host;
  Endpoint src = public_ip;
  auto it = mapping.find(to);
  if (it == mapping.end()) {
    std::uint16_t port = host.port;
    if (nat == Nat::symmetric) port = static_cast<std::uint16_t>(50000 + mapping.size());
    // Linux conntrack: an earlier unsolicited packet from `to` to our port left an entry that
    // takes the tuple, so our own outbound flow gets another port.
    if (nat == Nat::port_restricted && poisoned.count(to))
      port = static_cast<std::uint16_t>(port + 1000);
    it = mapping.emplace(to, port).first;
  }
  src.port = it->second;
  permitted[to] = true;
  return src;
}

LocalInfo Side::local_info() const {
  LocalInfo li;
  li.host = {{CandidateType::host, host, candidate_priority(CandidateType::host, 65000)}};
  if (nat != Nat::none && nat != Nat::udp_blocked) {
    Endpoint srflx = public_ip;
    srflx.port = nat == Nat::symmetric ? 49999 : host.port;  // as the relay's STUN saw it
    li.srflx =
        Candidate{CandidateType::srflx, srflx, candidate_priority(CandidateType::srflx, 65535)};
  }
  li.gathering_done = true;
  li.udp_ok = nat != Nat::udp_blocked;
  return li;
}

void Side::send_direct(const std::string&, const Endpoint& to, std::span<const std::uint8_t> frame,
                       int ttl) {
  sent.emplace_back(sim ? sim->now() : 0, to, std::vector<std::uint8_t>(frame.begin(), frame.end()),
                    ttl);
  if (sim != nullptr) sim->route(index, to, {frame.begin(), frame.end()}, ttl);
}

void Side::send_relay(const std::string&, std::span<const std::uint8_t> frame) {
  sim->relay_frame(index, {frame.begin(), frame.end()});
}

void Side::open_relay(const std::string&, const RelayOffer& offer, RelayTransport t) {
  relays_opened.emplace_back(offer, t);
  if (!sim->relay_works) return;
  sim->post(3, [this] {
    relay_up = true;
    session->on_relay_ready(sim->now());
  });
}

void Side::send_signal(const std::string&, std::string payload) {
  signals.push_back(payload);
  if (sim == nullptr) return;
  auto decoded = decode_signal(payload);
  if (!decoded) return;
  Side& peer = sim->other(index);
  sim->post(sim->signal_delay_ms + (index == 1 ? sim->extra_signal_delay_from_b_ms : 0),
            [&peer, m = *decoded, this] {
              (void)this;
              peer.session->on_signal(m, peer.sim->now());
            });
}

void Side::report_failure(const std::string&) {
  ++failures;
  if (sim != nullptr) sim->server_failure(index);
}

Sim::Sim(Nat nat_a, Nat nat_b, SessionConfig config, bool lan) : same_lan(lan), config_(config) {
  const Nat nats[2] = {nat_a, nat_b};
  for (int i = 0; i < 2; ++i) {
    Side& s = sides_[i];
    s.sim = this;
    s.index = i;
    s.id = i == 0 ? "a" : "b";
    s.nat = nats[i];
    const auto n = static_cast<std::uint8_t>(i + 1);
    s.public_ip = v4(203, 0, 113, n, 0);
    s.host = nats[i] == Nat::none ? v4(203, 0, 113, n, 4000) : v4(10, 0, lan ? 0 : n, n + 1, 4000);
  }
}

void Sim::start_both() {
  for (int i = 0; i < 2; ++i) {
    Side& s = sides_[i];
    Secret secret;
    secret.fill(static_cast<std::uint8_t>(0x10 + i));
    s.session = std::make_unique<PeerSession>(s.id, other(i).id, secret, 0x1000u + i,
                                              side_config[i].value_or(config_), s, now_);
    s.session->update_local(s.local_info(), now_);
  }
}

void Sim::route(int from, const Endpoint& to, std::vector<std::uint8_t> bytes, int ttl) {
  Side& src_side = sides_[from];
  Side& dst = other(from);
  if (src_side.nat == Nat::udp_blocked || drop_direct) return;
  // Same LAN: private host addresses reach each other without any NAT.
  if (same_lan && to == dst.host) {
    if (ttl == 0)
      post(packet_delay_ms, [this, &dst, f = src_side.host, b = std::move(bytes)] {
        dst.session->on_direct_frame(f, b, now_);
      });
    return;
  }
  const Endpoint source = src_side.outside_source(to);
  if (ttl > 0 && ttl <= 3) return;  // expires in the core: only our own NAT saw it
  post(packet_delay_ms, [this, &dst, source, to, b = std::move(bytes)] {
    if (dst.nat == Nat::udp_blocked) return;
    if (dst.nat == Nat::none) {
      if (to == dst.host) dst.session->on_direct_frame(source, b, now_);
      return;
    }
    if (to.ip_only() != dst.public_ip.ip_only()) return;  // a private address elsewhere
    // Which of dst's mappings does `to` hit?
    bool mapped = false;
    for (const auto& [remote, port] : dst.mapping) mapped = mapped || port == to.port;
    const bool eim_port = dst.nat != Nat::symmetric && to.port == dst.host.port;
    if (!mapped && !eim_port) return;
    bool allowed = false;
    switch (dst.nat) {
      case Nat::full_cone:
        allowed = true;
        break;
      case Nat::port_restricted: {
        auto it = dst.mapping.find(source);
        allowed = it != dst.mapping.end() && it->second == to.port;
        if (!allowed && it == dst.mapping.end()) dst.poisoned[source] = true;
        break;
      }
      case Nat::symmetric: {
        auto it = dst.mapping.find(source);
        allowed = it != dst.mapping.end() && it->second == to.port;
        break;
      }
      default:
        break;
    }
    if (allowed) dst.session->on_direct_frame(source, b, now_);
  });
}

void Sim::relay_frame(int from, std::vector<std::uint8_t> bytes) {
  if (!sides_[from].relay_up) return;
  post(packet_delay_ms * 2, [this, to = 1 - from, b = std::move(bytes)] {
    if (sides_[to].relay_up) sides_[to].session->on_relay_frame(b, now_);
  });
}

void Sim::server_failure(int) {
  if (!auto_relay) return;
  RelayOffer offer;
  offer.server = "192.0.2.10";
  offer.port = 3478;
  offer.tcp_port = 3478;
  offer.protocol = "udp";
  offer.session_id = "0123456789abcdef0123456789abcdef";
  for (int i = 0; i < 2; ++i) {
    offer.token = "token-" + std::to_string(i);
    post(signal_delay_ms, [this, i, offer] { sides_[i].session->on_use_relay(offer, now_); });
  }
}

bool Sim::run_until(const std::function<bool()>& done, std::int64_t limit_ms) {
  const std::int64_t end = now_ + limit_ms;
  std::int64_t next_tick[2] = {now_, now_};
  while (now_ <= end) {
    if (done()) return true;
    // Everything due now, in order of posting (stable).
    for (bool any = true; any;) {
      any = false;
      for (std::size_t i = 0; i < queue_.size(); ++i) {
        if (queue_[i].at <= now_) {
          auto fn = std::move(queue_[i].fn);
          queue_.erase(queue_.begin() + static_cast<std::ptrdiff_t>(i));
          fn();
          any = true;
          break;
        }
      }
    }
    for (int i = 0; i < 2; ++i) {
      if (sides_[i].session && now_ >= next_tick[i]) next_tick[i] = sides_[i].session->tick(now_);
      // Events may have moved the timers: never sleep past 1 ms of simulated time.
      next_tick[i] = std::min(next_tick[i], now_ + 1);
    }
    if (done()) return true;
    ++now_;
  }
  return false;
}

}  // namespace sudachi::client::p2p::test

#include "relay/relay_metrics.hpp"

namespace sudachi::relay {
namespace {

constexpr const char* kProtocols[] = {"udp", "tcp"};
constexpr const char* kDirections[] = {"in", "out"};

}  // namespace

RelayMetrics::RelayMetrics(metrics::Registry& registry, const std::string& region)
    : active_(registry.gauge("sudachi_relay_sessions_active",
                             "Relay sessions open (waiting or paired)")),
      draining_(
          registry.gauge("sudachi_relay_draining", "1 while the relay drains after SIGTERM")) {
  auto bandwidth = registry.counter_family("relay_bandwidth_bytes_total",
                                           "Bytes forwarded between peers", {"server_region"});
  bindings_.push_back(
      {&bandwidth.with({region}), [](const WorkerStats& w) { return w.relayed_bytes.get(); }});

  auto sessions = registry.counter_family("sudachi_relay_sessions_total", "Relay sessions opened",
                                          {"protocol"});
  auto packets = registry.counter_family(
      "sudachi_relay_packets_total", "UDP datagrams received and sent", {"protocol", "direction"});
  auto bytes = registry.counter_family("sudachi_relay_bytes_total", "Bytes received and sent",
                                       {"protocol", "direction"});
  auto handshakes = registry.counter_family("sudachi_relay_handshakes_total", "Handshake results",
                                            {"protocol", "status"});
  for (std::size_t t = 0; t < 2; ++t) {
    bindings_.push_back({&sessions.with({kProtocols[t]}),
                         [t](const WorkerStats& w) { return w.sessions_opened[t].get(); }});
    for (std::size_t d = 0; d < 2; ++d) {
      if (t == 0) {  // TCP moves a stream: no packet count
        bindings_.push_back({&packets.with({kProtocols[t], kDirections[d]}),
                             [t, d](const WorkerStats& w) { return w.packets[t][d].get(); }});
      }
      bindings_.push_back({&bytes.with({kProtocols[t], kDirections[d]}),
                           [t, d](const WorkerStats& w) { return w.bytes[t][d].get(); }});
    }
    for (std::size_t s = 0; s < wire::kStatusCount; ++s) {
      const auto name = std::string(wire::to_string(static_cast<wire::Status>(s)));
      bindings_.push_back({&handshakes.with({kProtocols[t], name}),
                           [t, s](const WorkerStats& w) { return w.handshakes[t][s].get(); }});
    }
  }

  auto drops =
      registry.counter_family("sudachi_relay_dropped_total", "UDP datagrams dropped", {"reason"});
  for (std::size_t i = 0; i < static_cast<std::size_t>(Drop::count_); ++i) {
    bindings_.push_back({&drops.with({std::string(to_string(static_cast<Drop>(i)))}),
                         [i](const WorkerStats& w) { return w.drops[i].get(); }});
  }
  auto stun = registry.counter_family("sudachi_relay_stun_requests_total", "STUN Binding requests",
                                      {"result"});
  for (std::size_t i = 0; i < static_cast<std::size_t>(StunResult::count_); ++i) {
    bindings_.push_back({&stun.with({std::string(to_string(static_cast<StunResult>(i)))}),
                         [i](const WorkerStats& w) { return w.stun[i].get(); }});
  }
  auto closed = registry.counter_family("sudachi_relay_sessions_closed_total",
                                        "Relay sessions closed", {"reason"});
  for (std::size_t i = 0; i < static_cast<std::size_t>(SessionEnd::count_); ++i) {
    bindings_.push_back({&closed.with({std::string(to_string(static_cast<SessionEnd>(i)))}),
                         [i](const WorkerStats& w) { return w.sessions_closed[i].get(); }});
  }
  auto ip_limited = registry.counter_family("sudachi_relay_ip_limited_total",
                                            "Handshakes refused by a per-IP cap", {"limit"});
  for (std::size_t i = 0; i < static_cast<std::size_t>(IpLimit::count_); ++i) {
    bindings_.push_back({&ip_limited.with({std::string(to_string(static_cast<IpLimit>(i)))}),
                         [i](const WorkerStats& w) { return w.ip_limited[i].get(); }});
  }
}

void RelayMetrics::collect(std::span<const WorkerStats* const> workers, const SessionBudget& budget,
                           bool draining) {
  std::lock_guard lock(mutex_);
  for (Binding& b : bindings_) {
    std::uint64_t total = 0;
    for (const WorkerStats* w : workers) total += b.read(*w);
    if (total > b.last) b.target->inc(static_cast<double>(total - b.last));
    b.last = total;
  }
  active_.set(static_cast<double>(budget.active()));
  draining_.set(draining ? 1 : 0);
}

}  // namespace sudachi::relay

#pragma once

#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include "client/p2p/peer_session.hpp"
#include "p2p_test_util.hpp"

// Two PeerSessions over a simulated network with simple NAT models, a simulated room server
// (signals, p2p:failure -> use:relay to both) and a simulated relay, on a hand-driven clock.
namespace sudachi::client::p2p::test {

enum class Nat {
  none,             // the host address is public
  full_cone,        // EIM + EIF
  port_restricted,  // EIM + APDF, with Linux conntrack's poisoning (see below)
  symmetric,        // APDM + APDF
  udp_blocked,
};

struct EndpointLess {
  bool operator()(const Endpoint& a, const Endpoint& b) const {
    return std::tie(a.family, a.port, a.addr) < std::tie(b.family, b.port, b.addr);
  }
};

class Sim;

struct Side : SessionOutputs {
  Sim* sim = nullptr;
  int index = 0;
  std::string id;
  Nat nat = Nat::none;
  Endpoint host;       // the socket's own address
  Endpoint public_ip;  // the NAT's outside address (port unused)
  std::unique_ptr<PeerSession> session;

  // NAT state.
  std::map<Endpoint, std::uint16_t, EndpointLess> mapping;  // destination -> public port
  std::map<Endpoint, bool, EndpointLess> permitted;         // remote -> we sent to it
  std::map<Endpoint, bool, EndpointLess> poisoned;          // remote -> conntrack entry left

  // What the session did.
  std::vector<std::tuple<std::int64_t, Endpoint, std::vector<std::uint8_t>, int>> sent;
  std::vector<std::string> signals;
  int failures = 0;
  std::vector<std::pair<PathKind, std::uint32_t>> successes;
  std::vector<PeerEvent> events;
  std::vector<std::vector<std::uint8_t>> delivered;
  std::vector<std::pair<RelayOffer, RelayTransport>> relays_opened;
  int relays_closed = 0;
  bool relay_up = false;

  void send_direct(const std::string&, const Endpoint& to, std::span<const std::uint8_t> frame,
                   int ttl) override;
  void send_relay(const std::string&, std::span<const std::uint8_t> frame) override;
  void open_relay(const std::string&, const RelayOffer& offer, RelayTransport t) override;
  void close_relay(const std::string&) override {
    ++relays_closed;
    relay_up = false;
  }
  void send_signal(const std::string&, std::string payload) override;
  void report_failure(const std::string&) override;
  void report_success(const std::string&, PathKind kind, std::uint32_t latency) override {
    successes.emplace_back(kind, latency);
  }
  void deliver(const std::string&, std::span<const std::uint8_t> payload) override {
    delivered.emplace_back(payload.begin(), payload.end());
  }
  void emit(const PeerEvent& e) override { events.push_back(e); }
  void log(LogLevel, const std::string&, std::string_view) override {}

  // The source address the world sees for a datagram to `to` (creating the mapping).
  Endpoint outside_source(const Endpoint& to);
  LocalInfo local_info() const;
};

class Sim {
 public:
  // Side 0 "a" (controlling: "a" < "b"), side 1 "b".
  Sim(Nat nat_a, Nat nat_b, SessionConfig config = {}, bool same_lan = false);

  std::int64_t now() const { return now_; }
  Side& a() { return sides_[0]; }
  Side& b() { return sides_[1]; }
  Side& side(int i) { return sides_[i]; }
  Side& other(int i) { return sides_[1 - i]; }

  // Runs until `done` holds or `limit_ms` passes; returns whether `done` held.
  bool run_until(const std::function<bool()>& done, std::int64_t limit_ms);
  void run_for(std::int64_t ms) {
    run_until([] { return false; }, ms);
  }

  void start_both();  // add_peer on both sides, gathering already done
  void post(std::int64_t delay, std::function<void()> fn) {
    queue_.push_back({now_ + delay, std::move(fn)});
  }

  std::int64_t packet_delay_ms = 5;
  std::int64_t signal_delay_ms = 10;
  std::int64_t extra_signal_delay_from_b_ms = 0;  // asymmetric signalling: b's signals lag
  bool auto_relay = true;    // the "room server" answers p2p:failure with use:relay to both
  bool relay_works = true;   // the "relay" brings legs up
  bool drop_direct = false;  // cut every direct datagram (path loss)
  bool same_lan;
  // A side's own configuration (policy differs per player); unset: the Sim's.
  std::optional<SessionConfig> side_config[2];

  void route(int from, const Endpoint& to, std::vector<std::uint8_t> bytes, int ttl);
  void relay_frame(int from, std::vector<std::uint8_t> bytes);
  void server_failure(int from);

 private:
  struct Item {
    std::int64_t at;
    std::function<void()> fn;
  };
  std::int64_t now_ = 1'000'000;
  Side sides_[2];
  SessionConfig config_;
  std::deque<Item> queue_;
  std::string session_counter_ = "0";
  bool relay_allocated_ = false;
};

}  // namespace sudachi::client::p2p::test

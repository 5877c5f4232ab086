#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "client/p2p/candidate.hpp"
#include "client/p2p/frame.hpp"
#include "client/p2p/pair_auth.hpp"
#include "client/p2p/path_stats.hpp"
#include "client/p2p/peer_network.hpp"
#include "client/p2p/signal_message.hpp"

// One peer's connectivity, with no I/O and no clock of its own (time is passed in, so tests
// drive every timeout by hand). docs/connectivity.md describes the protocol; in short:
//
//   gathering --(srflx known or gather timeout; signal sent)--> checking
//   checking  --(controlling: an answered probe, nominated and acknowledged;
//                controlled: a nominating probe)--> direct
//   checking  --(no pair within failure_timeout, or a side cannot use UDP)--> relay_requested
//   relay_requested --(use:relay, relay leg up, a CHECK answered over it)--> relay
//   direct --(nothing authenticated heard for path_dead_ms)--> relay_requested
//   relay_requested --(no use:relay, or the relay failed, too often)--> failed
//
// Priming (the Linux conntrack race of docs/connectivity.md): before full probes go to a
// peer's server-reflexive address, each side sends TTL-limited probes that open its own NAT
// toward that address but die before the peer's NAT, says so in a signal ("primed"), and waits
// for the peer's "primed" (bounded by prime_wait_ms).
namespace sudachi::client::p2p {

struct SessionConfig {
  int gather_timeout_ms = 500;
  int failure_timeout_ms = 1500;
  int probe_interval_ms = 25;
  int keepalive_interval_ms = 1000;
  int path_dead_ms = 6000;
  int relay_request_timeout_ms = 5000;
  int relay_setup_timeout_ms = 12000;
  int prime_wait_ms = 400;
  int nominate_settle_ms = 30;
  int priming_ttl = 3;  // 0: no priming (naive punching)
  bool allow_direct = true;
  bool allow_udp_relay = true;
  int max_relay_requests = 3;
  int max_signals = 12;  // the room server rate-limits events per client
};

// What the whole network layer knows about us; the same for every peer.
struct LocalInfo {
  std::vector<Candidate> host;
  std::optional<Candidate> srflx;
  bool gathering_done = false;  // the STUN binding finished (answered or timed out)
  bool udp_ok = true;           // the STUN binding was answered (or there was no STUN server)
};

enum class RelayTransport : std::uint8_t { udp, tcp };

// Implemented by the runtime; every call carries the peer it concerns.
class SessionOutputs {
 public:
  virtual ~SessionOutputs() = default;
  // A frame on the main UDP socket; ttl 0 = the socket's default.
  virtual void send_direct(const std::string& peer, const Endpoint& to,
                           std::span<const std::uint8_t> frame, int ttl) = 0;
  virtual void send_relay(const std::string& peer, std::span<const std::uint8_t> frame) = 0;
  virtual void open_relay(const std::string& peer, const RelayOffer& offer,
                          RelayTransport transport) = 0;
  virtual void close_relay(const std::string& peer) = 0;
  virtual void send_signal(const std::string& peer, std::string payload_json) = 0;
  virtual void report_failure(const std::string& peer) = 0;
  virtual void report_success(const std::string& peer, PathKind kind, std::uint32_t latency_ms) = 0;
  virtual void deliver(const std::string& peer, std::span<const std::uint8_t> payload) = 0;
  virtual void emit(const PeerEvent& event) = 0;
  virtual void log(LogLevel level, const std::string& peer, std::string_view message) = 0;
};

class PeerSession {
 public:
  PeerSession(std::string local_id, std::string peer_id, Secret secret, frame::Tag tag,
              const SessionConfig& config, SessionOutputs& out, std::int64_t now_ms);

  const std::string& peer_id() const { return peer_id_; }
  frame::Tag local_tag() const { return tag_; }
  bool controlling() const { return controlling_; }
  PeerState state() const { return state_; }

  void update_local(const LocalInfo& local, std::int64_t now_ms);
  void on_signal(const SignalMessage& signal, std::int64_t now_ms);
  void on_use_relay(const RelayOffer& offer, std::int64_t now_ms);

  // A peer frame for this session (the runtime matched the tag) from the main socket.
  void on_direct_frame(const Endpoint& from, std::span<const std::uint8_t> bytes,
                       std::int64_t now_ms);
  // A peer frame that arrived through the relay leg.
  void on_relay_frame(std::span<const std::uint8_t> bytes, std::int64_t now_ms);
  // The relay leg can carry frames (UDP: bound; TCP: paired), or it failed for good.
  void on_relay_ready(std::int64_t now_ms);
  void on_relay_failed(std::string_view reason, std::int64_t now_ms);

  // Application data; false when there is no path yet or the payload is too large.
  bool send(std::span<const std::uint8_t> payload, std::int64_t now_ms);
  // Timers. Returns when it next wants to be called.
  std::int64_t tick(std::int64_t now_ms);
  // remove_peer()/stop(): closes the relay leg, emits disconnected. Final.
  void close(std::int64_t now_ms);

  PeerStats stats(std::int64_t now_ms) const;

 private:
  struct Pair {
    Endpoint remote;
    CandidateType remote_type = CandidateType::host;
    std::uint64_t priority = 0;
    bool gated = false;      // a NAT's public address: full probes wait for priming
    bool succeeded = false;  // one of our checks to it was answered from it
    bool received = false;   // the peer's checks arrive from it
    std::int64_t next_probe_ms = 0;
    std::int64_t last_sent_ms = -1'000'000;
    double rtt_ms = 0;
  };
  enum class TxKind : std::uint8_t { probe, nominate, keepalive, relay_check };
  struct Transaction {
    std::uint64_t seq = 0;
    std::int64_t sent_ms = 0;
    Endpoint target;  // invalid (family 0) for the relay path
    TxKind kind = TxKind::probe;
  };

  void finish_gathering(std::int64_t now_ms);
  void start_checks(std::int64_t now_ms);
  void rebuild_pairs(std::int64_t now_ms);
  void prime(std::int64_t now_ms);
  void send_own_signal();
  bool remote_needs_tcp() const;
  void maybe_skip_direct(std::int64_t now_ms);

  void handle_check(const frame::Check& check, const Endpoint& from, bool via_relay,
                    std::int64_t now_ms);
  void handle_ack(const frame::Check& ack, const Endpoint& from, bool via_relay,
                  std::int64_t now_ms);
  Pair* find_pair(const Endpoint& remote);
  Pair* add_prflx(const Endpoint& remote, std::int64_t now_ms);
  void send_check(const Endpoint& to, TxKind kind, bool nominate, std::int64_t now_ms, int ttl = 0);
  void send_relay_check(std::int64_t now_ms);
  void send_ack(const frame::Check& check, const Endpoint& from, bool via_relay);
  bool can_probe(const Pair& pair, std::int64_t now_ms) const;

  void go_direct(const Endpoint& remote, std::int64_t now_ms);
  void request_relay(std::int64_t now_ms, bool report, std::string_view why);
  void relay_connected(std::int64_t now_ms);
  void fail(std::string_view why);
  void connected(PathKind path, std::int64_t now_ms);
  void reset_remote();
  void log(LogLevel level, std::string_view message);

  std::string local_id_;
  std::string peer_id_;
  Secret secret_;
  frame::Tag tag_;
  SessionConfig config_;
  SessionOutputs& out_;
  bool controlling_;
  std::int64_t created_ms_;

  PeerState state_ = PeerState::gathering;
  bool closed_ = false;
  LocalInfo local_;
  std::int64_t gather_deadline_ms_;
  int signals_sent_ = 0;
  std::string last_signal_;
  bool primed_ = false;

  // The peer, from its latest signal.
  std::optional<SignalMessage> remote_;
  PairKey key_{};
  frame::ReplayWindow replay_;
  bool remote_primed_ = false;
  std::int64_t remote_known_ms_ = 0;
  bool peer_heard_ = false;  // an authenticated check from the peer arrived

  std::vector<Pair> pairs_;
  std::array<Transaction, 256> tx_{};
  std::uint64_t next_seq_ = 1;
  std::int64_t failure_deadline_ms_ = 0;
  std::int64_t nominate_at_ms_ = -1;  // controlling: when to pick the pair to nominate
  std::optional<Endpoint> nominating_;
  std::int64_t next_nominate_ms_ = 0;

  std::optional<Endpoint> selected_;  // the direct path in use
  std::int64_t last_heard_ms_ = 0;    // authenticated frame on the path in use
  std::int64_t next_keepalive_ms_ = 0;

  bool relay_open_ = false;
  bool relay_ready_ = false;
  bool relay_connected_ = false;
  std::string relay_session_id_;
  int relay_requests_ = 0;
  std::int64_t relay_deadline_ms_ = 0;
  std::int64_t next_relay_check_ms_ = 0;

  bool ever_connected_ = false;
  std::int64_t connect_ms_ = -1;
  RttEstimator rtt_;
  LossWindow loss_;
  std::uint64_t bytes_sent_ = 0, bytes_received_ = 0;
  std::uint64_t datagrams_sent_ = 0, datagrams_received_ = 0;

  std::array<std::uint8_t, frame::kDataHeaderSize + kMaxDatagramPayload> buf_{};
};

}  // namespace sudachi::client::p2p

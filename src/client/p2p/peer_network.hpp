#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"

// Forward declaration only: this header stays free of Asio so that the room-session code (and
// its tests) can include it cheaply. boost::asio::io_context is a plain class.
namespace boost::asio {
class io_context;
}

// The seam between the room session (signaling, engineer S) and peer connectivity (engineer P).
//
// PeerNetwork owns the player's UDP socket, finds a direct path to every peer of the room
// (host, server-reflexive and peer-reflexive candidates, paced simultaneous probing
// authenticated per pair), and falls back to the relay (UDP, else TCP) when no pair answers in
// time. Whatever carries a peer's traffic, send()/on_datagram look the same.
//
// Threading contract: every member function, including the constructor and the destructor,
// must be called on the thread that runs the io_context passed to the constructor (the
// library's single I/O thread); on_datagram, on_event and every SignalSink call are made on
// that thread too, never re-entrantly from inside a PeerNetwork call except where a method says
// so. Callbacks may call send()/broadcast()/stats(), but not remove_peer()/stop() for the peer
// whose callback is running (post that instead). Nothing here blocks.
namespace sudachi::client::p2p {

// A host:port as announced by the room server (`connected.stun[]`, `use:relay.server`); host
// may be a name or a literal address and is resolved on the I/O thread.
struct HostPort {
  std::string host;
  std::uint16_t port = 0;
};

// The `use:relay` payload, parsed by the room session.
struct RelayOffer {
  std::string server;
  std::uint16_t port = 0;      // main UDP port
  std::uint16_t tcp_port = 0;  // 0: TCP not offered
  std::string protocol;        // as announced ("udp"); the transport actually used is decided
                               // with the peer (both must agree), see docs/connectivity.md
  std::string session_id;      // 32 hex digits
  std::string token;           // opaque
  std::int64_t expires_at_ms = 0;
};

enum class PathKind : std::uint8_t { none, direct, relay };
std::string_view to_string(PathKind kind) noexcept;  // "none", "direct", "relay"

// Per-peer state machine (docs/connectivity.md has the diagram).
enum class PeerState : std::uint8_t {
  gathering,        // waiting (bounded) for our server-reflexive address before signalling
  checking,         // candidates exchanged; probing every pair
  direct,           // a nominated direct pair carries the traffic
  relay_requested,  // no pair answered in time: p2p:failure sent, waiting for use:relay
  relay,            // the relay session carries the traffic
  failed,           // neither direct nor relay worked (PeerEvent::failed was emitted)
};
std::string_view to_string(PeerState state) noexcept;

struct PeerStats {
  PeerState state = PeerState::gathering;
  PathKind path = PathKind::none;
  double rtt_ms = 0;             // smoothed (RFC 6298 style) over echo probes; 0 = unknown
  double loss = 0;               // fraction of the last 64 keepalive probes unanswered
  std::uint64_t bytes_sent = 0;  // application payload bytes
  std::uint64_t bytes_received = 0;
  std::uint64_t datagrams_sent = 0;
  std::uint64_t datagrams_received = 0;
  std::int64_t connect_ms = -1;  // add_peer() to first usable path; -1 = not connected yet
  std::string remote_address;    // the peer's address on the path in use ("ip:port"), or the
                                 // relay's
};

struct PeerEvent {
  enum class Kind : std::uint8_t {
    connected,     // first usable path (path, connect_ms set)
    path_changed,  // e.g. direct path lost -> relay
    failed,        // no direct path and the relay could not be used either (message says why)
    disconnected,  // remove_peer() or stop()
  };
  Kind kind = Kind::connected;
  std::string peer_id;
  PathKind path = PathKind::none;
  std::int64_t connect_ms = -1;
  std::string message;
};

// Implemented by the room session; PeerNetwork calls it on the I/O thread. Each call maps to
// one room-server event for the room the player is in. Calls are rare (a handful per peer), so
// the server's per-client event rate limit is never a concern.
class SignalSink {
 public:
  virtual ~SignalSink() = default;
  // p2p:signal {targetClientId: peer_id, payload}: payload_json is a JSON object (text) of at
  // most kMaxSignalPayload bytes; send it as the payload *object*, not as a string.
  virtual void send_signal(const std::string& peer_id, std::string payload_json) = 0;
  // p2p:failure {targetClientId: peer_id}; the answer is use:relay -> on_use_relay().
  virtual void report_failure(const std::string& peer_id) = 0;
  // p2p:success {targetClientId, connectionType, latencyMs}.
  virtual void report_success(const std::string& peer_id, PathKind kind,
                              std::uint32_t latency_ms) = 0;
};

inline constexpr std::size_t kMaxSignalPayload = 8 * 1024;  // docs/room-protocol.md
inline constexpr std::size_t kMaxDatagramPayload = 1200;    // send()/broadcast() limit

enum class LogLevel : std::uint8_t { debug, info, warn, error };

struct PeerNetworkConfig {
  std::string bind_address = "0.0.0.0";  // "::" for dual stack
  std::uint16_t bind_port = 0;           // 0: any
  int gather_timeout_ms = 500;       // max wait for the server-reflexive address before signalling
  int failure_timeout_ms = 1500;     // no pair answered by then (from checking) -> p2p:failure
  int probe_interval_ms = 25;        // pacing of one probe per candidate pair
  int keepalive_interval_ms = 1000;  // direct path: keepalive + RTT probe, keeps NAT mappings
  int path_dead_ms = 6000;           // nothing received on the direct path -> relay
  int relay_request_timeout_ms = 5000;  // p2p:failure sent, no use:relay -> failed
  int relay_udp_timeout_ms = 1000;      // UDP HELLO unanswered this long -> TCP
  int relay_handshake_timeout_ms = 10000;
  // Priming (docs/connectivity.md): TTL of the probes that open our NAT toward a peer's public
  // address before full probes go there; 0 turns priming off (naive simultaneous punching).
  int priming_ttl = 3;
  int prime_wait_ms = 400;      // how long to wait for the peer's "primed" signal at most
  bool allow_direct = true;     // false: skip probing, go to the relay at once (tests, policy)
  bool allow_udp_relay = true;  // false: relay over TCP only
  std::size_t max_peers = 64;
  // Optional diagnostics sink (stderr in the CLI). Called on the I/O thread.
  std::function<void(LogLevel, std::string_view)> log;
};

// What `sudachi-mp probe` prints: the public address and the NAT's mapping behaviour as far as
// STUN Binding to the relay's ports can tell (it has no CHANGE-REQUEST, so filtering cannot be
// measured from one server; it is reported as unknown).
enum class MappingBehavior : std::uint8_t {
  unknown,                     // fewer than two distinct STUN destinations answered
  none,                        // mapped address == local address: no NAT
  endpoint_independent,        // same mapped address towards every destination
  address_dependent,           // same per destination IP, differs across IPs
  address_and_port_dependent,  // differs per destination port (symmetric NAT)
};
std::string_view to_string(MappingBehavior m) noexcept;

struct NatProbeObservation {
  std::string server;  // "ip:port" queried
  std::string mapped;  // "ip:port" seen by that server; empty when it did not answer
};

struct NatProbeResult {
  bool udp_blocked = false;    // no STUN destination answered at all
  std::string local_address;   // "ip:port" of the probing socket
  std::string public_address;  // first mapped address, empty when none
  MappingBehavior mapping = MappingBehavior::unknown;
  std::vector<NatProbeObservation> observations;
};

struct NatProbeOptions {
  int timeout_ms = 2000;  // total, retransmissions included
  // For each STUN server host:port also query host:port+1 (the relay's second worker port),
  // which is what separates endpoint-independent from port-dependent mapping with one relay.
  bool also_next_port = true;
  std::string bind_address = "0.0.0.0";
};

// Runs the NAT probe on `io` (one fresh UDP socket) and calls `done` once on that thread.
void probe_nat(boost::asio::io_context& io, std::vector<HostPort> stun_servers,
               NatProbeOptions options, std::function<void(NatProbeResult)> done);

class PeerNetwork {
 public:
  PeerNetwork(boost::asio::io_context& io, PeerNetworkConfig config, SignalSink& sink);
  ~PeerNetwork();  // stop() if still running
  PeerNetwork(const PeerNetwork&) = delete;
  PeerNetwork& operator=(const PeerNetwork&) = delete;

  // Binds the UDP socket and gathers host candidates (every interface address). Errors: the
  // bind failed (message says why).
  Status start();

  // From `connected.stun`; may be called again after a reconnect (replaces the list). Starts a
  // STUN Binding to learn the server-reflexive address; peers in `gathering` wait for it
  // (at most gather_timeout_ms).
  void set_stun_servers(std::vector<HostPort> servers);

  // Our client id (`connected.clientId`); must be set before add_peer(). It orders the pair's
  // keys and makes the lower id the controlling side.
  void set_local_id(std::string client_id);

  // A room member appeared (each member of room:joined for the joiner; room:member:joined for
  // the others). Idempotent: a peer already known keeps its path (signaling reconnects and
  // room re-joins must not disturb it).
  void add_peer(const std::string& peer_id);
  // Left, kicked, or the room closed: frees the peer's path (BYE to the relay) and emits
  // PeerEvent::disconnected.
  void remove_peer(const std::string& peer_id);

  // p2p:signal from peer_id (the payload object as JSON text). Hostile input: anything
  // malformed or oversized is dropped (logged). A signal from an unknown peer adds it.
  void on_signal(const std::string& peer_id, std::string_view payload_json);
  // use:relay for peer_id. A repeated offer for a session already in use is ignored.
  void on_use_relay(const std::string& peer_id, const RelayOffer& offer);

  // Sends one datagram (<= kMaxDatagramPayload bytes) to a connected peer. False when the
  // peer has no path yet, the payload is too large, or the send queue is full (dropped).
  bool send(const std::string& peer_id, std::span<const std::byte> payload);
  // send() to every connected peer.
  void broadcast(std::span<const std::byte> payload);

  std::optional<PeerStats> stats(const std::string& peer_id) const;
  std::vector<std::string> peers() const;

  // The local UDP port (after start()), for tests and logs.
  std::uint16_t local_port() const;

  // Application datagrams from peers; the span is valid only during the call.
  std::function<void(const std::string& peer_id, std::span<const std::byte>)> on_datagram;
  std::function<void(const PeerEvent&)> on_event;

  // Closes every path (BYE to relays), the sockets and timers; emits disconnected for each
  // peer. Idempotent.
  void stop();

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace sudachi::client::p2p

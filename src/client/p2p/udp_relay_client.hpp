#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "relay/wire.hpp"

// The client side of the relay's UDP protocol (docs/relay-protocol.md §3-§4, §7), with no
// I/O: HELLO to the main port, REDIRECT to the data port, the COOKIE round that proves our
// source address, OK; DATA framing; KEEPALIVE; re-binding with the rebind key when keepalives
// stop coming back (our NAT mapping changed); BYE. The runtime owns one UDP socket per relay
// session (the relay binds a slot to one source address) and feeds it datagrams and time.
namespace sudachi::client::p2p {

class UdpRelayClient {
 public:
  struct Config {
    int first_retransmit_ms = 500;  // §4.2: 500 ms, doubling up to 4 s, for at most 10 s
    int max_retransmit_ms = 4000;
    int handshake_timeout_ms = 10000;
    int silence_to_tcp_ms = 1000;      // no answer at all by then: UDP is filtered, try TCP
    int keepalive_interval_ms = 2000;  // capped at the relay's idle timeout / 4
    int keepalive_misses_before_rebind = 3;
  };

  // What the client asks of its owner. Called synchronously from the methods below.
  class Host {
   public:
    virtual ~Host() = default;
    virtual void relay_send(std::uint16_t port, std::span<const std::uint8_t> datagram) = 0;
    virtual void relay_bound(bool peer_bound) = 0;  // first OK (and again after a re-bind)
    virtual void relay_peer_joined() = 0;
    virtual void relay_data(std::span<const std::uint8_t> payload) = 0;  // DATA payload
    // The session is over or cannot be had; `use_tcp`: the relay says the session runs over
    // TCP (PROTOCOL_MISMATCH), or UDP never got an answer.
    virtual void relay_failed(std::string_view reason, bool use_tcp) = 0;
  };

  enum class State : std::uint8_t { handshaking, bound, rebinding, done };

  UdpRelayClient(std::string token, std::uint16_t main_port, Config config, Host& host);

  void start(std::int64_t now_ms);
  // A datagram from the relay's address (the runtime filters on IP; `from_port` is its port).
  void on_datagram(std::uint16_t from_port, std::span<const std::uint8_t> bytes,
                   std::int64_t now_ms);
  // Retransmissions, keepalives, timeouts. Returns the next time it wants to be called.
  std::int64_t tick(std::int64_t now_ms);
  // Forces a re-bind now (the runtime saw the local address change).
  void rebind(std::int64_t now_ms);
  // BYE (when bound) and done.
  void close();

  State state() const { return state_; }
  bool peer_bound() const { return peer_bound_; }
  std::uint16_t data_port() const { return data_port_; }
  std::uint64_t rebind_key() const { return rebind_key_; }
  // Round trip of the last answered KEEPALIVE, ms (-1: none yet).
  std::int64_t keepalive_rtt_ms() const { return keepalive_rtt_ms_; }

  // DATA framing: the relay's 4-byte header before a payload.
  static constexpr std::size_t kDataHeaderSize = relay::wire::kHeaderSize;
  static void write_data_header(std::span<std::uint8_t, kDataHeaderSize> out);
  // Sends payload as DATA (copies into an internal buffer; false when not bound or too large).
  bool send_data(std::span<const std::uint8_t> payload);

 private:
  void begin_handshake(State state, std::uint16_t port, std::int64_t now_ms);
  void send_hello(std::int64_t now_ms);
  void on_reply(std::uint16_t from_port, const relay::wire::HelloReply& reply, std::int64_t now_ms);
  void fail(std::string_view reason, bool use_tcp);

  std::string token_;
  std::uint16_t main_port_;
  Config config_;
  Host& host_;

  State state_ = State::handshaking;
  std::uint16_t hello_port_ = 0;  // where the next HELLO goes
  std::uint64_t cookie_ = 0;
  int cookie_rounds_ = 0;
  std::uint16_t data_port_ = 0;
  std::uint64_t rebind_key_ = 0;
  bool peer_bound_ = false;
  bool any_reply_ = false;
  std::int64_t handshake_started_ms_ = 0;
  std::int64_t next_hello_ms_ = 0;
  int retransmit_ms_ = 0;
  std::int64_t next_keepalive_ms_ = 0;
  std::uint64_t keepalive_nonce_ = 0;
  std::int64_t keepalive_sent_ms_ = 0;
  int keepalive_misses_ = 0;
  bool keepalive_outstanding_ = false;
  std::int64_t keepalive_rtt_ms_ = -1;
  std::uint8_t buffer_[relay::wire::kMaxDatagram];
};

}  // namespace sudachi::client::p2p

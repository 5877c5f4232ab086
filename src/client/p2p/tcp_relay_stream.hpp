#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "relay/wire.hpp"

// The client side of the relay's TCP leg (docs/relay-protocol.md §6), with no I/O. The relay
// answers our HELLO with a 36-byte HELLO_REPLY, then one marker byte once the session is
// paired, then forwards raw bytes between the peers. Peers frame datagrams on that stream
// with a 2-byte big-endian length before each peer frame (frame.hpp): ours, not the relay's.
namespace sudachi::client::p2p {

inline constexpr std::size_t kTcpLengthSize = 2;
inline constexpr std::size_t kMaxTcpFrame = 1400;  // a peer frame; larger lengths are hostile

class TcpRelayReader {
 public:
  enum class State : std::uint8_t { reply, marker, paired, failed };

  class Host {
   public:
    virtual ~Host() = default;
    virtual void tcp_relay_bound() = 0;   // HELLO_REPLY OK: waiting for the other peer
    virtual void tcp_relay_paired() = 0;  // PAIRED: frames may flow
    virtual void tcp_relay_frame(std::span<const std::uint8_t> frame) = 0;
    // Refused, timed out, draining or a framing error; `use_udp` when the relay says the
    // session runs over UDP (PROTOCOL_MISMATCH).
    virtual void tcp_relay_failed(std::string_view reason, bool use_udp) = 0;
  };

  explicit TcpRelayReader(Host& host) : host_(host) {}

  // Consumes received bytes (any split). Stops at the first failure.
  void feed(std::span<const std::uint8_t> bytes);
  State state() const { return state_; }

 private:
  void fail(std::string_view reason, bool use_udp);

  Host& host_;
  State state_ = State::reply;
  std::array<std::uint8_t, relay::wire::kHelloReplySize> reply_{};
  std::size_t have_ = 0;  // bytes of the current unit (reply, length+frame)
  std::array<std::uint8_t, kTcpLengthSize + kMaxTcpFrame> frame_{};
};

// HELLO for the TCP leg (header and token, no padding, no cookie); 0 when the token is bad.
std::size_t encode_tcp_relay_hello(std::span<std::uint8_t> out, std::string_view token);

// Writes the 2-byte length prefix of a frame; false when the frame is too large.
bool write_tcp_frame_length(std::span<std::uint8_t, kTcpLengthSize> out, std::size_t frame_size);

}  // namespace sudachi::client::p2p

#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

#include "client/p2p/address.hpp"
#include "client/p2p/pair_auth.hpp"

// The peer-to-peer frames: the same bytes travel on a direct path (one UDP datagram each), in
// a relay DATA datagram (after the relay's 4-byte header) and in the TCP relay stream (after a
// 2-byte length), so checks, RTT echoes and data work the same on every path.
//
// Every frame starts with a type byte whose top bits are 10: STUN has 00 there and the relay's
// own messages 11, so one socket can tell the three apart from the first byte.
//
//   0     type        0x80 CHECK, 0x81 CHECK_ACK, 0x82 DATA
//   1..3  flags / 0   CHECK(_ACK): bit0 sender is controlling, bit1 nominate; DATA: 0
//   4..11 tag         the *receiver's* tag (from its signal): demultiplexes peers on one socket
//   DATA:  12.. payload
//   CHECK(_ACK), 64 bytes:
//   12..19 seq        sender's counter for this pair, never repeated (replay window)
//   20..27 echo       CHECK_ACK: the seq of the CHECK answered; CHECK: 0
//   28     family     4 or 6 (0: none)
//   29     0
//   30..31 port
//   32..47 address    CHECK: where the sender sent it; CHECK_ACK: where the CHECK came from
//   48..63 MAC        HMAC-SHA256(pair key, bytes 0..47), first 16 bytes
namespace sudachi::client::p2p::frame {

enum class Type : std::uint8_t { check = 0x80, check_ack = 0x81, data = 0x82 };

inline constexpr std::size_t kTagOffset = 4;
inline constexpr std::size_t kDataHeaderSize = 12;
inline constexpr std::size_t kCheckSize = 64;
inline constexpr std::size_t kCheckMacOffset = 48;
inline constexpr std::uint8_t kFlagControlling = 0x01;
inline constexpr std::uint8_t kFlagNominate = 0x02;

using Tag = std::uint64_t;

inline bool is_peer_frame(std::uint8_t first_byte) {
  return (first_byte & 0xC0) == 0x80;
}

struct Check {
  bool ack = false;
  bool from_controlling = false;
  bool nominate = false;
  Tag receiver_tag = 0;
  std::uint64_t seq = 0;
  std::uint64_t echo = 0;
  Endpoint address;  // see the table above
};

// Writes a CHECK or CHECK_ACK (kCheckSize bytes) with its MAC; returns 0 when `out` is small.
std::size_t encode_check(std::span<std::uint8_t> out, const Check& check, const PairKey& key);

// The type and receiver tag of any peer frame, before the receiver knows which key applies.
struct Header {
  Type type = Type::data;
  Tag tag = 0;
};
std::optional<Header> peek(std::span<const std::uint8_t> bytes);

enum class CheckParse { ok, malformed, bad_mac };
// Parses and authenticates a CHECK/CHECK_ACK. Nothing in `out` may be trusted unless ok.
CheckParse parse_check(std::span<const std::uint8_t> bytes, const PairKey& key, Check& out);

// Writes the DATA header (kDataHeaderSize bytes) into out[0..12).
void encode_data_header(std::span<std::uint8_t, kDataHeaderSize> out, Tag receiver_tag);

// Accepts each sequence number at most once, within a sliding window of the newest 256 (the
// IPsec anti-replay scheme, RFC 4303 §3.4.3): a recorded probe replayed later is dropped, and
// reordering within the window is tolerated. Call accept() only for authenticated frames.
class ReplayWindow {
 public:
  static constexpr std::uint64_t kSize = 256;
  bool accept(std::uint64_t seq);

 private:
  std::uint64_t highest_ = 0;
  std::array<std::uint64_t, kSize / 64> bits_{};  // bit (seq % kSize) set: seq seen
  bool test(std::uint64_t seq) const;
  void set(std::uint64_t seq, bool on);
};

}  // namespace sudachi::client::p2p::frame

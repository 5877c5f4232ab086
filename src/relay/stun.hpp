#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

#include "relay/endpoint.hpp"

// STUN Binding (RFC 8489) as far as the relay needs it: recognise a Binding request and write
// the success response carrying XOR-MAPPED-ADDRESS. Pure functions over byte spans.
namespace sudachi::relay::stun {

inline constexpr std::uint32_t kMagicCookie = 0x2112A442;
inline constexpr std::size_t kHeaderSize = 20;
inline constexpr std::uint16_t kBindingRequest = 0x0001;
inline constexpr std::uint16_t kBindingSuccess = 0x0101;
inline constexpr std::uint16_t kAttrXorMappedAddress = 0x0020;
inline constexpr std::uint16_t kAttrFingerprint = 0x8028;
inline constexpr std::size_t kMaxResponseSize = kHeaderSize + 4 + 20 + 8;  // IPv6 + FINGERPRINT

using TransactionId = std::array<std::uint8_t, 12>;

// Cheap test used to route a datagram: STUN's first two bits are 0 and bytes 4..7 hold the
// magic cookie (relay messages have the top bits set, see wire.hpp).
bool looks_like_stun(std::span<const std::uint8_t> datagram);

struct BindingRequest {
  TransactionId transaction_id{};
  bool has_fingerprint = false;
};

enum class Parse { binding_request, not_stun, other_stun, malformed };

// Validates header, length and attribute framing (and FINGERPRINT when present).
Parse parse_binding_request(std::span<const std::uint8_t> datagram, BindingRequest& out);

// Writes the Binding success response for `mapped`; returns its size (0 if `out` is too small).
std::size_t encode_binding_response(std::span<std::uint8_t> out, const BindingRequest& request,
                                    const Endpoint& mapped, bool with_fingerprint);

// Decodes XOR-MAPPED-ADDRESS from a success response (tests and clients).
bool parse_binding_response(std::span<const std::uint8_t> datagram, const TransactionId& expected,
                            Endpoint& mapped);

// Builds a Binding request (tests and clients); returns its size.
std::size_t encode_binding_request(std::span<std::uint8_t> out, const TransactionId& id,
                                   bool with_fingerprint);

std::uint32_t crc32(std::span<const std::uint8_t> bytes);

}  // namespace sudachi::relay::stun

#pragma once

#include <array>
#include <cstdint>

#include "relay/endpoint.hpp"

namespace sudachi::relay {

// Return-routability cookies (docs/relay-protocol.md §4.2). Before a UDP HELLO may bind a slot,
// its source must echo a cookie the relay sent to that very address: a peer that spoofs its
// source never sees the cookie, so it can neither bind a victim's address nor make the relay
// send anything there but one reply no larger than its own datagram.
//
// Stateless: the cookie is the first 8 bytes of HMAC-SHA256(key, epoch || source IP || source
// port || receiving port), so the relay keeps nothing per source. An epoch is 30 s of the
// monotonic clock; the current and the previous epoch are accepted, so a cookie lives 30-60 s.
// The key is random per process: a restart invalidates every cookie, which costs a client
// one more round trip.
//
// Immutable after construction: every worker reads one instance without a lock.
class AddressCookies {
 public:
  static constexpr std::int64_t kEpochMs = 30'000;
  using Key = std::array<std::uint8_t, 32>;

  // A fresh random key (throws std::runtime_error if the CSPRNG fails; start-up only).
  AddressCookies();
  explicit AddressCookies(const Key& key) : key_(key) {}

  // The cookie for `from` at this relay port now; never 0 (0 means "no cookie" on the wire).
  std::uint64_t make(const Endpoint& from, std::uint16_t local_port, std::int64_t now_ms) const;
  // Whether `cookie` was made for `from` and `local_port` in this epoch or the previous one.
  bool valid(std::uint64_t cookie, const Endpoint& from, std::uint16_t local_port,
             std::int64_t now_ms) const;

 private:
  std::uint64_t compute(std::int64_t epoch, const Endpoint& from, std::uint16_t local_port) const;

  Key key_{};
};

}  // namespace sudachi::relay

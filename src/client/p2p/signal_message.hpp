#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "client/p2p/candidate.hpp"
#include "client/p2p/frame.hpp"
#include "client/p2p/pair_auth.hpp"

// The p2p:signal payload this library exchanges (docs/connectivity.md §Signal). Every signal
// is complete (not a delta), so a lost or repeated one does no harm:
//   {"v":1, "secret":"<64 hex>", "tag":"<16 hex>", "udp":true, "primed":false,
//    "candidates":[{"type":"host","ip":"10.0.0.2","port":40000,"priority":2130706175}, ...]}
// Unknown fields are ignored (a later version may add some); anything else wrong rejects the
// whole signal: it comes from another player's process through the room server.
namespace sudachi::client::p2p {

inline constexpr int kSignalVersion = 1;

struct SignalMessage {
  Secret secret{};      // the sender's per-peer secret (pair_auth.hpp)
  frame::Tag tag = 0;   // put this in every frame sent to the signal's sender
  bool udp = true;      // the sender's UDP reached the relay's STUN; false: relay over TCP
  bool primed = false;  // the sender has opened its NAT toward our candidates (priming)
  std::vector<Candidate> candidates;
};

std::string encode_signal(const SignalMessage& message);

// nullopt: not a valid version-1 signal (too large, not JSON, a field missing or out of range,
// more than kMaxRemoteCandidates candidates).
std::optional<SignalMessage> decode_signal(std::string_view json);

}  // namespace sudachi::client::p2p

#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "client/p2p/address.hpp"

// Candidates and their ordering (RFC 8445 §5.1.2 and §6.1.2, reduced to what one UDP socket
// per player needs). Pure functions: the runtime lists the interfaces, this decides.
namespace sudachi::client::p2p {

enum class CandidateType : std::uint8_t {
  host,   // an address of one of our interfaces
  srflx,  // server-reflexive: our address as the relay's STUN saw it
  prflx,  // peer-reflexive: the source address a peer's authenticated probe came from
};
std::string_view to_string(CandidateType t) noexcept;  // "host", "srflx", "prflx"
bool parse_candidate_type(std::string_view text, CandidateType& out) noexcept;

struct Candidate {
  CandidateType type = CandidateType::host;
  Endpoint address;
  std::uint32_t priority = 0;
  bool operator==(const Candidate&) const = default;
};

inline constexpr std::size_t kMaxLocalCandidates = 8;
inline constexpr std::size_t kMaxRemoteCandidates = 16;  // bounds probes per peer
inline constexpr std::size_t kMaxPairs = 24;             // remote candidates + learned prflx

// RFC 8445 §5.1.2.1: 2^24 * type preference + 2^8 * local preference + (256 - component),
// with type preferences host 126 > prflx 110 > srflx 100 and one component.
std::uint32_t candidate_priority(CandidateType type, std::uint16_t local_preference);

// Host candidates for a socket bound on `port` from the interface addresses: link-local and
// unusable addresses dropped (link-local IPv6 would need a scope id a peer cannot use),
// families the socket cannot reach dropped (`dual_stack` false: IPv4 only), duplicates
// removed, loopback kept last (two players on one machine), at most kMaxLocalCandidates.
std::vector<Candidate> host_candidates(std::span<const Endpoint> interface_addresses,
                                       std::uint16_t port, bool dual_stack);

// RFC 8445 §6.1.2.3: G the controlling agent's candidate priority, D the controlled one's.
std::uint64_t pair_priority(std::uint32_t controlling, std::uint32_t controlled);

struct PairSpec {
  Endpoint remote;
  CandidateType remote_type = CandidateType::host;
  std::uint64_t priority = 0;
};

// The check list: every local candidate shares one socket (one base), so a pair is decided by
// its remote address alone and the pairs of one remote address are pruned to the best one
// (RFC 8445 §6.1.2.4). Remote candidates that are no probe target, of a family we have no
// local candidate for, or link-local are dropped. Ordered by pair priority, highest first;
// at most `max_pairs`.
std::vector<PairSpec> build_pairs(std::span<const Candidate> local,
                                  std::span<const Candidate> remote, bool controlling,
                                  std::size_t max_pairs = kMaxRemoteCandidates);

}  // namespace sudachi::client::p2p

#include "client/p2p/candidate.hpp"

#include <algorithm>

namespace sudachi::client::p2p {

std::string_view to_string(CandidateType t) noexcept {
  switch (t) {
    case CandidateType::host:
      return "host";
    case CandidateType::srflx:
      return "srflx";
    case CandidateType::prflx:
      return "prflx";
  }
  return "host";
}

bool parse_candidate_type(std::string_view text, CandidateType& out) noexcept {
  for (auto t : {CandidateType::host, CandidateType::srflx, CandidateType::prflx}) {
    if (text == to_string(t)) {
      out = t;
      return true;
    }
  }
  return false;
}

std::uint32_t candidate_priority(CandidateType type, std::uint16_t local_preference) {
  std::uint32_t type_preference = 126;
  if (type == CandidateType::prflx) type_preference = 110;
  if (type == CandidateType::srflx) type_preference = 100;
  return (type_preference << 24) + (std::uint32_t{local_preference} << 8) + (256 - 1);
}

std::vector<Candidate> host_candidates(std::span<const Endpoint> interface_addresses,
                                       std::uint16_t port, bool dual_stack) {
  std::vector<Candidate> out;
  std::vector<Endpoint> loopback;
  for (Endpoint e : interface_addresses) {
    e.port = port;
    if (e.family == 6 && !dual_stack) continue;
    if (!is_probe_target(e) || is_link_local(e)) continue;
    if (is_loopback(e)) {
      if (std::find(loopback.begin(), loopback.end(), e) == loopback.end()) loopback.push_back(e);
      continue;
    }
    const bool dup =
        std::any_of(out.begin(), out.end(), [&](const Candidate& c) { return c.address == e; });
    if (dup || out.size() >= kMaxLocalCandidates) continue;
    // Interface order is the kernel's; IPv4 before IPv6 (NATs are an IPv4 affair and the lab
    // and most homes reach peers over IPv4), earlier interfaces first.
    const std::uint16_t base = e.family == 4 ? 65000 : 60000;
    out.push_back(
        {CandidateType::host, e,
         candidate_priority(CandidateType::host, static_cast<std::uint16_t>(base - out.size()))});
  }
  std::stable_sort(out.begin(), out.end(),
                   [](const Candidate& a, const Candidate& b) { return a.priority > b.priority; });
  for (const Endpoint& e : loopback) {
    if (out.size() >= kMaxLocalCandidates) break;
    out.push_back({CandidateType::host, e,
                   candidate_priority(CandidateType::host, static_cast<std::uint16_t>(e.family))});
  }
  return out;
}

std::uint64_t pair_priority(std::uint32_t g, std::uint32_t d) {
  const std::uint64_t lo = std::min(g, d);
  const std::uint64_t hi = std::max(g, d);
  return (lo << 32) + 2 * hi + (g > d ? 1 : 0);
}

std::vector<PairSpec> build_pairs(std::span<const Candidate> local,
                                  std::span<const Candidate> remote, bool controlling,
                                  std::size_t max_pairs) {
  std::vector<PairSpec> pairs;
  for (const Candidate& r : remote) {
    if (!is_probe_target(r.address) || is_link_local(r.address)) continue;
    // The best local candidate of the family stands for the socket (same base for all).
    std::uint32_t local_priority = 0;
    bool have_family = false;
    for (const Candidate& l : local) {
      if (l.address.family != r.address.family) continue;
      // A loopback remote is reachable only from a loopback local (the same machine).
      if (is_loopback(r.address) != is_loopback(l.address)) continue;
      have_family = true;
      local_priority = std::max(local_priority, l.priority);
    }
    if (!have_family) continue;
    const std::uint64_t priority = controlling ? pair_priority(local_priority, r.priority)
                                               : pair_priority(r.priority, local_priority);
    auto same = std::find_if(pairs.begin(), pairs.end(),
                             [&](const PairSpec& p) { return p.remote == r.address; });
    if (same != pairs.end()) {
      if (priority > same->priority) *same = {r.address, r.type, priority};
      continue;
    }
    pairs.push_back({r.address, r.type, priority});
  }
  std::stable_sort(pairs.begin(), pairs.end(),
                   [](const PairSpec& a, const PairSpec& b) { return a.priority > b.priority; });
  if (pairs.size() > max_pairs) pairs.resize(max_pairs);
  return pairs;
}

}  // namespace sudachi::client::p2p

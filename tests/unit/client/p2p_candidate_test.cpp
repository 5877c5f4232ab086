#include <gtest/gtest.h>

#include "client/p2p/candidate.hpp"
#include "p2p_test_util.hpp"

namespace sudachi::client::p2p {
namespace {

using test::v4;

TEST(P2pCandidate, PriorityFollowsRfc8445TypePreferences) {
  const auto host = candidate_priority(CandidateType::host, 65535);
  const auto prflx = candidate_priority(CandidateType::prflx, 65535);
  const auto srflx = candidate_priority(CandidateType::srflx, 65535);
  EXPECT_EQ(host, (126u << 24) + (65535u << 8) + 255u);
  EXPECT_GT(host, prflx);
  EXPECT_GT(prflx, srflx);
  // The local preference orders candidates of one type.
  EXPECT_GT(candidate_priority(CandidateType::host, 2), candidate_priority(CandidateType::host, 1));
}

TEST(P2pCandidate, HostCandidatesFilterAndOrder) {
  Endpoint v6 = *parse_endpoint("2001:db8::5", 0);
  Endpoint link_local6 = *parse_endpoint("fe80::1", 0);
  const std::vector<Endpoint> ifaces = {v4(127, 0, 0, 1, 0),   v4(10, 0, 0, 2, 0),
                                        v4(169, 254, 3, 4, 0), v6,
                                        link_local6,           v4(10, 0, 0, 2, 0),  // duplicate
                                        v4(0, 0, 0, 0, 0),     v4(192, 0, 2, 7, 0)};
  auto v4_only = host_candidates(ifaces, 4000, false);
  ASSERT_EQ(v4_only.size(), 3u);
  EXPECT_EQ(v4_only[0].address, v4(10, 0, 0, 2, 4000));
  EXPECT_EQ(v4_only[1].address, v4(192, 0, 2, 7, 4000));
  EXPECT_EQ(v4_only[2].address, v4(127, 0, 0, 1, 4000));  // loopback last
  EXPECT_GT(v4_only[0].priority, v4_only[1].priority);
  EXPECT_GT(v4_only[1].priority, v4_only[2].priority);

  auto dual = host_candidates(ifaces, 4000, true);
  ASSERT_EQ(dual.size(), 4u);
  EXPECT_EQ(dual[2].address, *parse_endpoint("2001:db8::5", 4000));
  EXPECT_GT(dual[1].priority, dual[2].priority);  // IPv4 first
}

TEST(P2pCandidate, HostCandidatesAreBounded) {
  std::vector<Endpoint> many;
  for (std::uint8_t i = 1; i < 40; ++i) many.push_back(v4(10, 0, 0, i, 0));
  EXPECT_EQ(host_candidates(many, 1, false).size(), kMaxLocalCandidates);
}

TEST(P2pCandidate, PairPriorityFormula) {
  // RFC 8445 §6.1.2.3: 2^32*MIN(G,D) + 2*MAX(G,D) + (G>D?1:0)
  EXPECT_EQ(pair_priority(10, 20), (std::uint64_t{10} << 32) + 40);
  EXPECT_EQ(pair_priority(20, 10), (std::uint64_t{10} << 32) + 41);
  // Both agents compute the same value for the same pair.
  const std::uint32_t a = candidate_priority(CandidateType::host, 100);
  const std::uint32_t b = candidate_priority(CandidateType::srflx, 100);
  EXPECT_EQ(pair_priority(a, b), pair_priority(a, b));
}

TEST(P2pCandidate, BuildPairsPrunesFiltersAndOrders) {
  const std::vector<Candidate> local = {
      {CandidateType::host, v4(10, 0, 0, 2, 5000), candidate_priority(CandidateType::host, 65000)},
      {CandidateType::host, v4(127, 0, 0, 1, 5000), candidate_priority(CandidateType::host, 4)}};
  const std::vector<Candidate> remote = {
      {CandidateType::srflx, v4(203, 0, 113, 9, 7000),
       candidate_priority(CandidateType::srflx, 65535)},
      {CandidateType::host, v4(10, 1, 0, 3, 7000), candidate_priority(CandidateType::host, 65000)},
      // The same address twice: one pair, with the better priority.
      {CandidateType::host, v4(203, 0, 113, 9, 7000),
       candidate_priority(CandidateType::host, 60000)},
      {CandidateType::host, v4(127, 0, 0, 1, 7000), candidate_priority(CandidateType::host, 4)},
      {CandidateType::host, *parse_endpoint("2001:db8::9", 7000),
       candidate_priority(CandidateType::host, 60000)},    // no local IPv6: dropped
      {CandidateType::host, v4(224, 0, 0, 1, 7000), 1},    // multicast: dropped
      {CandidateType::host, v4(169, 254, 1, 1, 7000), 1},  // link-local: dropped
      {CandidateType::host, v4(10, 1, 0, 4, 0), 1},        // port 0: dropped
  };
  const auto pairs = build_pairs(local, remote, true);
  ASSERT_EQ(pairs.size(), 3u);
  EXPECT_EQ(pairs[0].remote, v4(10, 1, 0, 3, 7000));
  EXPECT_EQ(pairs[1].remote, v4(203, 0, 113, 9, 7000));
  EXPECT_EQ(pairs[1].remote_type, CandidateType::host);  // the better of the two
  EXPECT_EQ(pairs[2].remote, v4(127, 0, 0, 1, 7000));
  for (std::size_t i = 1; i < pairs.size(); ++i)
    EXPECT_GE(pairs[i - 1].priority, pairs[i].priority);

  // The controlled side orders the same pairs identically.
  const auto controlled = build_pairs(local, remote, false);
  ASSERT_EQ(controlled.size(), pairs.size());
  for (std::size_t i = 0; i < pairs.size(); ++i) EXPECT_EQ(controlled[i].remote, pairs[i].remote);
}

TEST(P2pCandidate, BuildPairsIsBounded) {
  const std::vector<Candidate> local = {
      {CandidateType::host, v4(10, 0, 0, 2, 5000), candidate_priority(CandidateType::host, 1)}};
  std::vector<Candidate> remote;
  for (std::uint16_t i = 1; i <= 40; ++i)
    remote.push_back({CandidateType::host, v4(10, 9, 0, 1, i), i});
  EXPECT_EQ(build_pairs(local, remote, true).size(), kMaxRemoteCandidates);
  EXPECT_EQ(build_pairs(local, remote, true, 5).size(), 5u);
}

TEST(P2pAddress, ParseAndClassify) {
  EXPECT_FALSE(parse_endpoint("not an ip", 1));
  EXPECT_FALSE(parse_endpoint("", 1));
  EXPECT_FALSE(parse_endpoint(std::string(100, '1'), 1));
  auto mapped = parse_endpoint("::ffff:192.0.2.1", 9);
  ASSERT_TRUE(mapped);
  EXPECT_EQ(*mapped, v4(192, 0, 2, 1, 9));
  EXPECT_EQ(ip_string(*mapped), "192.0.2.1");
  EXPECT_TRUE(is_private(v4(10, 1, 2, 3, 1)));
  EXPECT_TRUE(is_private(v4(172, 20, 0, 1, 1)));
  EXPECT_TRUE(is_private(v4(100, 64, 0, 1, 1)));
  EXPECT_FALSE(is_private(v4(192, 0, 2, 1, 1)));
  EXPECT_FALSE(is_probe_target(v4(255, 255, 255, 255, 1)));
  EXPECT_FALSE(is_probe_target(v4(0, 0, 0, 0, 1)));
  EXPECT_FALSE(is_probe_target(*parse_endpoint("::", 1)));
  EXPECT_FALSE(is_probe_target(*parse_endpoint("ff02::1", 1)));
  EXPECT_TRUE(is_probe_target(v4(198, 51, 100, 1, 1)));
}

}  // namespace
}  // namespace sudachi::client::p2p

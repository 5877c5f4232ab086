#include <gtest/gtest.h>

#include <array>
#include <vector>

#include "client/p2p/stun_binding.hpp"
#include "p2p_test_util.hpp"

namespace sudachi::client::p2p {
namespace {

using test::v4;

relay::stun::TransactionId tid(std::uint8_t fill) {
  relay::stun::TransactionId id;
  id.fill(fill);
  return id;
}

// What the relay would answer (its own encoder).
std::vector<std::uint8_t> answer(std::span<const std::uint8_t> request, const Endpoint& mapped) {
  relay::stun::BindingRequest parsed;
  EXPECT_EQ(relay::stun::parse_binding_request(request, parsed),
            relay::stun::Parse::binding_request);
  std::vector<std::uint8_t> out(relay::stun::kMaxResponseSize);
  out.resize(relay::stun::encode_binding_response(out, parsed, mapped, parsed.has_fingerprint));
  return out;
}

TEST(P2pStunBinding, RetransmitsWithBackoffUntilTheDeadline) {
  StunBinding b(v4(192, 0, 2, 10, 3478), tid(1), 1000, 100, 1500);
  std::array<std::uint8_t, 64> buf{};
  std::vector<std::int64_t> sent_at;
  for (std::int64_t t = 1000; t <= 3000; ++t) {
    if (b.poll_request(buf, t) > 0) sent_at.push_back(t);
  }
  EXPECT_EQ(sent_at, (std::vector<std::int64_t>{1000, 1100, 1300, 1700}));
  EXPECT_TRUE(b.timed_out(2500));
  EXPECT_FALSE(b.done());
}

TEST(P2pStunBinding, AcceptsOnlyItsOwnAnswerFromItsServer) {
  const Endpoint server = v4(192, 0, 2, 10, 3478);
  StunBinding b(server, tid(1), 0);
  std::array<std::uint8_t, 64> buf{};
  const std::size_t n = b.poll_request(buf, 0);
  ASSERT_EQ(n, 28u);  // with FINGERPRINT: the relay answers IPv6 clients within 2x
  const auto good = answer({buf.data(), n}, v4(203, 0, 113, 7, 40000));

  EXPECT_FALSE(b.on_datagram(v4(192, 0, 2, 11, 3478), good));  // another host
  EXPECT_FALSE(b.on_datagram(v4(192, 0, 2, 10, 3479), good));  // another port
  StunBinding other(server, tid(2), 0);
  std::array<std::uint8_t, 64> other_buf{};
  const auto foreign =
      answer({other_buf.data(), other.poll_request(other_buf, 0)}, v4(203, 0, 113, 7, 1));
  EXPECT_FALSE(b.on_datagram(server, foreign));  // another transaction
  auto truncated = good;
  truncated.resize(good.size() - 4);
  EXPECT_FALSE(b.on_datagram(server, truncated));
  EXPECT_FALSE(b.done());

  EXPECT_TRUE(b.on_datagram(server, good));
  ASSERT_TRUE(b.mapped());
  EXPECT_EQ(*b.mapped(), v4(203, 0, 113, 7, 40000));
  EXPECT_EQ(b.poll_request(buf, 5000), 0u);  // done: nothing more to send
}

TEST(P2pNatClassify, MappingBehaviours) {
  const Endpoint relay_a = v4(192, 0, 2, 10, 3478);
  const Endpoint relay_a2 = v4(192, 0, 2, 10, 3479);
  const Endpoint relay_b = v4(192, 0, 2, 20, 3478);
  const std::vector<Endpoint> local = {v4(10, 0, 0, 2, 0)};
  const Endpoint pub = v4(203, 0, 113, 1, 4000);
  const Endpoint pub2 = v4(203, 0, 113, 1, 4001);

  {  // nothing answered
    std::vector<NatObservation> o = {{relay_a, {}}, {relay_a2, {}}};
    auto v = classify_mapping(o, local, 4000);
    EXPECT_TRUE(v.udp_blocked);
    EXPECT_EQ(v.mapping, MappingBehavior::unknown);
  }
  {  // our own address and port: no NAT
    std::vector<NatObservation> o = {{relay_a, v4(10, 0, 0, 2, 4000)}};
    EXPECT_EQ(classify_mapping(o, local, 4000).mapping, MappingBehavior::none);
  }
  {  // one answer only: cannot tell
    std::vector<NatObservation> o = {{relay_a, pub}, {relay_a2, {}}};
    auto v = classify_mapping(o, local, 4000);
    EXPECT_FALSE(v.udp_blocked);
    EXPECT_EQ(v.mapping, MappingBehavior::unknown);
  }
  {  // same mapping to two ports of one IP
    std::vector<NatObservation> o = {{relay_a, pub}, {relay_a2, pub}};
    auto v = classify_mapping(o, local, 4000);
    EXPECT_EQ(v.mapping, MappingBehavior::endpoint_independent);
    EXPECT_FALSE(v.distinct_ips);
  }
  {  // a new mapping per port: symmetric
    std::vector<NatObservation> o = {{relay_a, pub}, {relay_a2, pub2}};
    EXPECT_EQ(classify_mapping(o, local, 4000).mapping,
              MappingBehavior::address_and_port_dependent);
  }
  {  // same per IP, different across IPs
    std::vector<NatObservation> o = {{relay_a, pub}, {relay_a2, pub}, {relay_b, pub2}};
    auto v = classify_mapping(o, local, 4000);
    EXPECT_EQ(v.mapping, MappingBehavior::address_dependent);
    EXPECT_TRUE(v.distinct_ips);
  }
}

}  // namespace
}  // namespace sudachi::client::p2p

#include <gtest/gtest.h>

#include <string>

#include "client/p2p/peer_network.hpp"
#include "client/p2p/signal_message.hpp"
#include "p2p_test_util.hpp"

namespace sudachi::client::p2p {
namespace {

using test::v4;

SignalMessage sample() {
  SignalMessage m;
  for (std::size_t i = 0; i < m.secret.size(); ++i) m.secret[i] = static_cast<std::uint8_t>(i * 7);
  m.tag = 0xfedcba9876543210ull;
  m.udp = false;
  m.primed = true;
  m.candidates = {
      {CandidateType::host, v4(10, 0, 0, 2, 4000), 2130706175u},
      {CandidateType::srflx, v4(203, 0, 113, 4, 4001), 1694498815u},
      {CandidateType::host, *parse_endpoint("2001:db8::2", 4000), 2113928959u},
  };
  return m;
}

TEST(P2pSignal, RoundTrip) {
  const std::string text = encode_signal(sample());
  auto back = decode_signal(text);
  ASSERT_TRUE(back);
  EXPECT_EQ(back->secret, sample().secret);
  EXPECT_EQ(back->tag, sample().tag);
  EXPECT_FALSE(back->udp);
  EXPECT_TRUE(back->primed);
  EXPECT_EQ(back->candidates, sample().candidates);
  // The tag travels as text: a JavaScript-side room server must not round it through a double.
  EXPECT_NE(text.find("\"tag\":\"fedcba9876543210\""), std::string::npos);
}

TEST(P2pSignal, FullSizeSignalFitsTheServerLimit) {
  SignalMessage m = sample();
  m.candidates.clear();
  for (std::uint16_t i = 0; i < kMaxRemoteCandidates; ++i)
    m.candidates.push_back({CandidateType::host,
                            *parse_endpoint("2001:db8:ffff:ffff:ffff:ffff:ffff:ffff", 65535 - i),
                            4294967295u});
  const std::string text = encode_signal(m);
  EXPECT_LT(text.size(), kMaxSignalPayload / 2);
  EXPECT_TRUE(decode_signal(text));
}

TEST(P2pSignal, HostileSignalsAreRejected) {
  const std::string good = encode_signal(sample());
  auto replaced = [&](const std::string& from, const std::string& to) {
    std::string s = good;
    const auto at = s.find(from);
    EXPECT_NE(at, std::string::npos) << from;
    s.replace(at, from.size(), to);
    return s;
  };
  EXPECT_FALSE(decode_signal(""));
  EXPECT_FALSE(decode_signal("[]"));
  EXPECT_FALSE(decode_signal("{\"v\":1}"));
  EXPECT_FALSE(decode_signal(replaced("\"v\":1", "\"v\":2")));
  EXPECT_FALSE(
      decode_signal(replaced("\"tag\":\"fedcba9876543210\"", "\"tag\":\"FEDCBA9876543210\"")));
  EXPECT_FALSE(decode_signal(replaced("\"tag\":\"fedcba9876543210\"", "\"tag\":\"fedcba98\"")));
  EXPECT_FALSE(decode_signal(replaced("\"udp\":false", "\"udp\":0")));
  EXPECT_FALSE(decode_signal(replaced("\"port\":4000", "\"port\":0")));
  EXPECT_FALSE(decode_signal(replaced("\"port\":4000", "\"port\":70000")));
  EXPECT_FALSE(decode_signal(replaced("\"port\":4000", "\"port\":-1")));
  EXPECT_FALSE(decode_signal(replaced("\"ip\":\"10.0.0.2\"", "\"ip\":\"example.com\"")));
  EXPECT_FALSE(decode_signal(replaced("\"type\":\"srflx\"", "\"type\":\"relay\"")));
  EXPECT_FALSE(decode_signal(replaced("\"priority\":2130706175", "\"priority\":4294967296")));
  EXPECT_FALSE(decode_signal(good + std::string(kMaxSignalPayload, ' ')));
  // Unknown fields are fine (a later version may add some).
  EXPECT_TRUE(decode_signal(replaced("\"v\":1", "\"v\":1,\"future\":{\"x\":[1,2]}")));

  SignalMessage too_many = sample();
  while (too_many.candidates.size() <= kMaxRemoteCandidates)
    too_many.candidates.push_back(too_many.candidates[0]);
  EXPECT_FALSE(decode_signal(encode_signal(too_many)));
}

}  // namespace
}  // namespace sudachi::client::p2p

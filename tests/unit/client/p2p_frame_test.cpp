#include <gtest/gtest.h>

#include <vector>

#include "client/p2p/frame.hpp"
#include "client/p2p/pair_auth.hpp"
#include "p2p_test_util.hpp"

namespace sudachi::client::p2p {
namespace {

using test::v4;

Secret secret(std::uint8_t fill) {
  Secret s;
  s.fill(fill);
  return s;
}

TEST(P2pPairKey, BothSidesDeriveTheSameKeyAndEveryInputMatters) {
  const PairKey ab = derive_pair_key("alice", secret(1), "bob", secret(2));
  const PairKey ba = derive_pair_key("bob", secret(2), "alice", secret(1));
  EXPECT_EQ(ab, ba);
  EXPECT_NE(ab, derive_pair_key("alice", secret(1), "bob", secret(3)));
  EXPECT_NE(ab, derive_pair_key("alice", secret(9), "bob", secret(2)));
  EXPECT_NE(ab, derive_pair_key("alice", secret(1), "carol", secret(2)));
  // Swapping the secrets between the ids is another key.
  EXPECT_NE(ab, derive_pair_key("alice", secret(2), "bob", secret(1)));
}

class P2pFrame : public ::testing::Test {
 protected:
  PairKey key_ = derive_pair_key("a", secret(1), "b", secret(2));
  frame::Check sample() {
    frame::Check c;
    c.ack = true;
    c.from_controlling = true;
    c.nominate = true;
    c.receiver_tag = 0x0102030405060708ull;
    c.seq = 77;
    c.echo = 76;
    c.address = v4(203, 0, 113, 5, 40000);
    return c;
  }
};

TEST_F(P2pFrame, CheckRoundTrip) {
  std::uint8_t buf[frame::kCheckSize];
  ASSERT_EQ(frame::encode_check(buf, sample(), key_), frame::kCheckSize);
  frame::Check out;
  ASSERT_EQ(frame::parse_check(buf, key_, out), frame::CheckParse::ok);
  EXPECT_TRUE(out.ack);
  EXPECT_TRUE(out.from_controlling);
  EXPECT_TRUE(out.nominate);
  EXPECT_EQ(out.receiver_tag, 0x0102030405060708ull);
  EXPECT_EQ(out.seq, 77u);
  EXPECT_EQ(out.echo, 76u);
  EXPECT_EQ(out.address, v4(203, 0, 113, 5, 40000));
  auto header = frame::peek(buf);
  ASSERT_TRUE(header);
  EXPECT_EQ(header->type, frame::Type::check_ack);
  EXPECT_EQ(header->tag, 0x0102030405060708ull);
  std::uint8_t small[10];
  EXPECT_EQ(frame::encode_check(small, sample(), key_), 0u);
}

TEST_F(P2pFrame, EveryAlteredByteIsRejected) {
  std::uint8_t good[frame::kCheckSize];
  frame::encode_check(good, sample(), key_);
  for (std::size_t i = 0; i < frame::kCheckSize; ++i) {
    std::uint8_t bad[frame::kCheckSize];
    std::copy(std::begin(good), std::end(good), bad);
    bad[i] ^= 0x40;
    frame::Check out;
    EXPECT_NE(frame::parse_check(bad, key_, out), frame::CheckParse::ok) << "byte " << i;
  }
}

TEST_F(P2pFrame, ForgedWithAnotherKeyOrTruncatedIsRejected) {
  const PairKey other = derive_pair_key("a", secret(1), "b", secret(3));
  std::uint8_t buf[frame::kCheckSize];
  frame::encode_check(buf, sample(), other);
  frame::Check out;
  EXPECT_EQ(frame::parse_check(buf, key_, out), frame::CheckParse::bad_mac);
  frame::encode_check(buf, sample(), key_);
  EXPECT_EQ(frame::parse_check({buf, frame::kCheckSize - 1}, key_, out),
            frame::CheckParse::malformed);
  std::vector<std::uint8_t> longer(buf, buf + frame::kCheckSize);
  longer.push_back(0);
  EXPECT_EQ(frame::parse_check(longer, key_, out), frame::CheckParse::malformed);
  EXPECT_FALSE(frame::peek({buf, 5}));
  buf[0] = 0x90;  // unknown peer-frame type
  EXPECT_FALSE(frame::peek(buf));
}

TEST_F(P2pFrame, FramesAreDistinguishableFromStunAndRelay) {
  EXPECT_TRUE(frame::is_peer_frame(0x80));
  EXPECT_TRUE(frame::is_peer_frame(0x82));
  EXPECT_FALSE(frame::is_peer_frame(0x00));  // STUN
  EXPECT_FALSE(frame::is_peer_frame(0x01));
  EXPECT_FALSE(frame::is_peer_frame(0xC0));  // relay DATA
  EXPECT_FALSE(frame::is_peer_frame(0xC2));
}

TEST(P2pReplayWindow, AcceptsEachSequenceOnce) {
  frame::ReplayWindow w;
  EXPECT_FALSE(w.accept(0));
  EXPECT_TRUE(w.accept(1));
  EXPECT_FALSE(w.accept(1));
  EXPECT_TRUE(w.accept(5));
  EXPECT_TRUE(w.accept(3));  // reordered but new
  EXPECT_FALSE(w.accept(3));
  EXPECT_TRUE(w.accept(2));
  EXPECT_TRUE(w.accept(4));
  EXPECT_FALSE(w.accept(5));
}

TEST(P2pReplayWindow, OldNumbersAreRefusedAndSlotsAreReused) {
  frame::ReplayWindow w;
  EXPECT_TRUE(w.accept(10));
  EXPECT_TRUE(w.accept(10 + frame::ReplayWindow::kSize));  // slides a full turn
  EXPECT_FALSE(w.accept(10));                              // too old to tell: refused
  EXPECT_TRUE(w.accept(9 + frame::ReplayWindow::kSize));   // within the window, unseen
  // A slot reused by a newer number does not make the older one acceptable again.
  frame::ReplayWindow v;
  for (std::uint64_t s = 1; s <= 300; ++s) ASSERT_TRUE(v.accept(s));
  for (std::uint64_t s = 1; s <= 300; ++s) EXPECT_FALSE(v.accept(s)) << s;
  EXPECT_TRUE(v.accept(302));
  EXPECT_TRUE(v.accept(301));
}

}  // namespace
}  // namespace sudachi::client::p2p

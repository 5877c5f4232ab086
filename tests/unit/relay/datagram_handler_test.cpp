#include <gtest/gtest.h>

#include <array>
#include <atomic>
#include <string>
#include <vector>

#include "relay/datagram_handler.hpp"
#include "relay/stun.hpp"

namespace sudachi::relay {
namespace {

using wire::Status;

constexpr std::int64_t kNowUnix = 1'700'000'000'000;

Endpoint ep(std::uint16_t port) {
  Endpoint e;
  e.family = 4;
  e.port = port;
  e.addr = {127, 0, 0, 1};
  return e;
}

// One worker of `workers`, with the real keyring and table; datagrams in, sends out.
class HandlerTest : public ::testing::Test {
 protected:
  explicit HandlerTest(std::size_t index = 0, std::vector<std::uint16_t> ports = {5000})
      : table_(SessionLimits{1000, 5000, 0}, budget_),
        handler_(WorkerIdentity{index, std::move(ports), "local"}, keyring_, table_, limiter_,
                 stats_, draining_) {}

  std::string token(std::uint8_t slot, const std::string& client,
                    std::int64_t expires = kNowUnix + 60'000, const std::string& relay = "local",
                    std::uint8_t session = 1) {
    auth::RelayTokenClaims c;
    c.session_id[0] = session;
    c.session_id[15] = 0x5a;
    c.slot = slot;
    c.client_id = client;
    c.relay_id = relay;
    c.expires_at_ms = expires;
    return keyring_.mint(c).value();
  }

  // Sends one datagram; returns the sends as (destination, bytes).
  std::vector<std::pair<Endpoint, std::vector<std::uint8_t>>> send(std::vector<std::uint8_t> d,
                                                                   const Endpoint& from,
                                                                   std::int64_t now = 0) {
    DatagramHandler::Actions actions;
    handler_.on_datagram(d, false, from, now, kNowUnix, scratch_, actions);
    std::vector<std::pair<Endpoint, std::vector<std::uint8_t>>> out;
    for (std::size_t i = 0; i < actions.count; ++i) {
      const auto& s = actions.sends[i];
      out.emplace_back(s.to, std::vector<std::uint8_t>(s.data, s.data + s.size));
    }
    return out;
  }

  std::vector<std::uint8_t> hello(const std::string& tok, std::uint64_t key = 0) {
    std::vector<std::uint8_t> d(600);
    d.resize(wire::encode_hello(d, tok, key));
    return d;
  }

  wire::HelloReply reply_of(const std::vector<std::uint8_t>& bytes) {
    wire::HelloReply r;
    EXPECT_TRUE(wire::parse_hello_reply(bytes, r));
    return r;
  }

  std::uint64_t drops(Drop d) const { return stats_.drops[static_cast<std::size_t>(d)].get(); }

  auth::RelayTokenKeyring keyring_{{{"k1", "0123456789abcdef0123456789abcdef"}}, "k1"};
  SessionBudget budget_{100};
  SessionTable table_;
  IpRateLimiter limiter_{0, 0};
  WorkerStats stats_;
  std::atomic<bool> draining_{false};
  DatagramHandler handler_;
  std::array<std::uint8_t, DatagramHandler::kScratchSize> scratch_{};
};

TEST_F(HandlerTest, PairsAndForwardsDataUnchanged) {
  auto a = send(hello(token(0, "alice")), ep(1000));
  ASSERT_EQ(a.size(), 1u);
  EXPECT_EQ(a[0].first, ep(1000));
  EXPECT_EQ(a[0].second.size(), wire::kHelloReplySize);
  auto ra = reply_of(a[0].second);
  EXPECT_EQ(ra.status, Status::ok);
  EXPECT_EQ(ra.data_port, 5000);
  EXPECT_FALSE(ra.peer_bound);
  EXPECT_EQ(ra.idle_timeout_s, 5);

  auto b = send(hello(token(1, "bob")), ep(2000));
  ASSERT_EQ(b.size(), 2u);  // OK to bob, PEER_JOINED to alice
  EXPECT_TRUE(reply_of(b[0].second).peer_bound);
  EXPECT_EQ(b[1].first, ep(1000));
  EXPECT_EQ(b[1].second, (std::vector<std::uint8_t>{0xC6, 1, 0, 0}));

  std::vector<std::uint8_t> data = {0xC0, 0, 0, 0, 'h', 'i'};
  auto f = send(data, ep(1000));
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].first, ep(2000));
  EXPECT_EQ(f[0].second, data);
  EXPECT_EQ(stats_.relayed_bytes.get(), data.size());
}

TEST_F(HandlerTest, DropsUnboundSpoofedTruncatedOversized) {
  send(hello(token(0, "alice")), ep(1000));
  send(hello(token(1, "bob")), ep(2000));
  EXPECT_TRUE(send({0xC0, 0, 0, 0, 1}, ep(1001)).empty());  // spoofed port
  EXPECT_EQ(drops(Drop::unbound_source), 1u);
  EXPECT_TRUE(send({0xC0, 0}, ep(1000)).empty());
  EXPECT_EQ(drops(Drop::truncated), 1u);
  EXPECT_TRUE(send(std::vector<std::uint8_t>(wire::kMaxDatagram + 1, 0xC0), ep(1000)).empty());
  EXPECT_EQ(drops(Drop::oversized), 1u);
  EXPECT_TRUE(send({0x42, 0, 0, 0}, ep(1000)).empty());
  EXPECT_TRUE(send({}, ep(1000)).empty());
}

TEST_F(HandlerTest, NoReplyLargerThanTheRequest) {
  auto d = hello(token(0, "alice"));
  d.resize(40);  // a cut-off HELLO below the minimum size: silence
  EXPECT_TRUE(send(d, ep(1000)).empty());
  std::vector<std::uint8_t> junk(64, 0);
  junk[0] = 0xC1;  // HELLO type, bad magic
  auto r = send(junk, ep(1000));
  ASSERT_EQ(r.size(), 1u);
  EXPECT_LE(r[0].second.size(), junk.size());
  EXPECT_EQ(reply_of(r[0].second).status, Status::malformed);
}

TEST_F(HandlerTest, TokenStatuses) {
  auto status = [&](const std::string& tok, std::uint16_t port) {
    return reply_of(send(hello(tok), ep(port))[0].second).status;
  };
  std::string bad = token(0, "alice");
  bad[bad.size() - 2] = bad[bad.size() - 2] == 'A' ? 'B' : 'A';
  EXPECT_EQ(status(bad, 1000), Status::invalid_token);
  EXPECT_EQ(status(token(0, "alice", kNowUnix - 1), 1000), Status::expired);
  EXPECT_EQ(status(token(0, "alice", kNowUnix + 1000, "elsewhere"), 1000), Status::wrong_relay);
  EXPECT_EQ(status("not a token at all", 1000), Status::invalid_token);
  EXPECT_EQ(status(token(0, "alice"), 1000), Status::ok);
  EXPECT_EQ(status(token(0, "alice"), 1001), Status::session_full);    // replayed from elsewhere
  EXPECT_EQ(status(token(0, "mallory"), 1002), Status::session_full);  // third peer
}

TEST_F(HandlerTest, RebindAfterNatChange) {
  const auto tok = token(0, "alice");
  const auto key = reply_of(send(hello(tok), ep(1000))[0].second).rebind_key;
  send(hello(token(1, "bob")), ep(2000));
  auto r = send(hello(tok, key), ep(1111));
  EXPECT_EQ(reply_of(r[0].second).status, Status::ok);
  auto f = send({0xC0, 0, 0, 0, 7}, ep(2000));
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].first, ep(1111));
  EXPECT_TRUE(send({0xC0, 0, 0, 0, 7}, ep(1000)).empty());  // the old address is unbound
}

TEST_F(HandlerTest, KeepaliveEchoesAndByeCloses) {
  send(hello(token(0, "alice")), ep(1000));
  send(hello(token(1, "bob")), ep(2000));
  auto k = send({0xC3, 0, 0, 0, 9, 9}, ep(1000));
  ASSERT_EQ(k.size(), 1u);
  EXPECT_EQ(k[0].second, (std::vector<std::uint8_t>{0xC4, 0, 0, 0, 9, 9}));
  EXPECT_TRUE(send({0xC3, 0, 0, 0}, ep(3000)).empty());  // unbound: no echo
  auto bye = send({0xC5, 0, 0, 0}, ep(1000));
  ASSERT_EQ(bye.size(), 1u);
  EXPECT_EQ(bye[0].first, ep(2000));
  EXPECT_EQ(bye[0].second, (std::vector<std::uint8_t>{0xC6, 2, 3, 0}));
  EXPECT_EQ(table_.size(), 0u);
}

TEST_F(HandlerTest, AnswersStunWithinTwiceTheRequest) {
  std::vector<std::uint8_t> req(20);
  const stun::TransactionId tid{9, 8, 7, 6, 5, 4, 3, 2, 1, 0, 1, 2};
  stun::encode_binding_request(req, tid, false);
  auto r = send(req, ep(4242));
  ASSERT_EQ(r.size(), 1u);
  EXPECT_LE(r[0].second.size(), 2 * req.size());
  Endpoint mapped;
  ASSERT_TRUE(stun::parse_binding_response(r[0].second, tid, mapped));
  EXPECT_EQ(mapped, ep(4242));

  Endpoint v6;
  v6.family = 6;
  v6.port = 1;
  v6.addr[15] = 1;
  EXPECT_TRUE(send(req, v6).empty());  // 44 bytes would exceed 40
  std::vector<std::uint8_t> padded(28);
  stun::encode_binding_request(padded, tid, true);
  EXPECT_EQ(send(padded, v6).size(), 1u);
}

TEST(HandlerBandwidth, DatagramsOverTheSessionLimitAreDropped) {
  auth::RelayTokenKeyring keyring{{{"k1", "0123456789abcdef0123456789abcdef"}}, "k1"};
  SessionBudget budget{10};
  SessionTable table{SessionLimits{1000, 5000, 8000}, budget};  // 8 kB/s, burst 64 KiB
  IpRateLimiter limiter{0, 0};
  WorkerStats stats;
  std::atomic<bool> draining{false};
  DatagramHandler handler{
      WorkerIdentity{0, {5000}, "local"}, keyring, table, limiter, stats, draining};
  std::array<std::uint8_t, DatagramHandler::kScratchSize> scratch{};
  auto hello_from = [&](std::uint8_t slot, const char* client, std::uint16_t port) {
    auth::RelayTokenClaims c;
    c.slot = slot;
    c.client_id = client;
    c.relay_id = "local";
    c.expires_at_ms = kNowUnix + 60'000;
    std::vector<std::uint8_t> d(600);
    d.resize(wire::encode_hello(d, keyring.mint(c).value(), 0));
    DatagramHandler::Actions actions;
    handler.on_datagram(d, false, ep(port), 0, kNowUnix, scratch, actions);
  };
  hello_from(0, "alice", 1000);
  hello_from(1, "bob", 2000);
  std::vector<std::uint8_t> data(1000, 0);
  data[0] = 0xC0;
  int forwarded = 0;
  for (int i = 0; i < 100; ++i) {  // 100 kB at one instant: only the 64 KiB burst passes
    DatagramHandler::Actions actions;
    handler.on_datagram(data, false, ep(1000), 0, kNowUnix, scratch, actions);
    forwarded += static_cast<int>(actions.count);
  }
  EXPECT_EQ(forwarded, 65);
  EXPECT_EQ(stats.drops[static_cast<std::size_t>(Drop::bandwidth)].get(), 35u);
  DatagramHandler::Actions later;
  handler.on_datagram(data, false, ep(1000), 1000, kNowUnix, scratch, later);  // 1 s: 8 kB refilled
  EXPECT_EQ(later.count, 1u);
}

class RedirectTest : public HandlerTest {
 protected:
  RedirectTest() : HandlerTest(0, {5000, 5001, 5002, 5003}) {}
};

TEST_F(RedirectTest, HelloOnTheWrongWorkerIsRedirected) {
  // Session 1's first byte is 1: with these bytes the owner is worker get_u64(id) % 4.
  auth::RelayTokenClaims probe;
  probe.session_id[0] = 1;
  probe.session_id[15] = 0x5a;
  const std::size_t owner = owner_worker(probe.session_id, 4);
  auto r = reply_of(send(hello(token(0, "alice")), ep(1000))[0].second);
  if (owner == 0) {
    EXPECT_EQ(r.status, Status::ok);
  } else {
    EXPECT_EQ(r.status, Status::redirect);
    EXPECT_EQ(r.data_port, 5000 + owner);
    EXPECT_EQ(table_.size(), 0u);  // nothing bound here
  }
}

}  // namespace
}  // namespace sudachi::relay

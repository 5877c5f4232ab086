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
constexpr std::uint16_t kMainPort = 5000;

Endpoint ep(std::uint16_t port, std::uint8_t last = 1) {
  Endpoint e;
  e.family = 4;
  e.port = port;
  e.addr = {127, 0, 0, last};
  return e;
}

Endpoint v4(std::uint8_t a, std::uint8_t b, std::uint8_t c, std::uint8_t d, std::uint16_t port) {
  Endpoint e;
  e.family = 4;
  e.port = port;
  e.addr = {a, b, c, d};
  return e;
}

using Sends = std::vector<std::pair<Endpoint, std::vector<std::uint8_t>>>;

SourceFilter::Config own_ports(const std::vector<std::uint16_t>& ports) {
  SourceFilter::Config c;
  c.own_ports = ports;
  return c;
}

// One worker of `ports.size()`, with the real keyring, cookies and table; datagrams in, sends
// out. The cookie key is fixed, so every run computes the same cookies.
class HandlerTest : public ::testing::Test {
 protected:
  explicit HandlerTest(std::size_t index = 0, std::vector<std::uint16_t> ports = {kMainPort},
                       std::uint32_t max_slots_per_ip = 0, std::uint32_t max_waiting_per_ip = 0)
      : ip_limits_(max_slots_per_ip, max_waiting_per_ip),
        sources_(own_ports(ports)),
        table_(SessionLimits{1000, 5000, 0}, budget_, &ip_limits_),
        handler_(WorkerIdentity{index, std::move(ports), "local"}, keyring_, cookies_, sources_,
                 table_, limiter_, stats_, draining_) {}

  std::string token(std::uint8_t slot, const std::string& client,
                    std::int64_t expires = kNowUnix + 60'000, const std::string& relay = "local",
                    std::uint8_t session = 1, std::uint8_t owner_byte = 0) {
    auth::RelayTokenClaims c;
    c.session_id[0] = session;
    c.session_id[7] = owner_byte;  // owner_worker() reads the first 8 bytes as a number
    c.session_id[15] = 0x5a;
    c.slot = slot;
    c.client_id = client;
    c.relay_id = relay;
    c.expires_at_ms = expires;
    return keyring_.mint(c).value();
  }

  // Sends one datagram; returns the sends as (destination, bytes).
  Sends send(std::vector<std::uint8_t> d, const Endpoint& from, std::int64_t now = 0) {
    DatagramHandler::Actions actions;
    handler_.on_datagram(d, false, from, now, kNowUnix, scratch_, actions);
    Sends out;
    for (std::size_t i = 0; i < actions.count; ++i) {
      const auto& s = actions.sends[i];
      out.emplace_back(s.to, std::vector<std::uint8_t>(s.data, s.data + s.size));
    }
    return out;
  }

  static std::vector<std::uint8_t> hello(const std::string& tok, std::uint64_t key = 0,
                                         std::uint64_t cookie = 0) {
    std::vector<std::uint8_t> d(wire::kMaxUdpHello);
    d.resize(wire::encode_udp_hello(d, tok, key, cookie));
    return d;
  }

  static wire::HelloReply reply_of(const std::vector<std::uint8_t>& bytes) {
    wire::HelloReply r;
    EXPECT_TRUE(wire::parse_hello_reply(bytes, r));
    return r;
  }

  // The whole UDP handshake at the data port: HELLO, COOKIE, HELLO with the cookie. Returns
  // the sends caused by the second HELLO (the reply first).
  Sends handshake(const std::string& tok, const Endpoint& from, std::uint64_t key = 0,
                  std::int64_t now = 0) {
    const std::size_t sessions = table_.size();
    auto first = send(hello(tok, key), from, now);
    EXPECT_EQ(first.size(), 1u);
    if (first.size() != 1) return first;
    const auto r = reply_of(first[0].second);
    if (r.status != Status::cookie) return first;  // refused before the cookie step
    EXPECT_EQ(first[0].first, from);
    EXPECT_NE(r.rebind_key, 0u);
    EXPECT_EQ(table_.size(), sessions) << "state created before the cookie came back";
    return send(hello(tok, key, r.rebind_key), from, now);
  }

  Status status_of(const std::string& tok, const Endpoint& from, std::uint64_t key = 0) {
    const auto sends = handshake(tok, from, key);
    return sends.empty() ? Status::malformed : reply_of(sends[0].second).status;
  }

  std::uint64_t drops(Drop d) const { return stats_.drops[static_cast<std::size_t>(d)].get(); }
  std::uint64_t handshakes(Status s) const {
    return stats_.handshakes[0][static_cast<std::size_t>(s)].get();
  }

  auth::RelayTokenKeyring keyring_{{{"k1", "0123456789abcdef0123456789abcdef"}}, "k1"};
  AddressCookies cookies_{AddressCookies::Key{1, 2, 3, 4, 5, 6, 7, 8}};
  IpSessionLimits ip_limits_;
  SourceFilter sources_;
  SessionBudget budget_{100};
  SessionTable table_;
  IpRateLimiter limiter_{0, 0};
  WorkerStats stats_;
  std::atomic<bool> draining_{false};
  DatagramHandler handler_;
  std::array<std::uint8_t, DatagramHandler::kScratchSize> scratch_{};
};

TEST_F(HandlerTest, PairsAndForwardsDataUnchanged) {
  auto a = handshake(token(0, "alice"), ep(1000));
  ASSERT_EQ(a.size(), 1u);
  EXPECT_EQ(a[0].first, ep(1000));
  EXPECT_EQ(a[0].second.size(), wire::kHelloReplySize);
  auto ra = reply_of(a[0].second);
  EXPECT_EQ(ra.status, Status::ok);
  EXPECT_EQ(ra.data_port, kMainPort);
  EXPECT_FALSE(ra.peer_bound);
  EXPECT_EQ(ra.idle_timeout_s, 5);

  auto b = handshake(token(1, "bob"), ep(2000));
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
  EXPECT_EQ(handshakes(Status::cookie), 2u);
  EXPECT_EQ(handshakes(Status::ok), 2u);
}

// A HELLO "from" a victim that never saw the cookie: one reply no larger than the HELLO goes
// there, and nothing else ever does.
TEST_F(HandlerTest, HelloWithoutCookieBindsNothingAndForwardsNothing) {
  const Endpoint victim = v4(192, 0, 2, 77, 4444);
  const auto spoofed = hello(token(0, "alice"));
  auto r = send(spoofed, victim);
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].first, victim);
  EXPECT_LE(r[0].second.size(), spoofed.size());
  const auto cookie_reply = reply_of(r[0].second);
  EXPECT_EQ(cookie_reply.status, Status::cookie);
  EXPECT_EQ(cookie_reply.data_port, 0);
  EXPECT_EQ(table_.size(), 0u);

  // Bob binds for real; his data has nowhere to go.
  ASSERT_EQ(reply_of(handshake(token(1, "bob"), ep(2000))[0].second).status, Status::ok);
  for (int i = 0; i < 10; ++i) EXPECT_TRUE(send({0xC0, 0, 0, 0, 1, 2}, ep(2000)).empty());
  EXPECT_EQ(drops(Drop::no_peer), 10u);

  // Wrong cookies change nothing: zero, one made for another address, or for another port.
  const auto for_other_port = cookies_.make(victim, kMainPort + 1, 0);
  const auto for_other_ip = cookies_.make(ep(4444), kMainPort, 0);
  for (const std::uint64_t bad : {std::uint64_t{0}, for_other_port, for_other_ip}) {
    auto again = send(hello(token(0, "alice"), 0, bad), victim);
    ASSERT_EQ(again.size(), 1u);
    EXPECT_EQ(reply_of(again[0].second).status, Status::cookie);
  }
  EXPECT_FALSE(table_.find(ep(2000)).session->paired());
  EXPECT_EQ(table_.find(victim).session, nullptr);
}

TEST_F(HandlerTest, CookieIsValidForTwoEpochsOnly) {
  const auto tok = token(0, "alice");
  auto first = send(hello(tok), ep(1000), 0);
  const auto cookie = reply_of(first[0].second).rebind_key;
  // Epoch 0 -> still good through the end of epoch 1.
  auto late = send(hello(tok, 0, cookie), ep(1000), 2 * AddressCookies::kEpochMs - 1);
  EXPECT_EQ(reply_of(late[0].second).status, Status::ok);
  auto retransmit = send(hello(tok, 0, cookie), ep(1000), 2 * AddressCookies::kEpochMs);
  EXPECT_EQ(reply_of(retransmit[0].second).status, Status::cookie);
  EXPECT_NE(reply_of(retransmit[0].second).rebind_key, cookie);
}

TEST_F(HandlerTest, RetransmissionsAndRebindsNeedTheCookieToo) {
  const auto tok = token(0, "alice");
  const auto key = reply_of(handshake(tok, ep(1000))[0].second).rebind_key;
  handshake(token(1, "bob"), ep(2000));
  // The same address without its cookie: asked again, still bound.
  auto plain = send(hello(tok), ep(1000));
  ASSERT_EQ(plain.size(), 1u);
  EXPECT_EQ(reply_of(plain[0].second).status, Status::cookie);
  EXPECT_EQ(table_.find(ep(1000)).slot, 0);
  const auto again = reply_of(handshake(tok, ep(1000))[0].second);
  EXPECT_EQ(again.status, Status::ok);
  EXPECT_EQ(again.rebind_key, key);
  // A re-bind with the right key but without the cookie of the new address moves nothing.
  auto moved = send(hello(tok, key), ep(1111));
  EXPECT_EQ(reply_of(moved[0].second).status, Status::cookie);
  EXPECT_EQ(table_.find(ep(1000)).slot, 0);
  EXPECT_EQ(table_.find(ep(1111)).session, nullptr);
  EXPECT_EQ(reply_of(handshake(tok, ep(1111), key)[0].second).status, Status::ok);
  EXPECT_EQ(table_.find(ep(1000)).session, nullptr);
}

// Every check that needs no state comes before the cookie: a refusal never costs two rounds.
TEST_F(HandlerTest, RefusalsComeBeforeTheCookie) {
  std::vector<std::uint8_t> junk(64, 0);
  junk[0] = 0xC1;  // HELLO type, bad magic
  EXPECT_EQ(reply_of(send(junk, ep(1000))[0].second).status, Status::malformed);
  auto future = hello(token(0, "alice"));
  future[1] = 2;
  EXPECT_EQ(reply_of(send(future, ep(1000))[0].second).status, Status::unsupported_version);
  std::string bad = token(0, "alice");
  bad[bad.size() - 2] = bad[bad.size() - 2] == 'A' ? 'B' : 'A';
  EXPECT_EQ(reply_of(send(hello(bad), ep(1000))[0].second).status, Status::invalid_token);
  EXPECT_EQ(reply_of(send(hello(token(0, "a", kNowUnix - 1)), ep(1000))[0].second).status,
            Status::expired);
  EXPECT_EQ(
      reply_of(send(hello(token(0, "a", kNowUnix + 1000, "elsewhere")), ep(1000))[0].second).status,
      Status::wrong_relay);
  EXPECT_EQ(handshakes(Status::cookie), 0u);
}

TEST_F(HandlerTest, DropsUnboundSpoofedTruncatedOversized) {
  handshake(token(0, "alice"), ep(1000));
  handshake(token(1, "bob"), ep(2000));
  EXPECT_TRUE(send({0xC0, 0, 0, 0, 1}, ep(1001)).empty());  // spoofed port
  EXPECT_EQ(drops(Drop::unbound_source), 1u);
  EXPECT_TRUE(send({0xC0, 0}, ep(1000)).empty());
  EXPECT_EQ(drops(Drop::truncated), 1u);
  EXPECT_TRUE(send(std::vector<std::uint8_t>(wire::kMaxDatagram + 1, 0xC0), ep(1000)).empty());
  EXPECT_EQ(drops(Drop::oversized), 1u);
  EXPECT_TRUE(send({0x42, 0, 0, 0}, ep(1000)).empty());
  EXPECT_TRUE(send({}, ep(1000)).empty());
}

// Port 0, unspecified, multicast, broadcast, reserved, and the relay's own ports on a local
// address: no reply of any kind, no state, counted.
TEST_F(HandlerTest, DatagramsFromImpossibleSourcesAreDroppedSilently) {
  std::vector<std::uint8_t> stun_request(20);
  stun::encode_binding_request(stun_request, stun::TransactionId{1, 2, 3}, false);
  Endpoint v6_unspecified;
  v6_unspecified.family = 6;
  v6_unspecified.port = 1000;
  Endpoint v6_multicast = v6_unspecified;
  v6_multicast.addr[0] = 0xff;
  v6_multicast.addr[1] = 0x02;
  v6_multicast.addr[15] = 1;
  const std::vector<Endpoint> impossible = {
      ep(0),                         // port 0
      v4(0, 0, 0, 0, 1000),          // unspecified
      v4(0, 1, 2, 3, 1000),          // "this network"
      v4(224, 0, 0, 1, 1000),        // multicast
      v4(239, 255, 255, 250, 1900),  // multicast (SSDP)
      v4(255, 255, 255, 255, 1000),  // limited broadcast
      v4(240, 0, 0, 1, 1000),        // reserved
      v6_unspecified,
      v6_multicast,
      ep(kMainPort),     // the relay itself
      ep(kMainPort, 9),  // any loopback address is this host
  };
  const auto tok = token(0, "alice");
  std::size_t n = 0;
  for (const Endpoint& from : impossible) {
    // Even with the cookie that address would get: it never gets one, but the drop must not
    // depend on that.
    const auto cookie = cookies_.make(from, kMainPort, 0);
    EXPECT_TRUE(send(hello(tok, 0, cookie), from).empty()) << from.to_string();
    EXPECT_TRUE(send(stun_request, from).empty()) << from.to_string();
    EXPECT_TRUE(send({0xC3, 0, 0, 0}, from).empty()) << from.to_string();
    n += 3;
  }
  EXPECT_EQ(drops(Drop::bad_source), n);
  EXPECT_EQ(table_.size(), 0u);
  // A loopback peer on another port, and the relay's port number on a remote host, are fine.
  EXPECT_EQ(status_of(tok, ep(kMainPort + 7)), Status::ok);
  EXPECT_EQ(status_of(token(1, "bob"), v4(192, 0, 2, 1, kMainPort)), Status::ok);
}

// The loop of the issue: two slots bound to the relay's own ports forward to each other for
// ever. Neither can bind, whatever the HELLO carries.
TEST(HandlerSelfLoop, SlotsCanNeverBindTheRelaysOwnPorts) {
  auth::RelayTokenKeyring keyring{{{"k1", "0123456789abcdef0123456789abcdef"}}, "k1"};
  const AddressCookies cookies{AddressCookies::Key{9}};
  SourceFilter::Config config = own_ports({kMainPort, kMainPort + 1});
  config.local_addresses.push_back(v4(192, 0, 2, 10, 0));  // an interface address
  const SourceFilter sources{config};
  SessionBudget budget{10};
  SessionTable table{SessionLimits{}, budget};
  IpRateLimiter limiter{0, 0};
  WorkerStats stats;
  std::atomic<bool> draining{false};
  DatagramHandler handler{WorkerIdentity{0, {kMainPort, kMainPort + 1}, "local"},
                          keyring,
                          cookies,
                          sources,
                          table,
                          limiter,
                          stats,
                          draining};
  std::array<std::uint8_t, DatagramHandler::kScratchSize> scratch{};
  auth::RelayTokenClaims c;
  c.relay_id = "local";
  c.expires_at_ms = kNowUnix + 60'000;
  for (const Endpoint& self : {ep(kMainPort), ep(kMainPort + 1), v4(192, 0, 2, 10, kMainPort),
                               v4(192, 0, 2, 10, kMainPort + 1)}) {
    for (std::uint8_t slot = 0; slot < 2; ++slot) {
      c.slot = slot;
      c.client_id = slot == 0 ? "a" : "b";
      std::vector<std::uint8_t> d(wire::kMaxUdpHello);
      d.resize(
          wire::encode_udp_hello(d, keyring.mint(c).value(), 0, cookies.make(self, kMainPort, 0)));
      DatagramHandler::Actions actions;
      handler.on_datagram(d, false, self, 0, kNowUnix, scratch, actions);
      EXPECT_EQ(actions.count, 0u) << self.to_string();
    }
  }
  EXPECT_EQ(table.size(), 0u);
  EXPECT_EQ(stats.drops[static_cast<std::size_t>(Drop::bad_source)].get(), 8u);
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
  // The smallest HELLO that asks for a cookie gets a smaller answer.
  auto shortest = hello("t");
  ASSERT_EQ(shortest.size(), wire::kMinUdpHello);
  auto c = send(shortest, ep(1000));
  ASSERT_EQ(c.size(), 1u);
  EXPECT_LE(c[0].second.size(), shortest.size());
}

TEST_F(HandlerTest, TokenStatuses) {
  EXPECT_EQ(status_of(token(0, "alice"), ep(1000)), Status::ok);
  EXPECT_EQ(status_of(token(0, "alice"), ep(1001)), Status::session_full);    // replayed
  EXPECT_EQ(status_of(token(0, "mallory"), ep(1002)), Status::session_full);  // third peer
  EXPECT_EQ(status_of(token(1, "bob"), ep(1000)), Status::address_in_use);
}

TEST_F(HandlerTest, RebindAfterNatChange) {
  const auto tok = token(0, "alice");
  const auto key = reply_of(handshake(tok, ep(1000))[0].second).rebind_key;
  handshake(token(1, "bob"), ep(2000));
  auto r = handshake(tok, ep(1111), key);
  EXPECT_EQ(reply_of(r[0].second).status, Status::ok);
  auto f = send({0xC0, 0, 0, 0, 7}, ep(2000));
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].first, ep(1111));
  EXPECT_TRUE(send({0xC0, 0, 0, 0, 7}, ep(1000)).empty());  // the old address is unbound
}

TEST_F(HandlerTest, KeepaliveEchoesAndByeCloses) {
  handshake(token(0, "alice"), ep(1000));
  handshake(token(1, "bob"), ep(2000));
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

// Only DATA moves the data clock: keepalives keep the idle timeout away, not this one.
TEST_F(HandlerTest, OnlyDataCountsAsData) {
  handshake(token(0, "alice"), ep(1000), 0, 100);
  handshake(token(1, "bob"), ep(2000), 0, 200);
  Session* s = table_.find(ep(1000)).session;
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(s->last_data_ms, 200);  // from the pairing on
  send({0xC3, 0, 0, 0}, ep(1000), 300);
  EXPECT_EQ(s->last_activity_ms, 300);
  EXPECT_EQ(s->last_data_ms, 200);
  send({0xC0, 0, 0, 0, 1}, ep(2000), 400);
  EXPECT_EQ(s->last_data_ms, 400);
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

class IpCapTest : public HandlerTest {
 protected:
  IpCapTest() : HandlerTest(0, {kMainPort}, 3, 2) {}
};

TEST_F(IpCapTest, SessionsPerIpAreCapped) {
  // Two waiting sessions from 127.0.0.1; the third would wait too: refused.
  EXPECT_EQ(status_of(token(0, "a", kNowUnix + 60'000, "local", 1), ep(1001)), Status::ok);
  EXPECT_EQ(status_of(token(0, "a", kNowUnix + 60'000, "local", 2), ep(1002)), Status::ok);
  const auto refused = handshake(token(0, "a", kNowUnix + 60'000, "local", 3), ep(1003));
  const auto r = reply_of(refused[0].second);
  EXPECT_EQ(r.status, Status::over_capacity);
  EXPECT_EQ(r.retry_after_s, 5);
  EXPECT_EQ(stats_.ip_limited[static_cast<std::size_t>(IpLimit::waiting)].get(), 1u);
  // Another IP may still open sessions, and join the waiting ones.
  EXPECT_EQ(status_of(token(0, "c", kNowUnix + 60'000, "local", 3), ep(1003, 2)), Status::ok);
  EXPECT_EQ(status_of(token(1, "b", kNowUnix + 60'000, "local", 1), ep(2001, 3)), Status::ok);
  // 127.0.0.1 waits in one session now: one more may wait, reaching its 3 slots...
  EXPECT_EQ(status_of(token(0, "a", kNowUnix + 60'000, "local", 4), ep(1004)), Status::ok);
  // ...and then it may bind no slot at all, not even to join.
  EXPECT_EQ(status_of(token(1, "a", kNowUnix + 60'000, "local", 3), ep(1005)),
            Status::over_capacity);
  EXPECT_EQ(stats_.ip_limited[static_cast<std::size_t>(IpLimit::sessions)].get(), 1u);
  EXPECT_EQ(ip_limits_.slots(ep(1)), 3u);
  // A session that ends gives its slots back.
  EXPECT_FALSE(send({0xC5, 0, 0, 0}, ep(1001)).empty());  // BYE: PEER_BYE to the peer
  EXPECT_EQ(ip_limits_.slots(ep(1)), 2u);
  EXPECT_EQ(status_of(token(1, "a", kNowUnix + 60'000, "local", 3), ep(1005)), Status::ok);
}

TEST(HandlerBandwidth, DatagramsOverTheSessionLimitAreDropped) {
  auth::RelayTokenKeyring keyring{{{"k1", "0123456789abcdef0123456789abcdef"}}, "k1"};
  const AddressCookies cookies{AddressCookies::Key{7}};
  const SourceFilter sources{own_ports({kMainPort})};
  SessionBudget budget{10};
  SessionLimits limits{1000, 5000, 8000};  // 8 kB/s, burst 64 KiB
  SessionTable table{limits, budget};
  IpRateLimiter limiter{0, 0};
  WorkerStats stats;
  std::atomic<bool> draining{false};
  DatagramHandler handler{WorkerIdentity{0, {kMainPort}, "local"},
                          keyring,
                          cookies,
                          sources,
                          table,
                          limiter,
                          stats,
                          draining};
  std::array<std::uint8_t, DatagramHandler::kScratchSize> scratch{};
  auto hello_from = [&](std::uint8_t slot, const char* client, std::uint16_t port) {
    auth::RelayTokenClaims c;
    c.slot = slot;
    c.client_id = client;
    c.relay_id = "local";
    c.expires_at_ms = kNowUnix + 60'000;
    std::vector<std::uint8_t> d(wire::kMaxUdpHello);
    d.resize(wire::encode_udp_hello(d, keyring.mint(c).value(), 0,
                                    cookies.make(ep(port), kMainPort, 0)));
    DatagramHandler::Actions actions;
    handler.on_datagram(d, false, ep(port), 0, kNowUnix, scratch, actions);
  };
  hello_from(0, "alice", 1000);
  hello_from(1, "bob", 2000);
  ASSERT_TRUE(table.find(ep(1000)).session != nullptr && table.find(ep(1000)).session->paired());
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

TEST_F(RedirectTest, HelloOnTheWrongWorkerIsRedirectedWithoutACookie) {
  // owner_worker() = first 8 bytes of the id as a number, modulo 4: byte 7 = 1 -> worker 1.
  auto r = send(hello(token(0, "alice", kNowUnix + 60'000, "local", 1, 1)), ep(1000));
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(reply_of(r[0].second).status, Status::redirect);
  EXPECT_EQ(reply_of(r[0].second).data_port, 5001);
  EXPECT_EQ(table_.size(), 0u);  // nothing bound here
  EXPECT_EQ(handshakes(Status::cookie), 0u);
  // Byte 7 = 4 -> worker 0, this one: the cookie step, then OK.
  EXPECT_EQ(status_of(token(0, "alice", kNowUnix + 60'000, "local", 1, 4), ep(1000)), Status::ok);
  EXPECT_EQ(table_.size(), 1u);
}

}  // namespace
}  // namespace sudachi::relay

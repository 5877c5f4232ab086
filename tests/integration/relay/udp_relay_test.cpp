#include <array>
#include <random>
#include <set>
#include <vector>

#include "relay/stun.hpp"
#include "relay_it.hpp"

namespace sudachi::relay::test {
namespace {

using wire::Status;

// [seq u32][payload][crc32 of seq+payload u32]: a corrupted or misdelivered datagram fails.
std::vector<std::uint8_t> make_payload(std::uint32_t seq, std::mt19937& rng) {
  std::uniform_int_distribution<int> len(0, 1000), byte(0, 255);
  std::vector<std::uint8_t> p(4 + static_cast<std::size_t>(len(rng)));
  wire::put_u32(p.data(), seq);
  for (std::size_t i = 4; i < p.size(); ++i) p[i] = static_cast<std::uint8_t>(byte(rng));
  const std::uint32_t crc = stun::crc32(p);
  p.resize(p.size() + 4);
  wire::put_u32(p.data() + p.size() - 4, crc);
  return p;
}

// Checks one received datagram; returns its sequence number, or -1 when corrupt.
long check_datagram(const std::vector<std::uint8_t>& d) {
  if (d.size() < 12 || d[0] != 0xC0 || d[1] != 0 || d[2] != 0 || d[3] != 0) return -1;
  std::span<const std::uint8_t> body(d.data() + 4, d.size() - 8);
  if (stun::crc32(body) != wire::get_u32(d.data() + d.size() - 4)) return -1;
  return wire::get_u32(body.data());
}

struct Pair {
  UdpPeer a, b;
};

// Opens a session between a and b; on return both are bound and a saw PEER_JOINED.
void open_pair(const RelayProcess& relay, Tokens& tokens, Pair& p) {
  auto ra = p.a.handshake(relay.udp_port(), tokens.mint(0, "alice"));
  ASSERT_STATUS(ra, Status::ok);
  EXPECT_FALSE(ra->peer_bound);
  EXPECT_NE(ra->rebind_key, 0u);
  auto rb = p.b.handshake(relay.udp_port(), tokens.mint(1, "bob"));
  ASSERT_STATUS(rb, Status::ok);
  EXPECT_TRUE(rb->peer_bound);
  EXPECT_EQ(rb->session_id, tokens.session_id());
  EXPECT_EQ(p.a.data_port, p.b.data_port);  // both legs on one worker
  auto joined = p.a.wait_event(5000);
  ASSERT_TRUE(joined);
  EXPECT_EQ(*joined, (std::vector<std::uint8_t>{0xC6, 1, 0, 0}));
}

TEST_P(RelayIT, UdpPairExchanges10000DatagramsEachWayWithChecksums) {
  RelayProcess relay(GetParam());
  ASSERT_TRUE(relay.started()) << relay.log();
  Tokens tokens;
  Pair p;
  ASSERT_NO_FATAL_FAILURE(open_pair(relay, tokens, p));

  constexpr std::uint32_t kCount = 10'000, kWindow = 50;
  std::mt19937 rng_a(1), rng_b(2);
  std::set<long> at_a, at_b;
  std::size_t corrupt = 0;
  for (std::uint32_t base = 0; base < kCount; base += kWindow) {
    for (std::uint32_t i = base; i < base + kWindow; ++i) {
      ASSERT_TRUE(p.a.send(data_datagram(make_payload(i, rng_a))));
      ASSERT_TRUE(p.b.send(data_datagram(make_payload(i, rng_b))));
    }
    for (std::uint32_t i = 0; i < kWindow; ++i) {
      auto at_b_d = p.b.recv(2000);
      ASSERT_TRUE(at_b_d) << "b lost datagrams at window " << base;
      const long s1 = check_datagram(*at_b_d);
      if (s1 < 0) {
        ++corrupt;
      } else {
        at_b.insert(s1);
      }
      auto at_a_d = p.a.recv(2000);
      ASSERT_TRUE(at_a_d) << "a lost datagrams at window " << base;
      const long s2 = check_datagram(*at_a_d);
      if (s2 < 0) {
        ++corrupt;
      } else {
        at_a.insert(s2);
      }
    }
  }
  EXPECT_EQ(corrupt, 0u);
  EXPECT_EQ(at_a.size(), kCount);
  EXPECT_EQ(at_b.size(), kCount);
  EXPECT_GT(relay.metric("relay_bandwidth_bytes_total{server_region=\"local\"}"),
            2.0 * kCount * 12);
  EXPECT_EQ(relay.metric("sudachi_relay_sessions_active"), 1);
}

TEST_P(RelayIT, UdpSpoofedAndUnboundSourcesAreDropped) {
  RelayProcess relay(GetParam());
  ASSERT_TRUE(relay.started()) << relay.log();
  Tokens tokens;
  Pair p;
  ASSERT_NO_FATAL_FAILURE(open_pair(relay, tokens, p));
  UdpPeer intruder;
  const std::array<std::uint8_t, 8> payload = {'s', 'p', 'o', 'o', 'f', 0, 0, 0};
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(intruder.send_to(p.a.data_port, data_datagram(payload)));
  ASSERT_TRUE(
      intruder.send_to(p.a.data_port, std::array<std::uint8_t, 4>{0xC3, 0, 0, 0}));  // keepalive
  EXPECT_FALSE(p.b.recv(300));
  EXPECT_FALSE(p.a.recv(50));
  EXPECT_FALSE(intruder.recv(50));  // no echo to an unbound address
  EXPECT_GE(relay.metric_at_least("sudachi_relay_dropped_total{reason=\"unbound_source\"}", 11),
            11);
}

TEST_P(RelayIT, UdpOversizedAndTruncatedDatagramsAreDropped) {
  RelayProcess relay(GetParam());
  ASSERT_TRUE(relay.started()) << relay.log();
  Tokens tokens;
  Pair p;
  ASSERT_NO_FATAL_FAILURE(open_pair(relay, tokens, p));
  ASSERT_TRUE(p.a.send(std::vector<std::uint8_t>(1501, 0xC0)));  // over the protocol limit
  ASSERT_TRUE(p.a.send(std::vector<std::uint8_t>(9000, 0xC0)));  // over the receive buffer
  ASSERT_TRUE(p.a.send(std::vector<std::uint8_t>{0xC0, 0}));     // shorter than the header
  ASSERT_TRUE(p.a.send(std::vector<std::uint8_t>{}));            // empty
  std::vector<std::uint8_t> cut_hello(70, 0);
  cut_hello[0] = 0xC1;
  cut_hello[1] = 1;
  cut_hello[3] = 200;  // announces a 200-byte token in a 70-byte datagram
  wire::put_u32(&cut_hello[4], wire::kHelloMagic);
  ASSERT_TRUE(p.a.send(cut_hello));
  auto reply = p.a.recv(5000);
  ASSERT_TRUE(reply);
  wire::HelloReply r;
  ASSERT_TRUE(wire::parse_hello_reply(*reply, r));
  EXPECT_EQ(r.status, Status::malformed);
  EXPECT_FALSE(p.b.recv(200));
  // The session still works.
  const std::array<std::uint8_t, 3> ok = {1, 2, 3};
  ASSERT_TRUE(p.a.send(data_datagram(ok)));
  auto got = p.b.recv(5000);
  ASSERT_TRUE(got);
  EXPECT_EQ(*got, data_datagram(ok));
  EXPECT_GE(relay.metric_at_least("sudachi_relay_dropped_total{reason=\"oversized\"}", 2), 2);
  EXPECT_GE(relay.metric_at_least("sudachi_relay_dropped_total{reason=\"truncated\"}", 2), 2);
}

TEST_P(RelayIT, UdpRebindsAfterNatChangeAndKeepalivesEcho) {
  RelayProcess relay(GetParam());
  ASSERT_TRUE(relay.started()) << relay.log();
  Tokens tokens;
  Pair p;
  const std::string token_a = tokens.mint(0, "alice");
  auto ra = p.a.handshake(relay.udp_port(), token_a);
  ASSERT_STATUS(ra, Status::ok);
  ASSERT_STATUS(p.b.handshake(relay.udp_port(), tokens.mint(1, "bob")), Status::ok);
  ASSERT_TRUE(p.a.wait_event(5000));

  const std::array<std::uint8_t, 8> ka = {0xC3, 0, 0, 0, 1, 2, 3, 4};
  ASSERT_TRUE(p.a.send(ka));
  auto ack = p.a.recv(5000);
  ASSERT_TRUE(ack);
  EXPECT_EQ(*ack, (std::vector<std::uint8_t>{0xC4, 0, 0, 0, 1, 2, 3, 4}));

  UdpPeer moved;  // alice's new public address
  EXPECT_EQ(moved.handshake(p.a.data_port, token_a).value().status,
            Status::session_full);  // no key: refused
  auto rebound = moved.handshake(p.a.data_port, token_a, ra->rebind_key);
  ASSERT_STATUS(rebound, Status::ok);
  const std::array<std::uint8_t, 2> hi = {'h', 'i'};
  ASSERT_TRUE(p.b.send(data_datagram(hi)));
  auto got = moved.recv(5000);
  ASSERT_TRUE(got);
  EXPECT_EQ(*got, data_datagram(hi));
  EXPECT_FALSE(p.a.recv(200));
}

TEST_P(RelayIT, UdpByeEndsTheSessionForBoth) {
  RelayProcess relay(GetParam());
  ASSERT_TRUE(relay.started()) << relay.log();
  Tokens tokens;
  Pair p;
  ASSERT_NO_FATAL_FAILURE(open_pair(relay, tokens, p));
  ASSERT_TRUE(p.a.send(std::array<std::uint8_t, 4>{0xC5, 0, 0, 0}));
  auto closed = p.b.wait_event(5000);
  ASSERT_TRUE(closed);
  EXPECT_EQ(*closed, (std::vector<std::uint8_t>{0xC6, 2, 3, 0}));
  EXPECT_TRUE(eventually([&] { return relay.metric("sudachi_relay_sessions_active") == 0; }));
}

}  // namespace
}  // namespace sudachi::relay::test

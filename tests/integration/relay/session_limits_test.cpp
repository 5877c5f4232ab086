#include <array>
#include <chrono>
#include <memory>
#include <vector>

#include "relay_it.hpp"

namespace sudachi::relay::test {
namespace {

using wire::Status;
using Clock = std::chrono::steady_clock;

long ms_since(Clock::time_point t) {
  return static_cast<long>(
      std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - t).count());
}

// The "300 half-open sessions from one IP were all accepted".
TEST_P(RelayIT, PerIpCapsOnWaitingAndBoundSessions) {
  RelayProcess relay(GetParam(), {"--max-waiting-per-ip", "3", "--max-sessions-per-ip", "4"});
  ASSERT_TRUE(relay.started()) << relay.log();
  std::vector<std::unique_ptr<Tokens>> sessions;
  for (std::uint64_t seed = 1; seed <= 4; ++seed)
    sessions.push_back(std::make_unique<Tokens>(seed));
  std::vector<std::unique_ptr<UdpPeer>> waiting;
  for (int i = 0; i < 3; ++i) {
    waiting.push_back(std::make_unique<UdpPeer>());
    ASSERT_STATUS(waiting.back()->handshake(relay.udp_port(), sessions[i]->mint(0, "a")),
                  Status::ok);
  }
  UdpPeer fourth;
  auto refused = fourth.handshake(relay.udp_port(), sessions[3]->mint(0, "a"));
  ASSERT_STATUS(refused, Status::over_capacity);
  EXPECT_EQ(refused->retry_after_s, 5);
  EXPECT_EQ(relay.metric("sudachi_relay_ip_limited_total{limit=\"waiting\"}"), 1);
  // Joining a waiting session is no new wait: it takes the fourth slot...
  UdpPeer joiner;
  ASSERT_STATUS(joiner.handshake(relay.udp_port(), sessions[0]->mint(1, "b")), Status::ok);
  // ...and then the IP holds all its slots, waiting or not.
  ASSERT_STATUS(fourth.handshake(relay.udp_port(), sessions[3]->mint(0, "a")),
                Status::over_capacity);
  EXPECT_EQ(relay.metric("sudachi_relay_ip_limited_total{limit=\"sessions\"}"), 1);
  EXPECT_EQ(relay.metric("sudachi_relay_sessions_active"), 3);
}

TEST_P(RelayIT, PerIpCapOnSlotsCountsJoinsToo) {
  RelayProcess relay(GetParam(), {"--max-waiting-per-ip", "0", "--max-sessions-per-ip", "3"});
  ASSERT_TRUE(relay.started()) << relay.log();
  Tokens tokens;
  UdpPeer a, b, c, d;
  ASSERT_STATUS(a.handshake(relay.udp_port(), tokens.mint(0, "a")), Status::ok);
  ASSERT_STATUS(b.handshake(relay.udp_port(), tokens.mint(1, "b")), Status::ok);
  tokens.new_session();
  ASSERT_STATUS(c.handshake(relay.udp_port(), tokens.mint(0, "c")), Status::ok);
  ASSERT_STATUS(d.handshake(relay.udp_port(), tokens.mint(1, "d")), Status::over_capacity);
  EXPECT_EQ(relay.metric("sudachi_relay_ip_limited_total{limit=\"sessions\"}"), 1);
  // BYE frees two slots.
  ASSERT_TRUE(a.send(std::array<std::uint8_t, 4>{0xC5, 0, 0, 0}));
  ASSERT_TRUE(eventually([&] { return relay.metric("sudachi_relay_sessions_active") == 1; }));
  ASSERT_STATUS(d.handshake(relay.udp_port(), tokens.mint(1, "d")), Status::ok);
}

TEST_P(RelayIT, TcpConnectionsWaitingForTheirHelloAreCappedPerIp) {
  RelayProcess relay(GetParam(), {"--max-waiting-per-ip", "2"});
  ASSERT_TRUE(relay.started()) << relay.log();
  // Accepted in the order they connect: two wait silently for their HELLO, the third is
  // refused at once.
  TcpPeer silent1(relay.tcp_port()), silent2(relay.tcp_port()), third(relay.tcp_port());
  ASSERT_TRUE(silent1.connected() && silent2.connected() && third.connected());
  std::array<std::uint8_t, wire::kHelloReplySize> bytes{};
  ASSERT_TRUE(third.recv_exact(bytes)) << "the third connection got no reply";
  wire::HelloReply reply;
  ASSERT_TRUE(wire::parse_hello_reply(bytes, reply));
  EXPECT_EQ(reply.status, Status::over_capacity);
  EXPECT_FALSE(third.recv_byte());  // then closed
  EXPECT_EQ(relay.metric("sudachi_relay_ip_limited_total{limit=\"tcp_pending\"}"), 1);
  // Once one of them speaks (and is answered), another may connect.
  Tokens tokens;
  ASSERT_STATUS(silent1.handshake(tokens.mint(0, "a")), Status::ok);
  TcpPeer next(relay.tcp_port());
  ASSERT_STATUS(next.handshake(tokens.mint(1, "b")), Status::ok);
}

// Keepalives alone do not hold a session: with no DATA it ends after --data-idle-timeout-s
// (IDLE_TIMEOUT to the peers), while the same keepalives keep the plain idle timeout away.
TEST_P(RelayIT, UdpSessionWithKeepalivesButNoDataEnds) {
  RelayProcess relay(GetParam(), {"--idle-timeout-s", "30", "--data-idle-timeout-s", "1"});
  ASSERT_TRUE(relay.started()) << relay.log();
  Tokens tokens;
  UdpPeer a, b;
  ASSERT_STATUS(a.handshake(relay.udp_port(), tokens.mint(0, "alice")), Status::ok);
  const auto paired = Clock::now();
  ASSERT_STATUS(b.handshake(relay.udp_port(), tokens.mint(1, "bob")), Status::ok);
  ASSERT_TRUE(a.wait_event(5000));  // PEER_JOINED
  std::optional<std::vector<std::uint8_t>> closed;
  for (int i = 0; i < 50 && !closed; ++i) {  // a keepalive every 200 ms, for 10 s at most
    ASSERT_TRUE(a.send(std::array<std::uint8_t, 4>{0xC3, 0, 0, 0}));
    ASSERT_TRUE(b.send(std::array<std::uint8_t, 4>{0xC3, 0, 0, 0}));
    closed = a.wait_event(200);
  }
  ASSERT_TRUE(closed) << "keepalives held the session for 10 s";
  EXPECT_EQ(*closed, (std::vector<std::uint8_t>{0xC6, 2, 1, 0}));  // IDLE_TIMEOUT
  EXPECT_GE(ms_since(paired), 1000);
  EXPECT_GE(
      relay.metric_at_least("sudachi_relay_sessions_closed_total{reason=\"data_idle_timeout\"}", 1),
      1);
}

TEST_P(RelayIT, NoSessionOutlivesItsMaximumLifetime) {
  RelayProcess relay(GetParam(), {"--max-session-lifetime-s", "1"});
  ASSERT_TRUE(relay.started()) << relay.log();
  Tokens tokens;
  UdpPeer a, b;
  const auto opened = Clock::now();
  ASSERT_STATUS(a.handshake(relay.udp_port(), tokens.mint(0, "alice")), Status::ok);
  ASSERT_STATUS(b.handshake(relay.udp_port(), tokens.mint(1, "bob")), Status::ok);
  std::optional<std::vector<std::uint8_t>> closed;
  const std::array<std::uint8_t, 2> payload = {1, 2};
  for (int i = 0; i < 100 && !closed; ++i) {  // DATA every 100 ms, for 10 s at most
    ASSERT_TRUE(a.send(data_datagram(payload)));
    closed = b.wait_event(100);
  }
  ASSERT_TRUE(closed);
  EXPECT_EQ(*closed, (std::vector<std::uint8_t>{0xC6, 2, 5, 0}));  // MAX_LIFETIME
  EXPECT_GE(ms_since(opened), 1000);
}

}  // namespace
}  // namespace sudachi::relay::test

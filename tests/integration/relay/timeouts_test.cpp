#include <chrono>
#include <thread>

#include "relay_it.hpp"

namespace sudachi::relay::test {
namespace {

using wire::Status;
using Clock = std::chrono::steady_clock;

long ms_since(Clock::time_point t) {
  return static_cast<long>(
      std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - t).count());
}

TEST_P(RelayIT, UdpUnpairedPeerIsDroppedAfterThePairingTimeout) {
  RelayProcess relay(GetParam(), {"--pairing-timeout-s", "0.5"});
  ASSERT_TRUE(relay.started()) << relay.log();
  Tokens tokens;
  UdpPeer a;
  const auto start = Clock::now();
  ASSERT_STATUS(a.handshake(relay.udp_port(), tokens.mint(0, "alice")), Status::ok);
  auto closed = a.wait_event(10'000);
  ASSERT_TRUE(closed);
  EXPECT_EQ(*closed, (std::vector<std::uint8_t>{0xC6, 2, 2, 0}));  // PAIRING_TIMEOUT
  EXPECT_GE(ms_since(start), 450);
  // Unbound now: a keepalive gets no echo.
  ASSERT_TRUE(a.send(std::array<std::uint8_t, 4>{0xC3, 0, 0, 0}));
  EXPECT_FALSE(a.recv(200));
  EXPECT_GE(
      relay.metric_at_least("sudachi_relay_sessions_closed_total{reason=\"pairing_timeout\"}", 1),
      1);
}

TEST_P(RelayIT, UdpIdleSessionIsClosedAndKeepalivesKeepItOpen) {
  // The idle timeout is ten keepalive intervals: only a 1.8 s stall of this test could close
  // the session early, which keeps the test deterministic on a loaded machine.
  RelayProcess relay(GetParam(), {"--idle-timeout-s", "2"});
  ASSERT_TRUE(relay.started()) << relay.log();
  Tokens tokens;
  UdpPeer a, b;
  ASSERT_STATUS(a.handshake(relay.udp_port(), tokens.mint(0, "alice")), Status::ok);
  ASSERT_STATUS(b.handshake(relay.udp_port(), tokens.mint(1, "bob")), Status::ok);
  ASSERT_TRUE(a.wait_event(5000));  // PEER_JOINED
  // 3 s of keepalives every 200 ms: longer than the idle timeout, yet still open.
  for (int i = 0; i < 15; ++i) {
    ASSERT_TRUE(a.send(std::array<std::uint8_t, 4>{0xC3, 0, 0, 0}));
    auto ack = a.recv(5000);
    ASSERT_TRUE(ack) << "keepalive " << i;
    ASSERT_EQ((*ack)[0], 0xC4) << "keepalive " << i;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  const auto silent = Clock::now();
  auto closed_a = a.wait_event(10'000);
  auto closed_b = b.wait_event(5000);
  ASSERT_TRUE(closed_a);
  ASSERT_TRUE(closed_b);
  EXPECT_EQ(*closed_a, (std::vector<std::uint8_t>{0xC6, 2, 1, 0}));  // IDLE_TIMEOUT
  EXPECT_EQ(*closed_b, (std::vector<std::uint8_t>{0xC6, 2, 1, 0}));
  EXPECT_GE(ms_since(silent), 1500);  // the last keepalive went 200 ms before `silent`
}

TEST_P(RelayIT, TcpPairingAndIdleTimeouts) {
  RelayProcess relay(GetParam(), {"--pairing-timeout-s", "0.5", "--idle-timeout-s", "1"});
  ASSERT_TRUE(relay.started()) << relay.log();
  Tokens tokens;
  {
    TcpPeer lonely(relay.tcp_port());
    ASSERT_STATUS(lonely.handshake(tokens.mint(0, "alice")), Status::ok);
    EXPECT_EQ(lonely.recv_byte(), std::optional<std::uint8_t>(0x02));  // PAIRING_TIMEOUT
    EXPECT_FALSE(lonely.recv_byte());                                  // then closed
  }
  tokens.new_session();
  TcpPeer a(relay.tcp_port()), b(relay.tcp_port());
  ASSERT_STATUS(a.handshake(tokens.mint(0, "alice")), Status::ok);
  ASSERT_STATUS(b.handshake(tokens.mint(1, "bob")), Status::ok);
  ASSERT_EQ(a.recv_byte(), std::optional<std::uint8_t>(0x01));
  ASSERT_EQ(b.recv_byte(), std::optional<std::uint8_t>(0x01));
  const auto start = Clock::now();
  EXPECT_FALSE(a.recv_byte());  // closed by the idle timeout, well before the 20 s socket timeout
  EXPECT_GE(ms_since(start), 900);
  EXPECT_LE(ms_since(start), 5000);
}

}  // namespace
}  // namespace sudachi::relay::test

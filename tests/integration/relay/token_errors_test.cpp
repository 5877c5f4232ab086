#include "relay_it.hpp"

namespace sudachi::relay::test {
namespace {

using wire::Status;

// Flips one character of the MAC part (the token's tail).
std::string tamper(std::string token) {
  char& c = token[token.size() - 3];
  c = c == 'A' ? 'B' : 'A';
  return token;
}

TEST_P(RelayIT, UdpRefusesBadExpiredAndForeignTokens) {
  RelayProcess relay(GetParam());
  ASSERT_TRUE(relay.started()) << relay.log();
  Tokens tokens;
  UdpPeer peer;
  ASSERT_STATUS(peer.handshake(relay.udp_port(), tamper(tokens.mint(0, "alice"))),
                Status::invalid_token);
  auto expired = tokens.claims(0, "alice");
  expired.expires_at_ms = unix_ms_now() - 1000;
  ASSERT_STATUS(peer.handshake(relay.udp_port(), tokens.mint(expired)), Status::expired);
  auto foreign = tokens.claims(0, "alice");
  foreign.relay_id = "another-relay";
  ASSERT_STATUS(peer.handshake(relay.udp_port(), tokens.mint(foreign)), Status::wrong_relay);
  ASSERT_STATUS(peer.handshake(relay.udp_port(), "garbage-token"), Status::invalid_token);
  EXPECT_GE(
      relay.metric("sudachi_relay_handshakes_total{protocol=\"udp\",status=\"INVALID_TOKEN\"}"), 2);
  EXPECT_EQ(relay.metric("sudachi_relay_sessions_active"), 0);
}

TEST_P(RelayIT, UdpRefusesReplayedTokenAndThirdPeer) {
  RelayProcess relay(GetParam());
  ASSERT_TRUE(relay.started()) << relay.log();
  Tokens tokens;
  UdpPeer a, b, replay, third;
  const std::string token_a = tokens.mint(0, "alice");
  ASSERT_STATUS(a.handshake(relay.udp_port(), token_a), Status::ok);
  ASSERT_STATUS(b.handshake(relay.udp_port(), tokens.mint(1, "bob")), Status::ok);
  ASSERT_STATUS(replay.handshake(relay.udp_port(), token_a), Status::session_full);
  ASSERT_STATUS(third.handshake(relay.udp_port(), tokens.mint(0, "mallory")), Status::session_full);
  ASSERT_STATUS(third.handshake(relay.udp_port(), tokens.mint(1, "mallory")), Status::session_full);
  // The same address asking again is a retransmission, not a replay.
  ASSERT_STATUS(a.handshake(relay.udp_port(), token_a), Status::ok);
}

TEST_P(RelayIT, TcpRefusesBadTokensAndThirdPeer) {
  RelayProcess relay(GetParam());
  ASSERT_TRUE(relay.started()) << relay.log();
  Tokens tokens;
  {
    TcpPeer bad(relay.tcp_port());
    ASSERT_STATUS(bad.handshake(tamper(tokens.mint(0, "alice"))), Status::invalid_token);
    EXPECT_FALSE(bad.recv_byte());  // closed after the refusal
  }
  {
    auto foreign = tokens.claims(0, "alice");
    foreign.relay_id = "another-relay";
    TcpPeer p(relay.tcp_port());
    ASSERT_STATUS(p.handshake(tokens.mint(foreign)), Status::wrong_relay);
  }
  {
    auto expired = tokens.claims(0, "alice");
    expired.expires_at_ms = unix_ms_now() - 1;
    TcpPeer p(relay.tcp_port());
    ASSERT_STATUS(p.handshake(tokens.mint(expired)), Status::expired);
  }
  const std::string token_a = tokens.mint(0, "alice");
  TcpPeer a(relay.tcp_port());
  ASSERT_STATUS(a.handshake(token_a), Status::ok);
  TcpPeer replay(relay.tcp_port());
  ASSERT_STATUS(replay.handshake(token_a), Status::session_full);
  UdpPeer udp;  // a session opened over TCP cannot be joined over UDP
  ASSERT_STATUS(udp.handshake(relay.udp_port(), tokens.mint(1, "bob")), Status::protocol_mismatch);
  TcpPeer b(relay.tcp_port());
  ASSERT_STATUS(b.handshake(tokens.mint(1, "bob")), Status::ok);
  TcpPeer third(relay.tcp_port());
  ASSERT_STATUS(third.handshake(tokens.mint(1, "mallory")), Status::session_full);
}

TEST_P(RelayIT, TcpMalformedHelloGetsAStatus) {
  RelayProcess relay(GetParam());
  ASSERT_TRUE(relay.started()) << relay.log();
  TcpPeer p(relay.tcp_port());
  const std::array<std::uint8_t, 16> junk = {'G', 'E', 'T', ' ', '/', ' ', 'H',  'T',
                                             'T', 'P', '/', '1', '.', '1', '\r', '\n'};
  ASSERT_TRUE(p.send_all(junk));
  std::array<std::uint8_t, wire::kHelloReplySize> reply{};
  ASSERT_TRUE(p.recv_exact(reply));
  wire::HelloReply r;
  ASSERT_TRUE(wire::parse_hello_reply(reply, r));
  EXPECT_EQ(r.status, Status::malformed);
}

TEST_P(RelayIT, HandshakesAreRateLimitedPerIp) {
  RelayProcess relay(GetParam(), {"--handshake-rate-per-s", "1"});  // burst 2
  ASSERT_TRUE(relay.started()) << relay.log();
  Tokens tokens;
  UdpPeer peer;
  int limited = 0;
  for (int i = 0; i < 6; ++i) {
    auto r = peer.handshake(relay.udp_port(), "x-not-a-token");
    ASSERT_TRUE(r);
    if (r->status == Status::rate_limited) {
      ++limited;
      EXPECT_GE(r->retry_after_s, 1);
    }
  }
  EXPECT_GE(limited, 3);
}

}  // namespace
}  // namespace sudachi::relay::test

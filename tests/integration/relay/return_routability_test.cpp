#include <array>
#include <vector>

#include "relay_it.hpp"

namespace sudachi::relay::test {
namespace {

using wire::Status;

// The "victim" case without raw sockets: a source that sends a HELLO but never echoes
// the cookie (as a spoofed source could not: the cookie goes to the real owner of the
// address). It must get nothing but the cookie, and nothing bob sends may reach it.
TEST_P(RelayIT, UdpSourceThatNeverEchoesTheCookieGetsNothingForwarded) {
  RelayProcess relay(GetParam());
  ASSERT_TRUE(relay.started()) << relay.log();
  Tokens tokens;
  UdpPeer victim, bob;
  // Where the session lives: bob's handshake goes first and tells the data port.
  ASSERT_STATUS(bob.handshake(relay.udp_port(), tokens.mint(1, "bob")), Status::ok);
  auto cookie = victim.hello_once(bob.data_port, tokens.mint(0, "alice"));
  ASSERT_STATUS(cookie, Status::cookie);
  EXPECT_NE(cookie->rebind_key, 0u);
  EXPECT_EQ(cookie->data_port, 0);
  const std::array<std::uint8_t, 4> payload = {'l', 'e', 'a', 'k'};
  for (int i = 0; i < 20; ++i) ASSERT_TRUE(bob.send(data_datagram(payload)));
  EXPECT_GE(relay.metric_at_least("sudachi_relay_dropped_total{reason=\"no_peer\"}", 20), 20);
  EXPECT_FALSE(victim.recv(300)) << "a source that never proved its address got a datagram";
  EXPECT_EQ(relay.metric("sudachi_relay_sessions_active"), 1);

  // A cookie is good only for the address it was sent to.
  UdpPeer thief;
  ASSERT_STATUS(thief.hello_once(bob.data_port, tokens.mint(0, "alice"), 0, cookie->rebind_key),
                Status::cookie);
  // Echoed by its owner it binds, and data flows.
  auto ok = victim.hello_once(bob.data_port, tokens.mint(0, "alice"), 0, cookie->rebind_key);
  ASSERT_STATUS(ok, Status::ok);
  EXPECT_TRUE(ok->peer_bound);
  ASSERT_TRUE(bob.send(data_datagram(payload)));
  std::optional<std::vector<std::uint8_t>> got;
  for (int i = 0; i < 10 && !(got && got->size() == 8); ++i) got = victim.recv(2000);
  ASSERT_TRUE(got);
  EXPECT_EQ(*got, data_datagram(payload));
  EXPECT_GE(relay.metric("sudachi_relay_handshakes_total{protocol=\"udp\",status=\"COOKIE\"}"), 3);
}

// Sources on the relay's own ports: 127.0.0.2 is this host too, so a socket bound there to the
// relay's port numbers stands for the relay itself (a spoofed source). No answer, no state.
TEST_P(RelayIT, UdpSourcesOnTheRelaysOwnPortsAreIgnored) {
  RelayProcess relay(GetParam());
  ASSERT_TRUE(relay.started()) << relay.log();
  Tokens tokens;
  UdpPeer as_udp_port("127.0.0.2", relay.udp_port());
  UdpPeer as_tcp_port("127.0.0.2", relay.tcp_port());
  ASSERT_TRUE(as_udp_port.bound() && as_tcp_port.bound());
  std::vector<std::uint8_t> hello(wire::kMaxUdpHello);
  int sent = 0;
  for (UdpPeer* self : {&as_udp_port, &as_tcp_port}) {
    for (std::uint8_t slot = 0; slot < 2; ++slot) {
      hello.resize(wire::kMaxUdpHello);
      hello.resize(wire::encode_udp_hello(hello, tokens.mint(slot, slot ? "b" : "a"), 0, 0));
      ASSERT_TRUE(self->send_to(relay.udp_port(), hello));
      ++sent;
    }
  }
  EXPECT_GE(relay.metric_at_least("sudachi_relay_dropped_total{reason=\"bad_source\"}", sent),
            sent);
  EXPECT_FALSE(as_udp_port.recv(200));
  EXPECT_FALSE(as_tcp_port.recv(50));
  EXPECT_EQ(relay.metric("sudachi_relay_sessions_active"), 0);
  // The same HELLO from an ordinary port is answered.
  UdpPeer ordinary("127.0.0.2");
  EXPECT_TRUE(ordinary.hello_once(relay.udp_port(), tokens.mint(0, "a")).has_value());
}

TEST_P(RelayIT, TcpNeedsNoCookie) {
  RelayProcess relay(GetParam());
  ASSERT_TRUE(relay.started()) << relay.log();
  Tokens tokens;
  TcpPeer a(relay.tcp_port()), b(relay.tcp_port());
  ASSERT_STATUS(a.handshake(tokens.mint(0, "alice")), Status::ok);
  ASSERT_STATUS(b.handshake(tokens.mint(1, "bob")), Status::ok);
  EXPECT_EQ(a.recv_byte(), std::optional<std::uint8_t>(0x01));
  EXPECT_EQ(relay.metric("sudachi_relay_handshakes_total{protocol=\"tcp\",status=\"COOKIE\"}"), 0);
}

}  // namespace
}  // namespace sudachi::relay::test

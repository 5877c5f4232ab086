#include <random>
#include <vector>

#include "relay/stun.hpp"
#include "relay_it.hpp"

namespace sudachi::relay::test {
namespace {

using wire::Status;

// Random bytes shaped like each kind of message the relay parses: it must stay up, answer
// nothing larger than what it got, and go on serving a real session.
TEST_P(RelayIT, SurvivesRandomDatagramsAndTcpGarbage) {
  RelayProcess relay(GetParam());
  ASSERT_TRUE(relay.started()) << relay.log();
  Tokens tokens;
  UdpPeer a, b, fuzzer;
  ASSERT_STATUS(a.handshake(relay.udp_port(), tokens.mint(0, "alice")), Status::ok);
  ASSERT_STATUS(b.handshake(relay.udp_port(), tokens.mint(1, "bob")), Status::ok);

  // Phase 0 sends datagrams under 64 bytes, phase 1 from 64 up. Replies come back later than
  // the datagram that caused them, so the size rule is checked per phase: below 64 bytes only a
  // STUN answer (at most twice a request) may come back, never a HELLO_REPLY; and no reply of
  // either phase exceeds the largest STUN answer (52 bytes).
  std::mt19937 rng(12345);
  std::uniform_int_distribution<int> byte(0, 255), kind(0, 4);
  for (int phase = 0; phase < 2; ++phase) {
    std::uniform_int_distribution<int> size(phase == 0 ? 0 : 64, phase == 0 ? 63 : 1600);
    for (int i = 0; i < 2500; ++i) {
      std::vector<std::uint8_t> d(static_cast<std::size_t>(size(rng)));
      for (auto& x : d) x = static_cast<std::uint8_t>(byte(rng));
      if (!d.empty()) {
        switch (kind(rng)) {
          case 0:
            d[0] = 0xC1;
            break;  // HELLO-shaped
          case 1:
            if (d.size() >= 8) {
              d[0] = 0xC1;
              d[1] = 1;
              wire::put_u32(&d[4], wire::kHelloMagic);
            }
            break;
          case 2:
            if (d.size() >= 20) {  // STUN-shaped
              d[0] = 0;
              d[1] = 1;
              wire::put_u16(&d[2], static_cast<std::uint16_t>(d.size() - 20));
              wire::put_u32(&d[4], stun::kMagicCookie);
            }
            break;
          default:
            break;
        }
      }
      ASSERT_TRUE(fuzzer.send_to((i & 1) != 0 ? relay.udp_port() : a.data_port, d) ||
                  d.size() > 1500);
      while (auto reply = fuzzer.recv(0)) {
        EXPECT_LE(reply->size(), stun::kMaxResponseSize);
        EXPECT_TRUE(phase != 0 || reply->empty() || (*reply)[0] != 0xC2)
            << "HELLO_REPLY to a short datagram";
      }
    }
    while (auto reply = fuzzer.recv(200)) {  // the phase's late answers
      EXPECT_LE(reply->size(), stun::kMaxResponseSize);
      EXPECT_TRUE(phase != 0 || reply->empty() || (*reply)[0] != 0xC2)
          << "HELLO_REPLY to a short datagram";
    }
  }
  const std::array<std::uint8_t, 4> ping = {9, 9, 9, 9};
  ASSERT_TRUE(a.send(data_datagram(ping)));
  std::optional<std::vector<std::uint8_t>> got;
  for (int i = 0; i < 100 && !(got && got->size() == 8); ++i) got = b.recv(1000);  // skip events
  ASSERT_TRUE(got);
  EXPECT_EQ(*got, data_datagram(ping));

  std::uniform_int_distribution<int> tcp_size(0, 600);
  for (int i = 0; i < 50; ++i) {
    TcpPeer garbage(relay.tcp_port());
    std::vector<std::uint8_t> d(static_cast<std::size_t>(tcp_size(rng)) + 16);
    for (auto& x : d) x = static_cast<std::uint8_t>(byte(rng));
    d[0] = 0xC1;
    wire::put_u32(&d[4], wire::kHelloMagic);
    (void)garbage.send_all(d);
  }
  EXPECT_EQ(relay.http_get("/health").substr(0, 3), "200");
}

}  // namespace
}  // namespace sudachi::relay::test

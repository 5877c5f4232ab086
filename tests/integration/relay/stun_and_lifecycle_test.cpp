#include <signal.h>

#include <array>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>

#include "relay/stun.hpp"
#include "relay_it.hpp"

namespace sudachi::relay::test {
namespace {

using wire::Status;

std::string run_command(const std::string& command) {
  std::string out;
  if (FILE* p = ::popen(command.c_str(), "r")) {
    std::array<char, 512> buf{};
    while (std::fgets(buf.data(), buf.size(), p) != nullptr && out.size() < 65536)
      out += buf.data();
    ::pclose(p);
  }
  return out;
}

TEST_P(RelayIT, StunBindingWithTurnutilsStunclient) {
  const std::string tool = SUDACHI_STUNCLIENT;
  RelayProcess relay(GetParam());
  ASSERT_TRUE(relay.started()) << relay.log();
  const std::string out = run_command("timeout 10 " + tool + " -p " +
                                      std::to_string(relay.udp_port()) + " 127.0.0.1 2>&1");
  // "0: : IPv4. UDP reflexive addr: 127.0.0.1:41778"
  const std::string label = "UDP reflexive addr: 127.0.0.1:";
  const auto at = out.find(label);
  ASSERT_NE(at, std::string::npos) << out;
  EXPECT_GT(std::atoi(out.c_str() + at + label.size()), 0) << out;
  EXPECT_GE(relay.metric_at_least("sudachi_relay_stun_requests_total{result=\"answered\"}", 1), 1);
}

TEST_P(RelayIT, StunAnswersOurOwnClientWithTheMappedPort) {
  RelayProcess relay(GetParam());
  ASSERT_TRUE(relay.started()) << relay.log();
  UdpPeer peer;
  std::array<std::uint8_t, 28> req{};
  const stun::TransactionId tid = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
  ASSERT_EQ(stun::encode_binding_request(req, tid, true), req.size());
  ASSERT_TRUE(peer.send_to(relay.udp_port(), req));
  auto resp = peer.recv(2000);
  ASSERT_TRUE(resp);
  EXPECT_LE(resp->size(), 2 * req.size());
  Endpoint mapped;
  ASSERT_TRUE(stun::parse_binding_response(*resp, tid, mapped));
  EXPECT_EQ(mapped.port, peer.local_port());
  EXPECT_EQ(mapped.to_string(), "127.0.0.1:" + std::to_string(peer.local_port()));
}

TEST_P(RelayIT, AdminEndpointsAndSigtermDrain) {
  // The grace period must outlast the second peer's handshake (three round trips) on a
  // loaded machine; its end is awaited with a deadline, never assumed.
  RelayProcess relay(GetParam(), {"--drain-grace-s", "3"});
  ASSERT_TRUE(relay.started()) << relay.log();
  EXPECT_EQ(relay.http_get("/health").substr(0, 3), "200");
  EXPECT_EQ(relay.http_get("/ready").substr(0, 3), "200");
  EXPECT_EQ(relay.http_get("/nope").substr(0, 3), "404");
  const std::string metrics = relay.http_get("/metrics");
  EXPECT_NE(metrics.find("relay_bandwidth_bytes_total{server_region=\"local\"}"), std::string::npos)
      << metrics;
  EXPECT_NE(metrics.find("sudachi_relay_handshakes_total"), std::string::npos);

  Tokens tokens;
  UdpPeer a, b;
  ASSERT_STATUS(a.handshake(relay.udp_port(), tokens.mint(0, "alice")), Status::ok);
  relay.send_signal(SIGTERM);
  EXPECT_TRUE(eventually([&] { return relay.http_get("/ready").substr(0, 3) == "503"; }));
  // An open session may still complete; a new one is refused.
  ASSERT_STATUS(b.handshake(relay.udp_port(), tokens.mint(1, "bob")), Status::ok);
  auto joined = a.wait_event(5000);
  ASSERT_TRUE(joined);
  EXPECT_EQ(*joined, (std::vector<std::uint8_t>{0xC6, 1, 0, 0}));
  tokens.new_session();
  UdpPeer c;
  ASSERT_STATUS(c.handshake(relay.udp_port(), tokens.mint(0, "carol")), Status::draining);
  // After the grace period the session is closed with DRAINING and the process exits 0.
  auto closed = a.wait_event(10'000);
  ASSERT_TRUE(closed);
  EXPECT_EQ(*closed, (std::vector<std::uint8_t>{0xC6, 2, 4, 0}));
  EXPECT_EQ(relay.wait_exit(10'000), 0) << relay.log();
}

TEST_P(RelayIT, TcpWaitingPeerGetsTheDrainingMarker) {
  RelayProcess relay(GetParam(), {"--drain-grace-s", "0.5"});
  ASSERT_TRUE(relay.started()) << relay.log();
  Tokens tokens;
  TcpPeer lonely(relay.tcp_port());
  ASSERT_STATUS(lonely.handshake(tokens.mint(0, "alice")), Status::ok);
  relay.send_signal(SIGTERM);
  EXPECT_EQ(lonely.recv_byte(), std::optional<std::uint8_t>(0x03));  // DRAINING
  EXPECT_FALSE(lonely.recv_byte());
  EXPECT_EQ(relay.wait_exit(5000), 0) << relay.log();
}

}  // namespace
}  // namespace sudachi::relay::test

#include <gtest/gtest.h>

#include <array>
#include <atomic>
#include <map>
#include <memory>
#include <string>
#include <tuple>
#include <vector>

#include "client/p2p/tcp_relay_stream.hpp"
#include "client/p2p/udp_relay_client.hpp"
#include "p2p_test_util.hpp"
#include "relay/datagram_handler.hpp"

// The relay client against the relay's own I/O-free datagram logic (two workers, real tokens,
// real cookies), so that a change on either side of the protocol shows up here.
namespace sudachi::client::p2p {
namespace {

using relay::wire::Status;
using test::v4;

constexpr std::uint16_t kMain = 3478;
constexpr std::int64_t kNowUnix = 1'700'000'000'000;

struct EndpointLess {
  bool operator()(const relay::Endpoint& a, const relay::Endpoint& b) const {
    return std::tie(a.family, a.port, a.addr) < std::tie(b.family, b.port, b.addr);
  }
};
using ByAddress = std::map<relay::Endpoint, struct Client*, EndpointLess>;

class FakeRelay {
 public:
  FakeRelay() {
    for (std::size_t i = 0; i < 2; ++i) {
      workers_.push_back(std::make_unique<Worker>(i, std::vector<std::uint16_t>{kMain, kMain + 1},
                                                  keyring_, cookies_, sources_, budget_));
    }
  }

  std::string token(std::uint8_t slot, const std::string& client, std::size_t owner_worker) {
    auth::RelayTokenClaims c;
    c.session_id[7] = static_cast<std::uint8_t>(owner_worker);
    c.session_id[15] = 0x5a;
    c.slot = slot;
    c.client_id = client;
    c.relay_id = "local";
    c.expires_at_ms = kNowUnix + 60'000;
    return keyring_.mint(c).value();
  }

  // Delivers one datagram to the worker on `port`; returns (destination, source port, bytes).
  struct Out {
    relay::Endpoint to;
    std::uint16_t from_port;
    std::vector<std::uint8_t> bytes;
  };
  std::vector<Out> deliver(std::uint16_t port, std::vector<std::uint8_t> d,
                           const relay::Endpoint& from, std::int64_t now) {
    std::vector<Out> out;
    if (!drop_everything && port >= kMain && port <= kMain + 1) {
      Worker& w = *workers_[port - kMain];
      relay::DatagramHandler::Actions actions;
      w.handler.on_datagram(d, false, from, now, kNowUnix, w.scratch, actions);
      for (std::size_t i = 0; i < actions.count; ++i) {
        const auto& s = actions.sends[i];
        out.push_back({s.to, port, std::vector<std::uint8_t>(s.data, s.data + s.size)});
      }
    }
    return out;
  }

  bool drop_everything = false;
  std::atomic<bool> draining{false};

 private:
  struct Worker {
    Worker(std::size_t index, std::vector<std::uint16_t> ports,
           const auth::RelayTokenKeyring& keyring, const relay::AddressCookies& cookies,
           const relay::SourceFilter& sources, relay::SessionBudget& budget)
        : table(relay::SessionLimits{}, budget),
          handler(relay::WorkerIdentity{index, std::move(ports), "local"}, keyring, cookies,
                  sources, table, limiter, stats, draining_flag) {}
    relay::SessionTable table;
    relay::IpRateLimiter limiter{0, 0};
    relay::WorkerStats stats;
    std::atomic<bool> draining_flag{false};
    relay::DatagramHandler handler;
    std::array<std::uint8_t, relay::DatagramHandler::kScratchSize> scratch{};
  };

  auth::RelayTokenKeyring keyring_{{{"k1", "0123456789abcdef0123456789abcdef"}}, "k1"};
  relay::AddressCookies cookies_{relay::AddressCookies::Key{9, 9, 9}};
  relay::SourceFilter sources_;
  relay::SessionBudget budget_{100};
  std::vector<std::unique_ptr<Worker>> workers_;
};

// One client: its Host records what happens; datagrams go through the fake relay at once and
// the answers come back to whichever client owns the destination address.
struct Client : UdpRelayClient::Host {
  Client(FakeRelay& relay, ByAddress& by_address, relay::Endpoint addr, std::string token)
      : relay_(relay),
        by_address_(by_address),
        address(addr),
        client(std::move(token), kMain, UdpRelayClient::Config{}, *this) {
    by_address_[address] = this;
  }

  void relay_send(std::uint16_t port, std::span<const std::uint8_t> d) override {
    sent.push_back({port, std::vector<std::uint8_t>(d.begin(), d.end())});
    for (auto& o : relay_.deliver(port, {d.begin(), d.end()}, address, now)) {
      auto it = by_address_.find(o.to);
      if (it != by_address_.end()) it->second->inbox.push_back({o.from_port, o.bytes});
    }
  }
  void relay_bound(bool peer) override {
    ++bound;
    peer_bound_at_bind = peer;
  }
  void relay_peer_joined() override { ++joined; }
  void relay_data(std::span<const std::uint8_t> payload) override {
    data.emplace_back(payload.begin(), payload.end());
  }
  void relay_failed(std::string_view reason, bool tcp) override {
    failure = std::string(reason);
    use_tcp = tcp;
  }

  void pump() {
    while (!inbox.empty()) {
      auto [port, bytes] = inbox.front();
      inbox.erase(inbox.begin());
      client.on_datagram(port, bytes, now);
    }
  }

  FakeRelay& relay_;
  ByAddress& by_address_;
  relay::Endpoint address;
  UdpRelayClient client;
  std::int64_t now = 0;
  std::vector<std::pair<std::uint16_t, std::vector<std::uint8_t>>> sent, inbox;
  int bound = 0, joined = 0;
  bool peer_bound_at_bind = false;
  std::vector<std::vector<std::uint8_t>> data;
  std::string failure;
  bool use_tcp = false;
};

class P2pUdpRelayClient : public ::testing::Test {
 protected:
  FakeRelay relay_;
  ByAddress by_address_;
};

TEST_F(P2pUdpRelayClient, RedirectCookieOkPeerJoinedAndData) {
  Client alice(relay_, by_address_, v4(198, 51, 100, 1, 4000), relay_.token(0, "alice", 1));
  Client bob(relay_, by_address_, v4(198, 51, 100, 2, 5000), relay_.token(1, "bob", 1));

  alice.client.start(0);
  alice.pump();
  // HELLO to the main port, REDIRECT to worker 1's port, COOKIE there, HELLO with it: OK.
  ASSERT_EQ(alice.sent.size(), 3u);
  EXPECT_EQ(alice.sent[0].first, kMain);
  EXPECT_EQ(alice.sent[1].first, kMain + 1);
  EXPECT_EQ(alice.sent[2].first, kMain + 1);
  EXPECT_GE(alice.sent[0].second.size(), relay::wire::kMinUdpHello);
  relay::wire::Hello h;
  ASSERT_EQ(relay::wire::parse_hello(alice.sent[2].second, h), relay::wire::HelloParse::ok);
  EXPECT_NE(h.cookie, 0u);  // written right after the token
  EXPECT_EQ(alice.client.state(), UdpRelayClient::State::bound);
  EXPECT_EQ(alice.client.data_port(), kMain + 1);
  EXPECT_NE(alice.client.rebind_key(), 0u);
  EXPECT_EQ(alice.bound, 1);
  EXPECT_FALSE(alice.peer_bound_at_bind);

  bob.client.start(0);
  bob.pump();
  alice.pump();
  EXPECT_EQ(bob.bound, 1);
  EXPECT_TRUE(bob.peer_bound_at_bind);
  EXPECT_EQ(alice.joined, 1);  // EVENT PEER_JOINED

  const std::vector<std::uint8_t> payload = {0x82, 1, 2, 3};
  ASSERT_TRUE(alice.client.send_data(payload));
  bob.pump();
  ASSERT_EQ(bob.data.size(), 1u);
  EXPECT_EQ(bob.data[0], payload);
  EXPECT_EQ(alice.sent.back().second.size(), payload.size() + 4);  // 4 bytes of overhead
}

TEST_F(P2pUdpRelayClient, RetransmitsThenFallsBackToTcpWhenUdpIsSilent) {
  relay_.drop_everything = true;
  Client alice(relay_, by_address_, v4(198, 51, 100, 1, 4000), relay_.token(0, "alice", 0));
  alice.client.start(0);
  std::int64_t t = 0;
  while (alice.failure.empty() && t < 5000) {
    alice.now = t;
    t = alice.client.tick(t);
  }
  EXPECT_TRUE(alice.use_tcp);
  EXPECT_EQ(alice.failure, "relay did not answer over UDP");
  EXPECT_EQ(alice.now, UdpRelayClient::Config{}.silence_to_tcp_ms);
  // 0 and 500 ms (then 1500 would be next): retransmitted, bounded.
  EXPECT_EQ(alice.sent.size(), 2u);
}

TEST_F(P2pUdpRelayClient, KeepalivesThenRebindWithTheKeyFromANewAddress) {
  Client alice(relay_, by_address_, v4(198, 51, 100, 1, 4000), relay_.token(0, "alice", 0));
  Client bob(relay_, by_address_, v4(198, 51, 100, 2, 5000), relay_.token(1, "bob", 0));
  alice.client.start(0);
  alice.pump();
  bob.client.start(0);
  bob.pump();
  alice.pump();
  ASSERT_EQ(alice.client.state(), UdpRelayClient::State::bound);
  const auto key = alice.client.rebind_key();

  // Keepalives are answered while the address holds.
  auto step = [&alice] {
    alice.now = alice.client.tick(alice.now);
    alice.client.tick(alice.now);
    alice.pump();
  };
  for (int i = 0; i < 3; ++i) step();
  EXPECT_GE(alice.client.keepalive_rtt_ms(), 0);

  // The NAT gives alice a new public port: the relay drops her keepalives (unbound source)
  // and its answers go to the old address, so she re-binds from the new one.
  by_address_.erase(alice.address);
  alice.address = v4(198, 51, 100, 1, 4999);
  by_address_[alice.address] = &alice;
  const std::size_t before = alice.sent.size();
  for (int i = 0; i < 10 && alice.client.state() == UdpRelayClient::State::bound; ++i) step();
  for (int i = 0; i < 10 && alice.client.state() != UdpRelayClient::State::bound; ++i) step();
  bool rebind_hello = false;
  for (std::size_t i = before; i < alice.sent.size(); ++i) {
    relay::wire::Hello h;
    if (relay::wire::parse_hello(alice.sent[i].second, h) == relay::wire::HelloParse::ok &&
        h.rebind_key == key) {
      rebind_hello = true;
    }
  }
  EXPECT_TRUE(rebind_hello);
  EXPECT_EQ(alice.client.state(), UdpRelayClient::State::bound);
  EXPECT_TRUE(alice.failure.empty());

  // Data flows from the new address.
  ASSERT_TRUE(alice.client.send_data(std::vector<std::uint8_t>{0x82, 7}));
  bob.pump();
  ASSERT_EQ(bob.data.size(), 1u);
}

TEST_F(P2pUdpRelayClient, RefusalsEndTheSessionWithTheStatus) {
  Client alice(relay_, by_address_, v4(198, 51, 100, 1, 4000), "not-a-token");
  alice.client.start(0);
  alice.pump();
  EXPECT_EQ(alice.failure, "relay refused: INVALID_TOKEN");
  EXPECT_FALSE(alice.use_tcp);
  EXPECT_EQ(alice.client.state(), UdpRelayClient::State::done);
}

TEST_F(P2pUdpRelayClient, ForeignAndMalformedDatagramsAreIgnored) {
  Client alice(relay_, by_address_, v4(198, 51, 100, 1, 4000), relay_.token(0, "alice", 0));
  alice.client.start(0);
  // Before any reply: DATA, EVENT and a HELLO_REPLY from another port change nothing.
  alice.client.on_datagram(kMain, std::vector<std::uint8_t>{0xC0, 0, 0, 0, 1}, 0);
  alice.client.on_datagram(kMain, std::vector<std::uint8_t>{0xC6, 2, 1, 0}, 0);
  std::array<std::uint8_t, relay::wire::kHelloReplySize> reply{};
  relay::wire::HelloReply ok;
  ok.status = Status::ok;
  ok.data_port = kMain;
  relay::wire::encode_hello_reply(reply, ok);
  alice.client.on_datagram(9999, reply, 0);
  alice.client.on_datagram(kMain, std::span(reply).first(10), 0);
  EXPECT_EQ(alice.client.state(), UdpRelayClient::State::handshaking);
  EXPECT_TRUE(alice.data.empty());
  EXPECT_TRUE(alice.failure.empty());
}

struct TcpHost : TcpRelayReader::Host {
  void tcp_relay_bound() override { ++bound; }
  void tcp_relay_paired() override { ++paired; }
  void tcp_relay_frame(std::span<const std::uint8_t> f) override {
    frames.emplace_back(f.begin(), f.end());
  }
  void tcp_relay_failed(std::string_view reason, bool udp) override {
    failure = std::string(reason);
    use_udp = udp;
  }
  int bound = 0, paired = 0;
  std::vector<std::vector<std::uint8_t>> frames;
  std::string failure;
  bool use_udp = false;
};

std::vector<std::uint8_t> reply_bytes(Status status) {
  std::array<std::uint8_t, relay::wire::kHelloReplySize> r{};
  relay::wire::HelloReply h;
  h.status = status;
  relay::wire::encode_hello_reply(r, h);
  return {r.begin(), r.end()};
}

TEST(P2pTcpRelayStream, ReplyMarkerAndFramesInAnySplit) {
  std::vector<std::uint8_t> stream = reply_bytes(Status::ok);
  stream.push_back(0x01);  // PAIRED
  for (std::uint8_t n : {1, 64, 200}) {
    std::uint8_t len[2];
    ASSERT_TRUE(write_tcp_frame_length(len, n));
    stream.insert(stream.end(), len, len + 2);
    for (std::uint8_t i = 0; i < n; ++i) stream.push_back(i);
  }
  for (std::size_t chunk : {std::size_t{1}, std::size_t{3}, std::size_t{37}, stream.size()}) {
    TcpHost host;
    TcpRelayReader reader(host);
    for (std::size_t at = 0; at < stream.size(); at += chunk)
      reader.feed(std::span(stream).subspan(at, std::min(chunk, stream.size() - at)));
    EXPECT_EQ(host.bound, 1);
    EXPECT_EQ(host.paired, 1);
    ASSERT_EQ(host.frames.size(), 3u) << chunk;
    EXPECT_EQ(host.frames[1].size(), 64u);
    EXPECT_EQ(host.frames[2][199], 199);
    EXPECT_TRUE(host.failure.empty());
  }
}

TEST(P2pTcpRelayStream, RefusalsMarkersAndBadLengthsFail) {
  {
    TcpHost host;
    TcpRelayReader reader(host);
    reader.feed(reply_bytes(Status::protocol_mismatch));
    EXPECT_TRUE(host.use_udp);
    EXPECT_EQ(host.failure, "relay refused: PROTOCOL_MISMATCH");
  }
  {
    TcpHost host;
    TcpRelayReader reader(host);
    auto s = reply_bytes(Status::ok);
    s.push_back(0x02);
    reader.feed(s);
    EXPECT_EQ(host.failure, "the peer never reached the relay (pairing timeout)");
  }
  for (std::uint16_t bad :
       {std::uint16_t{0}, std::uint16_t{kMaxTcpFrame + 1}, std::uint16_t{65535}}) {
    TcpHost host;
    TcpRelayReader reader(host);
    auto s = reply_bytes(Status::ok);
    s.push_back(0x01);
    s.push_back(static_cast<std::uint8_t>(bad >> 8));
    s.push_back(static_cast<std::uint8_t>(bad));
    s.insert(s.end(), 10, 0);
    reader.feed(s);
    EXPECT_EQ(host.failure, "peer sent a bad frame length on the TCP relay");
    EXPECT_EQ(reader.state(), TcpRelayReader::State::failed);
    reader.feed(s);  // nothing after a failure
    EXPECT_TRUE(host.frames.empty());
  }
  std::uint8_t len[2];
  EXPECT_FALSE(write_tcp_frame_length(len, 0));
  EXPECT_FALSE(write_tcp_frame_length(len, kMaxTcpFrame + 1));
  std::uint8_t hello[600];
  EXPECT_EQ(encode_tcp_relay_hello(hello, "tok"), relay::wire::kHelloFixedSize + 3);
}

}  // namespace
}  // namespace sudachi::client::p2p

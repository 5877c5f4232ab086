#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/udp.hpp>
#include <boost/asio/post.hpp>

#include "auth/relay_token.hpp"
#include "client/p2p/peer_network.hpp"
#include "relay/backend/asio/asio_relay.hpp"

// The runtime end to end on loopback: two PeerNetworks in one io_context, a stand-in for the
// room server (signals, p2p:failure -> use:relay with real tokens) and the real relay (its
// Asio back end, in process, two workers so that REDIRECT and COOKIE are exercised).
namespace sudachi::client::p2p {
namespace {

namespace asio = boost::asio;

class InProcessRelay {
 public:
  InProcessRelay() {
    relay::RelayConfig c;
    c.bind_address = "127.0.0.1";
    c.udp_port = 0;
    c.tcp_port = 0;
    c.admin_port = 0;
    c.workers = 2;
    c.drain_grace_ms = 100;
    c.handshake_rate_per_s = 0;
    relay_ = std::make_unique<relay::asio_backend::AsioRelay>(c, keyring);
    ports = relay_->start();
  }
  ~InProcessRelay() {
    relay_->begin_drain();
    relay_->wait();
  }
  auth::RelayTokenKeyring keyring{{{"k1", "runtime-test-secret-0123456789abcdef"}}, "k1"};
  relay::BoundPorts ports;

 private:
  std::unique_ptr<relay::asio_backend::AsioRelay> relay_;
};

struct Player;

// The room server's part: forwards signals, answers p2p:failure with use:relay to both.
struct Room {
  asio::io_context& io;
  InProcessRelay* relay = nullptr;
  std::uint16_t offered_udp_port = 0;  // 0: the relay's
  std::map<std::string, Player*> players;
  int failures = 0;
};

struct Player : SignalSink {
  Player(Room& in, std::string client_id, PeerNetworkConfig config)
      : room(in), id(std::move(client_id)), net(in.io, std::move(config), *this) {
    room.players[id] = this;
    net.on_datagram = [this](const std::string& peer, std::span<const std::byte> bytes) {
      received.emplace_back(bytes.begin(), bytes.end());
      if (echo) net.send(peer, bytes);
    };
    net.on_event = [this](const PeerEvent& e) { events.push_back(e); };
  }
  ~Player() override {
    // stop() emits disconnected into `events`, which dies before `net` would.
    net.stop();
    room.players.erase(id);
  }
  Player(const Player&) = delete;
  Player& operator=(const Player&) = delete;

  void send_signal(const std::string& peer, std::string payload) override {
    ++signals;
    asio::post(room.io, [this, peer, payload] {
      if (auto it = room.players.find(peer); it != room.players.end())
        it->second->net.on_signal(id, payload);
    });
  }
  void report_failure(const std::string& peer) override {
    ++room.failures;
    if (room.relay == nullptr) return;
    // One session per pair; slot 0 for the smaller client id, a token per peer.
    const std::string lo = std::min(id, peer), hi = std::max(id, peer);
    for (const std::string& who : {lo, hi}) {
      auth::RelayTokenClaims c;
      c.session_id.fill(0x42);
      c.session_id[7] = static_cast<std::uint8_t>(lo.size() + hi.size());
      c.slot = who == lo ? 0 : 1;
      c.client_id = who;
      c.relay_id = "local";
      c.expires_at_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                            std::chrono::system_clock::now().time_since_epoch())
                            .count() +
                        60'000;
      RelayOffer offer;
      offer.server = "127.0.0.1";
      offer.port = room.offered_udp_port != 0 ? room.offered_udp_port : room.relay->ports.udp;
      offer.tcp_port = room.relay->ports.tcp;
      offer.protocol = "udp";
      offer.session_id = std::string(32, '4');
      offer.token = room.relay->keyring.mint(c).value();
      const std::string other = who == lo ? hi : lo;
      asio::post(room.io, [this, who, other, offer] {
        if (auto it = room.players.find(who); it != room.players.end())
          it->second->net.on_use_relay(other, offer);
      });
    }
  }
  void report_success(const std::string&, PathKind kind, std::uint32_t latency) override {
    successes.emplace_back(kind, latency);
  }

  bool connected() const {
    for (const auto& e : events)
      if (e.kind == PeerEvent::Kind::connected) return true;
    return false;
  }
  PathKind path() const {
    for (const auto& e : events)
      if (e.kind == PeerEvent::Kind::connected) return e.path;
    return PathKind::none;
  }

  Room& room;
  std::string id;
  PeerNetwork net;
  bool echo = false;
  int signals = 0;
  std::vector<std::vector<std::byte>> received;
  std::vector<PeerEvent> events;
  std::vector<std::pair<PathKind, std::uint32_t>> successes;
};

class P2pRuntime : public ::testing::Test {
 protected:
  PeerNetworkConfig config() {
    PeerNetworkConfig c;
    c.bind_address = "127.0.0.1";
    if (std::getenv("SUDACHI_CLIENT_TEST_LOGS") != nullptr) {
      c.log = [](LogLevel, std::string_view m) {
        std::fprintf(stderr, "%.*s\n", int(m.size()), m.data());
      };
    }
    return c;
  }

  bool run_until(const std::function<bool()>& done, int limit_ms) {
    const auto end = std::chrono::steady_clock::now() + std::chrono::milliseconds(limit_ms);
    while (std::chrono::steady_clock::now() < end) {
      if (done()) return true;
      io_.run_for(std::chrono::milliseconds(5));
      if (io_.stopped()) io_.restart();
    }
    return done();
  }

  // a and b meet, b echoes; a sends `count` datagrams; returns how many came back.
  std::size_t connect_and_echo(Player& a, Player& b, PathKind expected, int count = 200) {
    for (Player* p : {&a, &b}) {
      EXPECT_TRUE(p->net.start().ok());
      p->net.set_local_id(p->id);
      p->net.set_stun_servers({{"127.0.0.1", relay_.ports.udp}});
    }
    b.echo = true;
    a.net.add_peer("b");
    b.net.add_peer("a");
    EXPECT_TRUE(run_until([&] { return a.connected() && b.connected(); }, 8000))
        << "a " << (a.net.stats("b") ? to_string(a.net.stats("b")->state) : "?") << " b "
        << (b.net.stats("a") ? to_string(b.net.stats("a")->state) : "?");
    EXPECT_EQ(a.path(), expected);
    EXPECT_EQ(b.path(), expected);
    for (int i = 0; i < count; ++i) {
      std::vector<std::byte> payload(200, std::byte{static_cast<unsigned char>(i)});
      EXPECT_TRUE(a.net.send("b", payload)) << i;
      // Paced (about 1,000/s), as a game sends: a burst of 200 would overflow the loopback
      // receive buffers, which is not what this measures.
      io_.run_for(std::chrono::milliseconds(1));
      if (io_.stopped()) io_.restart();
    }
    run_until([&] { return a.received.size() == static_cast<std::size_t>(count); }, 3000);
    return a.received.size();
  }

  asio::io_context io_;
  InProcessRelay relay_;
  Room room_{io_, &relay_};
};

TEST_F(P2pRuntime, DirectOnLoopback) {
  Player a(room_, "a", config()), b(room_, "b", config());
  EXPECT_EQ(connect_and_echo(a, b, PathKind::direct), 200u);
  EXPECT_EQ(room_.failures, 0);
  const auto s = a.net.stats("b");
  ASSERT_TRUE(s);
  EXPECT_EQ(s->path, PathKind::direct);
  EXPECT_EQ(s->datagrams_sent, 200u);
  EXPECT_EQ(s->datagrams_received, 200u);
  EXPECT_EQ(s->bytes_received, 200u * 200u);
  EXPECT_GE(s->connect_ms, 0);
  ASSERT_EQ(a.successes.size(), 1u);
  EXPECT_EQ(a.successes[0].first, PathKind::direct);
  EXPECT_LE(a.signals, 3);  // candidates, primed: the room server's rate limit is far away
}

TEST_F(P2pRuntime, RelayOverUdpWithRedirectAndCookie) {
  auto c = config();
  c.allow_direct = false;
  Player a(room_, "a", c), b(room_, "b", c);
  EXPECT_EQ(connect_and_echo(a, b, PathKind::relay), 200u);
  EXPECT_GE(room_.failures, 1);
  const auto s = a.net.stats("b");
  ASSERT_TRUE(s);
  EXPECT_EQ(s->path, PathKind::relay);
  EXPECT_NE(s->remote_address.find("127.0.0.1:"), std::string::npos);
}

TEST_F(P2pRuntime, RelayOverTcp) {
  auto c = config();
  c.allow_direct = false;
  c.allow_udp_relay = false;
  Player a(room_, "a", c), b(room_, "b", c);
  EXPECT_EQ(connect_and_echo(a, b, PathKind::relay), 200u);
  EXPECT_EQ(a.net.stats("b")->remote_address, "127.0.0.1:" + std::to_string(relay_.ports.tcp));
}

TEST_F(P2pRuntime, SilentRelayUdpPortFallsBackToTcp) {
  // The offer names a UDP port where nothing answers (as behind a UDP-blocking firewall).
  asio::ip::udp::socket sink(io_, asio::ip::udp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  room_.offered_udp_port = sink.local_endpoint().port();
  auto c = config();
  c.allow_direct = false;
  c.relay_udp_timeout_ms = 300;
  Player a(room_, "a", c), b(room_, "b", c);
  EXPECT_EQ(connect_and_echo(a, b, PathKind::relay, 50), 50u);
  EXPECT_EQ(a.net.stats("b")->remote_address, "127.0.0.1:" + std::to_string(relay_.ports.tcp));
}

// A player whose policy forbids direct paths ("--relay-only") meets a player that allows
// them on the relay, whichever of the two controls the pair ("a" < "b" controls).
TEST_F(P2pRuntime, RelayOnlyControllingSideKeepsBothOnTheRelay) {
  auto c = config();
  c.allow_direct = false;
  Player a(room_, "a", c), b(room_, "b", config());
  EXPECT_EQ(connect_and_echo(a, b, PathKind::relay), 200u);
  EXPECT_EQ(b.net.stats("a")->path, PathKind::relay);
}

TEST_F(P2pRuntime, RelayOnlyControlledSideDoesNotFollowNomination) {
  auto c = config();
  c.allow_direct = false;
  Player a(room_, "a", config()), b(room_, "b", c);
  EXPECT_EQ(connect_and_echo(a, b, PathKind::relay), 200u);
  // Long enough for a's keepalives and any late nomination to have arrived.
  run_until([] { return false; }, 1200);
  EXPECT_EQ(a.net.stats("b")->path, PathKind::relay);
  EXPECT_EQ(b.net.stats("a")->path, PathKind::relay);
  for (const Player* p : {&a, &b}) {
    for (const auto& e : p->events) EXPECT_NE(e.kind, PeerEvent::Kind::path_changed) << p->id;
    ASSERT_EQ(p->successes.size(), 1u) << p->id;
    EXPECT_EQ(p->successes[0].first, PathKind::relay) << p->id;
  }
}

TEST_F(P2pRuntime, RemovePeerDisconnectsAndStopsTraffic) {
  Player a(room_, "a", config()), b(room_, "b", config());
  ASSERT_EQ(connect_and_echo(a, b, PathKind::direct, 10), 10u);
  a.net.remove_peer("b");
  EXPECT_EQ(a.events.back().kind, PeerEvent::Kind::disconnected);
  EXPECT_FALSE(a.net.send("b", std::vector<std::byte>(10)));
  EXPECT_FALSE(a.net.stats("b"));
  a.net.stop();
  a.net.stop();  // idempotent
}

TEST_F(P2pRuntime, OversizedAndUnknownSendsAreRefused) {
  Player a(room_, "a", config()), b(room_, "b", config());
  ASSERT_EQ(connect_and_echo(a, b, PathKind::direct, 1), 1u);
  EXPECT_FALSE(a.net.send("b", std::vector<std::byte>(kMaxDatagramPayload + 1)));
  EXPECT_TRUE(a.net.send("b", std::vector<std::byte>(kMaxDatagramPayload)));
  EXPECT_FALSE(a.net.send("nobody", std::vector<std::byte>(1)));
  // Hostile signals change nothing.
  a.net.on_signal("b", "{\"v\":1,\"secret\":\"zz\"}");
  a.net.on_signal("b", std::string(20000, '{'));
  EXPECT_EQ(a.net.stats("b")->path, PathKind::direct);
}

TEST(P2pNatProbe, LoopbackRelayIsNoNat) {
  asio::io_context io;
  InProcessRelay relay;
  std::optional<NatProbeResult> result;
  NatProbeOptions options;
  options.bind_address = "127.0.0.1";
  probe_nat(io, {{"127.0.0.1", relay.ports.udp}}, options,
            [&](NatProbeResult r) { result = std::move(r); });
  io.run_for(std::chrono::seconds(5));
  ASSERT_TRUE(result);
  EXPECT_FALSE(result->udp_blocked);
  EXPECT_EQ(result->mapping, MappingBehavior::none);
  EXPECT_EQ(result->public_address.rfind("127.0.0.1:", 0), 0u);
  EXPECT_EQ(result->observations.size(), 2u);  // the port and the one after it
}

TEST(P2pNatProbe, NoAnswerIsUdpBlocked) {
  asio::io_context io;
  asio::ip::udp::socket silent(io, asio::ip::udp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  std::optional<NatProbeResult> result;
  NatProbeOptions options;
  options.bind_address = "127.0.0.1";
  options.timeout_ms = 400;
  options.also_next_port = false;
  probe_nat(io, {{"127.0.0.1", silent.local_endpoint().port()}}, options,
            [&](NatProbeResult r) { result = std::move(r); });
  io.run_for(std::chrono::seconds(3));
  ASSERT_TRUE(result);
  EXPECT_TRUE(result->udp_blocked);
  EXPECT_EQ(result->mapping, MappingBehavior::unknown);
  EXPECT_TRUE(result->public_address.empty());
}

}  // namespace
}  // namespace sudachi::client::p2p

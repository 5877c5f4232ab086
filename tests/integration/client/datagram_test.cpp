// Datagrams between two players through the real servers: direct on loopback, and through
// sudachi-relay when direct paths are switched off.
#include <gtest/gtest.h>

#include "processes.hpp"
#include "test_peer.hpp"

namespace sudachi::client::test {
namespace {

using mp::EventType;

class DatagramTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(relay_.started()) << relay_.log();
    ASSERT_TRUE(room_.started()) << room_.log();
  }

  // Host and guest in one room, each with a path to the other; returns the path kinds.
  std::pair<mp::PathKind, mp::PathKind> connect_pair(TestPeer& host, TestPeer& guest) {
    const mp::RoomInfo room = create_room(host);
    const mp::Event join = guest.call([&](mp::Client& c) { return c.join_room(room.id); });
    EXPECT_FALSE(join.error) << join.error.message;
    auto on_guest = guest.wait_peer(host.id());
    auto on_host = host.wait_peer(guest.id());
    EXPECT_TRUE(on_guest && on_host);
    if (!on_guest || !on_host) return {};
    EXPECT_GE(on_guest->connect_ms, 0);
    return {on_host->path, on_guest->path};
  }

  // `count` numbered datagrams each way; returns how many arrived intact at each end.
  static std::pair<int, int> exchange(TestPeer& a, TestPeer& b, int count) {
    const std::string a_id = a.id(), b_id = b.id();
    for (int i = 0; i < count; ++i) {
      EXPECT_TRUE(a.client().send(b_id, as_bytes("a->b " + std::to_string(i))));
      EXPECT_TRUE(b.client().send(a_id, as_bytes("b->a " + std::to_string(i))));
    }
    int at_a = 0, at_b = 0;
    const auto deadline = std::chrono::steady_clock::now() + kWait;
    while ((at_a < count || at_b < count) && std::chrono::steady_clock::now() < deadline) {
      a.pump(milliseconds(5));
      b.pump(milliseconds(5));
      for (; !a.datagrams().empty(); a.datagrams().pop_front()) {
        const Datagram& d = a.datagrams().front();
        if (d.from == b_id && as_string(d.data).rfind("b->a ", 0) == 0) ++at_a;
      }
      for (; !b.datagrams().empty(); b.datagrams().pop_front()) {
        const Datagram& d = b.datagrams().front();
        if (d.from == a_id && as_string(d.data).rfind("a->b ", 0) == 0) ++at_b;
      }
    }
    return {at_a, at_b};
  }

  RelayProcess relay_;
  RoomProcess room_{relay_.room_flag()};
};

TEST_F(DatagramTest, DirectOnLoopback) {
  TestPeer host({room_.url()}, "host");
  TestPeer guest({room_.url()}, "guest");
  const auto [host_path, guest_path] = connect_pair(host, guest);
  EXPECT_EQ(host_path, mp::PathKind::direct);
  EXPECT_EQ(guest_path, mp::PathKind::direct);
  // Loopback loses nothing: every datagram arrives.
  const auto [at_host, at_guest] = exchange(host, guest, 100);
  EXPECT_EQ(at_host, 100);
  EXPECT_EQ(at_guest, 100);

  const auto stats = guest.client().peer_stats(host.id());
  ASSERT_TRUE(stats);
  EXPECT_EQ(stats->path, mp::PathKind::direct);
  EXPECT_EQ(stats->datagrams_sent, 100u);
  EXPECT_EQ(stats->datagrams_received, 100u);
  std::uint64_t payload_bytes = 0;  // "b->a 0" .. "b->a 99"
  for (int i = 0; i < 100; ++i) payload_bytes += ("b->a " + std::to_string(i)).size();
  EXPECT_EQ(stats->bytes_sent, payload_bytes);
  EXPECT_EQ(stats->bytes_received, payload_bytes);
  EXPECT_FALSE(guest.client().peer_stats("not-a-peer"));
  // Too large for the API.
  std::vector<std::byte> big(mp::kMaxDatagram + 1);
  EXPECT_FALSE(guest.client().send(host.id(), big));
  EXPECT_FALSE(guest.client().broadcast(big));
}

TEST_F(DatagramTest, ThroughTheRelayWhenDirectIsOff) {
  auto relay_only = [](mp::ClientConfig& c) { c.disable_direct = true; };
  TestPeer host({room_.url()}, "host", relay_only);
  TestPeer guest({room_.url()}, "guest", relay_only);
  const auto [host_path, guest_path] = connect_pair(host, guest);
  EXPECT_EQ(host_path, mp::PathKind::relay);
  EXPECT_EQ(guest_path, mp::PathKind::relay);
  const auto [at_host, at_guest] = exchange(host, guest, 100);
  EXPECT_EQ(at_host, 100);
  EXPECT_EQ(at_guest, 100);
  const auto stats = host.client().peer_stats(guest.id());
  ASSERT_TRUE(stats);
  EXPECT_EQ(stats->path, mp::PathKind::relay);
}

TEST_F(DatagramTest, OneSideRelayOnlyStillConnects) {
  // Only one side refuses direct paths. Which path they end on is the peer network's choice
  // (docs/connectivity.md); what the application relies on is that both agree and traffic flows.
  TestPeer host({room_.url()}, "host");
  TestPeer guest({room_.url()}, "guest", [](mp::ClientConfig& c) { c.disable_direct = true; });
  const auto [host_path, guest_path] = connect_pair(host, guest);
  EXPECT_NE(host_path, mp::PathKind::none);
  EXPECT_EQ(host_path, guest_path);
  const auto [at_host, at_guest] = exchange(host, guest, 50);
  EXPECT_EQ(at_host, 50);
  EXPECT_EQ(at_guest, 50);
}

TEST_F(DatagramTest, PathMetricsReachTheServersHistory) {
  // Reports every 300 ms, and one more on leaving: the server's connection_metrics rows.
  auto often = [](mp::ClientConfig& c) { c.metrics_report_interval = milliseconds(300); };
  TestPeer host({room_.url()}, "host");
  TestPeer guest({room_.url()}, "guest", often);
  const auto [host_path, guest_path] = connect_pair(host, guest);
  ASSERT_EQ(guest_path, mp::PathKind::direct);
  exchange(host, guest, 20);
  auto rows_of = [&](const std::string& id) {
    return room_.query(
        "SELECT connection_type, latency_ms >= 0, packet_loss_rate <= 1 FROM "
        "connection_metrics WHERE client_id = \"" +
        id + "\"");
  };
  std::string rows;
  const auto deadline = std::chrono::steady_clock::now() + kWait;
  while (rows.empty() && std::chrono::steady_clock::now() < deadline) {
    guest.pump(milliseconds(50));
    host.pump(milliseconds(50));
    rows = rows_of(guest.id());
  }
  EXPECT_EQ(rows.substr(0, 11), "direct|1|1\n") << rows;
  // The host reports on its own schedule (5 minutes), and on leaving.
  EXPECT_EQ(rows_of(host.id()), "");
  ASSERT_FALSE(host.call([](mp::Client& c) { return c.leave_room(); }).error);
  std::string host_rows;
  const auto leave_deadline = std::chrono::steady_clock::now() + kWait;
  while (host_rows.empty() && std::chrono::steady_clock::now() < leave_deadline) {
    host.pump(milliseconds(50));
    host_rows = rows_of(host.id());
  }
  EXPECT_EQ(host_rows, "direct|1|1\n");
}

TEST_F(DatagramTest, BroadcastReachesEveryPeer) {
  TestPeer host({room_.url()}, "host");
  TestPeer a({room_.url()}, "a");
  TestPeer b({room_.url()}, "b");
  const mp::RoomInfo room = create_room(host);
  ASSERT_FALSE(a.call([&](mp::Client& c) { return c.join_room(room.id); }).error);
  ASSERT_FALSE(b.call([&](mp::Client& c) { return c.join_room(room.id); }).error);
  ASSERT_TRUE(host.wait_peer(a.id()));
  ASSERT_TRUE(host.wait_peer(b.id()));
  ASSERT_TRUE(a.wait_peer(host.id()));
  ASSERT_TRUE(b.wait_peer(host.id()));
  ASSERT_TRUE(host.client().broadcast(as_bytes("to all")));
  for (TestPeer* p : {&a, &b}) {
    const auto deadline = std::chrono::steady_clock::now() + kWait;
    while (p->datagrams().empty() && std::chrono::steady_clock::now() < deadline) p->pump();
    ASSERT_FALSE(p->datagrams().empty());
    EXPECT_EQ(p->datagrams().front().from, host.id());
    EXPECT_EQ(as_string(p->datagrams().front().data), "to all");
  }
  // A member leaving takes its peer away.
  ASSERT_FALSE(b.call([](mp::Client& c) { return c.leave_room(); }).error);
  auto gone = host.wait_event([&](const mp::Event& e) {
    return e.type == EventType::peer_disconnected && e.peer_id == b.id();
  });
  EXPECT_TRUE(gone);
  EXPECT_FALSE(host.client().peer_stats(b.id()));
}

}  // namespace
}  // namespace sudachi::client::test

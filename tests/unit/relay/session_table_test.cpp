#include <gtest/gtest.h>

#include <vector>

#include "relay/session_table.hpp"

namespace sudachi::relay {
namespace {

using wire::Status;

Endpoint ep(std::uint16_t port) {
  Endpoint e;
  e.family = 4;
  e.port = port;
  e.addr = {127, 0, 0, 1};
  return e;
}

wire::SessionId sid(std::uint8_t n) {
  wire::SessionId id{};
  id[0] = n;
  id[15] = n;
  return id;
}

BindRequest udp(std::uint8_t session, std::uint8_t slot, const char* client, std::uint16_t port,
                std::uint64_t key = 0) {
  BindRequest r;
  r.session_id = sid(session);
  r.slot = slot;
  r.client_id = client;
  r.from = ep(port);
  r.rebind_key = key;
  return r;
}

class SessionTableTest : public ::testing::Test {
 protected:
  SessionBudget budget{2};
  SessionTable table{SessionLimits{1000, 5000, 0}, budget};
};

TEST_F(SessionTableTest, PairsTwoSlotsAndFindsByEndpoint) {
  auto a = table.bind(udp(1, 0, "alice", 1000), 0);
  ASSERT_EQ(a.status, Status::ok);
  EXPECT_TRUE(a.created);
  EXPECT_FALSE(a.session->paired());
  EXPECT_NE(a.session->slots[0].rebind_key, 0u);
  auto b = table.bind(udp(1, 1, "bob", 2000), 10);
  ASSERT_EQ(b.status, Status::ok);
  EXPECT_TRUE(b.newly_paired);
  EXPECT_EQ(b.session, a.session);
  EXPECT_EQ(table.find(ep(1000)).slot, 0);
  EXPECT_EQ(table.find(ep(2000)).slot, 1);
  EXPECT_EQ(table.find(ep(3000)).session, nullptr);
  EXPECT_EQ(budget.active(), 1);
}

TEST_F(SessionTableTest, RetransmittedHelloIsIdempotent) {
  auto a = table.bind(udp(1, 0, "alice", 1000), 0);
  const auto key = a.session->slots[0].rebind_key;
  auto again = table.bind(udp(1, 0, "alice", 1000), 5);
  EXPECT_EQ(again.status, Status::ok);
  EXPECT_FALSE(again.created);
  EXPECT_EQ(again.session->slots[0].rebind_key, key);
}

TEST_F(SessionTableTest, ReplayAndThirdPeerAreRefused) {
  table.bind(udp(1, 0, "alice", 1000), 0);
  EXPECT_EQ(table.bind(udp(1, 0, "alice", 1001), 1).status,
            Status::session_full);  // replay, no key
  EXPECT_EQ(table.bind(udp(1, 0, "alice", 1001, 12345), 1).status,
            Status::session_full);                                                    // wrong key
  EXPECT_EQ(table.bind(udp(1, 0, "mallory", 1002), 1).status, Status::session_full);  // third peer
  EXPECT_EQ(table.find(ep(1000)).slot, 0);
}

TEST_F(SessionTableTest, RebindWithKeyMovesTheSlot) {
  auto a = table.bind(udp(1, 0, "alice", 1000), 0);
  const auto key = a.session->slots[0].rebind_key;
  auto moved = table.bind(udp(1, 0, "alice", 1500, key), 1);
  ASSERT_EQ(moved.status, Status::ok);
  EXPECT_TRUE(moved.rebound);
  EXPECT_EQ(table.find(ep(1000)).session, nullptr);
  EXPECT_EQ(table.find(ep(1500)).session, a.session);
  // Even with an expired token, the key proves it is the same peer.
  auto r = udp(1, 0, "alice", 1600, key);
  r.token_expired = true;
  EXPECT_EQ(table.bind(r, 2).status, Status::ok);
  r.rebind_key = key + 1;
  r.from = ep(1700);
  EXPECT_EQ(table.bind(r, 3).status, Status::expired);
}

TEST_F(SessionTableTest, ExpiredTokenCannotOpenOrJoin) {
  auto r = udp(1, 0, "alice", 1000);
  r.token_expired = true;
  EXPECT_EQ(table.bind(r, 0).status, Status::expired);
  table.bind(udp(2, 0, "alice", 1000), 0);
  auto late = udp(2, 1, "bob", 2000);
  late.token_expired = true;
  EXPECT_EQ(table.bind(late, 0).status, Status::expired);
}

TEST_F(SessionTableTest, AddressInUseAndProtocolMismatch) {
  table.bind(udp(1, 0, "alice", 1000), 0);
  EXPECT_EQ(table.bind(udp(1, 1, "bob", 1000), 0).status, Status::address_in_use);
  EXPECT_EQ(table.bind(udp(2, 0, "carol", 1000), 0).status, Status::address_in_use);
  BindRequest tcp;
  tcp.session_id = sid(1);
  tcp.slot = 1;
  tcp.client_id = "bob";
  tcp.transport = Transport::tcp;
  EXPECT_EQ(table.bind(tcp, 0).status, Status::protocol_mismatch);
}

TEST_F(SessionTableTest, CapacityAndDraining) {
  ASSERT_EQ(table.bind(udp(1, 0, "a", 1000), 0).status, Status::ok);
  ASSERT_EQ(table.bind(udp(2, 0, "b", 1001), 0).status, Status::ok);
  EXPECT_EQ(table.bind(udp(3, 0, "c", 1002), 0).status, Status::over_capacity);
  auto drain = udp(4, 0, "d", 1003);
  drain.draining = true;
  EXPECT_EQ(table.bind(drain, 0).status, Status::draining);
  auto join = udp(1, 1, "e", 1004);
  join.draining = true;  // the second peer of an open session may still join
  EXPECT_EQ(table.bind(join, 0).status, Status::ok);
}

TEST_F(SessionTableTest, SweepClosesUnpairedAndIdleSessions) {
  table.bind(udp(1, 0, "a", 1000), 0);  // never paired
  table.bind(udp(2, 0, "b", 2000), 0);
  table.bind(udp(2, 1, "c", 2001), 0);
  std::vector<wire::CloseReason> closed;
  auto collect = [&](Session&, wire::CloseReason r, SessionEnd) { closed.push_back(r); };
  table.sweep(999, collect);
  EXPECT_TRUE(closed.empty());
  table.sweep(1000, collect);
  ASSERT_EQ(closed.size(), 1u);
  EXPECT_EQ(closed[0], wire::CloseReason::pairing_timeout);
  EXPECT_EQ(table.find(ep(1000)).session, nullptr);
  table.find(ep(2000)).session->last_activity_ms = 3000;  // activity postpones idleness
  table.sweep(5000, collect);
  EXPECT_EQ(closed.size(), 1u);
  table.sweep(8000, collect);
  ASSERT_EQ(closed.size(), 2u);
  EXPECT_EQ(closed[1], wire::CloseReason::idle_timeout);
  EXPECT_EQ(table.size(), 0u);
  EXPECT_EQ(budget.active(), 0);
}

// Keepalives alone do not hold a session: without DATA it ends after the data idle timeout,
// and nothing outlives the maximum lifetime.
TEST(SessionTableExpiry, DataIdleTimeoutAndMaxLifetime) {
  SessionBudget budget{10};
  SessionLimits limits;
  limits.pairing_timeout_ms = 1000;
  limits.idle_timeout_ms = 5000;
  limits.data_idle_timeout_ms = 20'000;
  limits.max_lifetime_ms = 100'000;
  SessionTable table{limits, budget};
  table.bind(udp(1, 0, "a", 1000), 0);
  table.bind(udp(1, 1, "b", 1001), 100);  // paired at 100: the data clock starts
  table.bind(udp(2, 0, "c", 2000), 0);
  table.bind(udp(2, 1, "d", 2001), 0);
  std::vector<std::pair<wire::CloseReason, SessionEnd>> closed;
  auto collect = [&](Session&, wire::CloseReason r, SessionEnd e) { closed.emplace_back(r, e); };
  Session* kept_alive = table.find(sid(1));
  Session* busy = table.find(sid(2));
  for (std::int64_t t = 1000; t < 20'100; t += 1000) {  // keepalives only, every second
    kept_alive->last_activity_ms = t;
    busy->last_activity_ms = t;
    busy->last_data_ms = t;
    table.sweep(t, collect);
  }
  EXPECT_TRUE(closed.empty());
  kept_alive->last_activity_ms = 20'100;
  table.sweep(20'100, collect);
  ASSERT_EQ(closed.size(), 1u);
  EXPECT_EQ(closed[0].first, wire::CloseReason::idle_timeout);  // to the peers: idle
  EXPECT_EQ(closed[0].second, SessionEnd::data_idle_timeout);   // to the operator: no data
  EXPECT_EQ(table.find(sid(1)), nullptr);
  for (std::int64_t t = 21'000; t < 100'000; t += 1000) {
    busy->last_activity_ms = t;
    busy->last_data_ms = t;
    table.sweep(t, collect);
  }
  EXPECT_EQ(closed.size(), 1u);
  table.sweep(100'000, collect);
  ASSERT_EQ(closed.size(), 2u);
  EXPECT_EQ(closed[1].first, wire::CloseReason::max_lifetime);
  EXPECT_EQ(closed[1].second, SessionEnd::max_lifetime);
  EXPECT_EQ(budget.active(), 0);
}

TEST(SessionTableExpiry, ZeroDisablesDataIdleAndLifetime) {
  SessionBudget budget{10};
  SessionLimits limits;
  limits.idle_timeout_ms = 5000;
  limits.data_idle_timeout_ms = 0;
  limits.max_lifetime_ms = 0;
  SessionTable table{limits, budget};
  table.bind(udp(1, 0, "a", 1000), 0);
  table.bind(udp(1, 1, "b", 1001), 0);
  int closed = 0;
  for (std::int64_t t = 1000; t < 1'000'000; t += 1000) {
    table.find(sid(1))->last_activity_ms = t;
    table.sweep(t, [&](Session&, wire::CloseReason, SessionEnd) { ++closed; });
  }
  EXPECT_EQ(closed, 0);
}

TEST(SessionTableIpLimits, WaitingAndBoundSlotsPerIp) {
  SessionBudget budget{100};
  IpSessionLimits ip{3, 2};
  SessionTable table{SessionLimits{}, budget, &ip};
  auto from = [](std::uint8_t host, std::uint16_t port) {
    Endpoint e = ep(port);
    e.addr[3] = host;
    return e;
  };
  auto bind = [&](std::uint8_t session, std::uint8_t slot, std::uint8_t host, std::uint16_t port) {
    auto r = udp(session, slot, slot == 0 ? "a" : "b", port);
    r.from = from(host, port);
    return table.bind(r, 0);
  };
  EXPECT_EQ(bind(1, 0, 1, 1000).status, Status::ok);
  EXPECT_EQ(bind(2, 0, 1, 1001).status, Status::ok);
  const auto third = bind(3, 0, 1, 1002);
  EXPECT_EQ(third.status, Status::over_capacity);
  EXPECT_EQ(third.ip_limit, IpSessionLimits::Verdict::too_many_waiting);
  EXPECT_EQ(budget.active(), 2);  // a refusal takes no budget
  EXPECT_EQ(ip.waiting(from(1, 0)), 2u);
  EXPECT_EQ(bind(1, 1, 2, 2000).status, Status::ok);  // host 2 joins: host 1 waits once less
  EXPECT_EQ(ip.waiting(from(1, 0)), 1u);
  EXPECT_EQ(bind(3, 0, 1, 1002).status, Status::ok);
  EXPECT_EQ(ip.slots(from(1, 0)), 3u);
  const auto fourth = bind(4, 0, 1, 1003);
  EXPECT_EQ(fourth.ip_limit, IpSessionLimits::Verdict::too_many_slots);

  // Re-binding to another IP counts there, and frees the old one.
  const std::uint64_t key = table.find(sid(2))->slots[0].rebind_key;
  auto move = udp(2, 0, "a", 3000, key);
  move.from = from(3, 3000);
  EXPECT_EQ(table.bind(move, 1).status, Status::ok);
  EXPECT_EQ(ip.slots(from(1, 0)), 2u);
  EXPECT_EQ(ip.slots(from(3, 0)), 1u);
  EXPECT_EQ(ip.waiting(from(3, 0)), 1u);

  // Closing gives everything back: by close(), by the sweep, and by close_all().
  table.close(*table.find(sid(1)));
  EXPECT_EQ(ip.slots(from(2, 0)), 0u);
  table.sweep(1'000'000, [](Session&, wire::CloseReason, SessionEnd) {});
  EXPECT_EQ(ip.slots(from(1, 0)), 0u);
  EXPECT_EQ(ip.waiting(from(3, 0)), 0u);
  EXPECT_EQ(bind(5, 0, 1, 1005).status, Status::ok);
  EXPECT_EQ(bind(5, 1, 4, 4000).status, Status::ok);
  table.close_all([](Session&, wire::CloseReason, SessionEnd) {});
  EXPECT_EQ(ip.slots(from(1, 0)), 0u);
  EXPECT_EQ(ip.slots(from(4, 0)), 0u);
  EXPECT_EQ(budget.active(), 0);
}

TEST(SessionTableIpLimits, TcpSlotsCountUnderTheirPeersAddress) {
  SessionBudget budget{100};
  IpSessionLimits ip{1, 1};
  SessionTable table{SessionLimits{}, budget, &ip};
  BindRequest tcp;
  tcp.session_id = sid(1);
  tcp.client_id = "a";
  tcp.transport = Transport::tcp;
  tcp.from = ep(1000);
  EXPECT_EQ(table.bind(tcp, 0).status, Status::ok);
  tcp.session_id = sid(2);
  tcp.from = ep(1001);  // same IP, another connection
  EXPECT_EQ(table.bind(tcp, 0).status, Status::over_capacity);
  EXPECT_EQ(table.find(ep(1000)).session, nullptr);  // TCP is never in the UDP address map
}

TEST_F(SessionTableTest, CloseFreesEverything) {
  auto a = table.bind(udp(1, 0, "a", 1000), 0);
  table.bind(udp(1, 1, "b", 1001), 0);
  table.close(*a.session);
  EXPECT_EQ(table.size(), 0u);
  EXPECT_EQ(table.find(ep(1000)).session, nullptr);
  EXPECT_EQ(table.find(ep(1001)).session, nullptr);
  EXPECT_EQ(budget.active(), 0);
}

TEST(SessionOwner, BothLegsHashToOneWorker) {
  wire::SessionId id{};
  for (int i = 0; i < 16; ++i) id[i] = static_cast<std::uint8_t>(i * 37);
  EXPECT_EQ(owner_worker(id, 1), 0u);
  EXPECT_LT(owner_worker(id, 3), 3u);
  EXPECT_EQ(owner_worker(id, 3), owner_worker(id, 3));
}

}  // namespace
}  // namespace sudachi::relay

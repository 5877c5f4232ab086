#include "transport/connection_tracker.hpp"

#include <gtest/gtest.h>

#include <array>
#include <atomic>
#include <latch>
#include <thread>
#include <utility>
#include <vector>

namespace sudachi::transport {
namespace {

using Verdict = ConnectionTracker::Verdict;
using Ticket = ConnectionTracker::Ticket;

IpAddress ip(std::string_view text) {
  auto a = IpAddress::parse(text);
  EXPECT_TRUE(a.has_value()) << text;
  return a.value_or(IpAddress{});
}

TEST(ConnectionTracker, NoCapsAdmitsEverything) {
  const TrustedProxies none;
  ConnectionTracker tracker({0, 0}, none);
  std::vector<Ticket> tickets(100);
  for (auto& t : tickets) EXPECT_EQ(tracker.admit(ip("192.0.2.1"), t), Verdict::accepted);
  EXPECT_EQ(tracker.open(), 100u);
  tickets.clear();
  EXPECT_EQ(tracker.open(), 0u);
}

TEST(ConnectionTracker, GlobalCap) {
  const TrustedProxies none;
  ConnectionTracker tracker({3, 0}, none);
  Ticket a, b, c, d;
  EXPECT_EQ(tracker.admit(ip("192.0.2.1"), a), Verdict::accepted);
  EXPECT_EQ(tracker.admit(ip("192.0.2.2"), b), Verdict::accepted);
  EXPECT_EQ(tracker.admit(ip("2001:db8::1"), c), Verdict::accepted);
  EXPECT_EQ(tracker.admit(ip("192.0.2.4"), d), Verdict::over_global_cap);
  EXPECT_EQ(tracker.open(), 3u);
  // A refusal leaves nothing counted: destroying the empty ticket releases nothing.
  d = Ticket{};
  EXPECT_EQ(tracker.open(), 3u);
  b.release();
  EXPECT_EQ(tracker.open(), 2u);
  EXPECT_EQ(tracker.admit(ip("192.0.2.4"), d), Verdict::accepted);
  EXPECT_EQ(tracker.open(), 3u);
}

TEST(ConnectionTracker, PerIpCap) {
  const TrustedProxies none;
  ConnectionTracker tracker({0, 2}, none);
  const IpAddress attacker = ip("198.51.100.7");
  Ticket a1, a2, a3, a4, other;
  EXPECT_EQ(tracker.admit(attacker, a1), Verdict::accepted);
  EXPECT_EQ(tracker.admit(attacker, a2), Verdict::accepted);
  EXPECT_EQ(tracker.admit(attacker, a3), Verdict::over_ip_cap);
  // The same host written as v4-mapped IPv6 is the same key.
  EXPECT_EQ(tracker.admit(ip("::ffff:198.51.100.7"), a4), Verdict::over_ip_cap);
  EXPECT_EQ(tracker.open_from(attacker), 2u);
  // Others are not affected, and refusals are not counted anywhere.
  EXPECT_EQ(tracker.admit(ip("198.51.100.8"), other), Verdict::accepted);
  EXPECT_EQ(tracker.open_from(ip("198.51.100.8")), 1u);
  EXPECT_EQ(tracker.open(), 3u);
  a1.release();
  EXPECT_EQ(tracker.open_from(attacker), 1u);
  EXPECT_EQ(tracker.admit(attacker, a3), Verdict::accepted);
  EXPECT_EQ(tracker.open_from(attacker), 2u);
}

TEST(ConnectionTracker, GlobalCapAppliesBeforePerIpCap) {
  const TrustedProxies none;
  ConnectionTracker tracker({2, 5}, none);
  Ticket a, b, c;
  EXPECT_EQ(tracker.admit(ip("192.0.2.1"), a), Verdict::accepted);
  EXPECT_EQ(tracker.admit(ip("192.0.2.1"), b), Verdict::accepted);
  EXPECT_EQ(tracker.admit(ip("192.0.2.1"), c), Verdict::over_global_cap);
  EXPECT_EQ(tracker.open_from(ip("192.0.2.1")), 2u);
}

TEST(ConnectionTracker, TrustedProxiesAreExemptFromThePerIpCapOnly) {
  auto parsed = TrustedProxies::parse("127.0.0.1/32,10.0.0.0/8");
  ASSERT_TRUE(parsed.ok());
  const TrustedProxies trusted = std::move(parsed).value();
  ConnectionTracker tracker({6, 1}, trusted);
  std::vector<Ticket> proxy(5);
  for (auto& t : proxy) EXPECT_EQ(tracker.admit(ip("127.0.0.1"), t), Verdict::accepted);
  EXPECT_EQ(tracker.open_from(ip("127.0.0.1")), 0u);  // not entered in the table
  Ticket lb, lb2;
  EXPECT_EQ(tracker.admit(ip("10.1.1.1"), lb), Verdict::accepted);
  EXPECT_EQ(tracker.open(), 6u);
  // The global cap still holds for them.
  EXPECT_EQ(tracker.admit(ip("10.1.1.1"), lb2), Verdict::over_global_cap);
  proxy.clear();
  EXPECT_EQ(tracker.open(), 1u);
  // A host next to the proxy is not exempt.
  Ticket n1, n2;
  EXPECT_EQ(tracker.admit(ip("127.0.0.2"), n1), Verdict::accepted);
  EXPECT_EQ(tracker.admit(ip("127.0.0.2"), n2), Verdict::over_ip_cap);
}

TEST(ConnectionTracker, TicketReleasesOnDestruction) {
  const TrustedProxies none;
  ConnectionTracker tracker({1, 1}, none);
  {
    Ticket t;
    ASSERT_EQ(tracker.admit(ip("192.0.2.1"), t), Verdict::accepted);
    EXPECT_EQ(tracker.open(), 1u);
    EXPECT_EQ(tracker.open_from(ip("192.0.2.1")), 1u);
  }
  EXPECT_EQ(tracker.open(), 0u);
  EXPECT_EQ(tracker.open_from(ip("192.0.2.1")), 0u);
  Ticket again;
  EXPECT_EQ(tracker.admit(ip("192.0.2.1"), again), Verdict::accepted);
}

TEST(ConnectionTracker, ReleaseIsIdempotent) {
  const TrustedProxies none;
  ConnectionTracker tracker({0, 0}, none);
  Ticket a, b;
  ASSERT_EQ(tracker.admit(ip("192.0.2.1"), a), Verdict::accepted);
  ASSERT_EQ(tracker.admit(ip("192.0.2.1"), b), Verdict::accepted);
  a.release();
  a.release();
  EXPECT_EQ(tracker.open(), 1u);
  Ticket empty;
  empty.release();
  EXPECT_EQ(tracker.open(), 1u);
}

TEST(ConnectionTracker, MoveTransfersTheCountOnce) {
  const TrustedProxies none;
  ConnectionTracker tracker({0, 3}, none);
  const IpAddress peer = ip("192.0.2.9");
  Ticket first;
  ASSERT_EQ(tracker.admit(peer, first), Verdict::accepted);
  {
    Ticket moved(std::move(first));
    first = Ticket{};  // the moved-from ticket holds nothing: resetting it releases nothing
    EXPECT_EQ(tracker.open(), 1u);
    EXPECT_EQ(tracker.open_from(peer), 1u);
    std::vector<Ticket> holder;
    holder.push_back(std::move(moved));
    holder.reserve(64);  // reallocation moves it again
    EXPECT_EQ(tracker.open(), 1u);
    EXPECT_EQ(tracker.open_from(peer), 1u);
  }
  EXPECT_EQ(tracker.open(), 0u);
  EXPECT_EQ(tracker.open_from(peer), 0u);
}

TEST(ConnectionTracker, MoveAssignmentReleasesWhatTheTargetHeld) {
  const TrustedProxies none;
  ConnectionTracker tracker({0, 3}, none);
  const IpAddress p1 = ip("192.0.2.1");
  const IpAddress p2 = ip("192.0.2.2");
  Ticket a, b;
  ASSERT_EQ(tracker.admit(p1, a), Verdict::accepted);
  ASSERT_EQ(tracker.admit(p2, b), Verdict::accepted);
  a = std::move(b);
  EXPECT_EQ(tracker.open(), 1u);
  EXPECT_EQ(tracker.open_from(p1), 0u);
  EXPECT_EQ(tracker.open_from(p2), 1u);
  Ticket& self = a;
  a = std::move(self);  // self-move keeps the count
  EXPECT_EQ(tracker.open(), 1u);
  EXPECT_EQ(tracker.open_from(p2), 1u);
  a = Ticket{};
  EXPECT_EQ(tracker.open(), 0u);
  EXPECT_EQ(tracker.open_from(p2), 0u);
}

TEST(ConnectionTracker, AdmitIntoAHeldTicketReleasesTheOldPlace) {
  const TrustedProxies none;
  ConnectionTracker tracker({0, 1}, none);
  Ticket t;
  ASSERT_EQ(tracker.admit(ip("192.0.2.1"), t), Verdict::accepted);
  ASSERT_EQ(tracker.admit(ip("192.0.2.2"), t), Verdict::accepted);
  EXPECT_EQ(tracker.open(), 1u);
  EXPECT_EQ(tracker.open_from(ip("192.0.2.1")), 0u);
  EXPECT_EQ(tracker.open_from(ip("192.0.2.2")), 1u);
}

// Several acceptor threads admitting and releasing at once: the caps are never exceeded and
// every count returns to zero. The test keeps its own counts of the tickets held (raised after
// admit() returns, lowered before a ticket is released), which are never above what the tracker
// holds; the tracker's own open() may pass the cap for an instant while it turns one away.
TEST(ConnectionTracker, ConcurrentAdmitAndRelease) {
  constexpr std::size_t kGlobal = 12;
  constexpr std::size_t kPerIp = 2;
  constexpr int kThreads = 8;
  constexpr int kRounds = 3000;
  constexpr std::size_t kPeers = 5;
  constexpr std::size_t kHold = 8;  // more than one thread may hold per peer: refusals happen
  const TrustedProxies none;
  ConnectionTracker tracker({kGlobal, kPerIp}, none);
  std::vector<IpAddress> peers;
  for (std::size_t i = 0; i < kPeers; ++i)
    peers.push_back(ip("198.51.100." + std::to_string(i + 1)));

  std::atomic<std::size_t> held_total{0};
  std::array<std::atomic<std::size_t>, kPeers> held_per_ip{};
  std::atomic<std::size_t> max_total{0};
  std::atomic<std::size_t> max_per_ip{0};
  std::atomic<std::size_t> accepted{0};
  std::atomic<std::size_t> refused{0};
  const auto raise_max = [](std::atomic<std::size_t>& max, std::size_t v) {
    std::size_t seen = max.load();
    while (v > seen && !max.compare_exchange_weak(seen, v)) {
    }
  };
  struct Held {
    std::size_t peer;
    Ticket ticket;
  };
  std::latch start(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      start.arrive_and_wait();
      std::vector<Held> held;
      const auto drop_oldest = [&] {
        held_per_ip[held.front().peer].fetch_sub(1);
        held_total.fetch_sub(1);
        held.erase(held.begin());  // the ticket is released here, after the counts went down
      };
      for (int r = 0; r < kRounds; ++r) {
        const std::size_t p = static_cast<std::size_t>(t * 7 + r) % kPeers;
        Ticket ticket;
        if (tracker.admit(peers[p], ticket) == Verdict::accepted) {
          accepted.fetch_add(1);
          raise_max(max_total, held_total.fetch_add(1) + 1);
          raise_max(max_per_ip, held_per_ip[p].fetch_add(1) + 1);
          held.push_back(Held{p, std::move(ticket)});
        } else {
          refused.fetch_add(1);
        }
        // Release some, oldest first, so that both paths keep running.
        if (held.size() > kHold || (r % 5 == 0 && !held.empty())) drop_oldest();
      }
      while (!held.empty()) drop_oldest();
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_LE(max_total.load(), kGlobal);
  EXPECT_LE(max_per_ip.load(), kPerIp);
  EXPECT_GT(accepted.load(), 0u);
  EXPECT_GT(refused.load(), 0u);  // one thread alone wants more than kPerIp of a peer
  EXPECT_EQ(accepted.load() + refused.load(), static_cast<std::size_t>(kThreads) * kRounds);
  EXPECT_EQ(tracker.open(), 0u);
  for (const auto& peer : peers) EXPECT_EQ(tracker.open_from(peer), 0u) << peer.to_string();
}

}  // namespace
}  // namespace sudachi::transport

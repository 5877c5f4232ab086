#include "storage/memory/memory_relay_sessions.hpp"

#include <atomic>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "common/clock.hpp"

namespace sudachi::storage {
namespace {

room::RelaySessionRecord record(std::uint8_t tag, std::int64_t expires_at_ms = 1'700'000'060'000) {
  room::RelaySessionRecord r;
  r.session_id.fill(tag);
  r.relay =
      room::RelayEndpoint{"relay-" + std::to_string(tag), "relay.example.org", 3478, 3479, "eu"};
  r.expires_at_ms = expires_at_ms;
  return r;
}

// claim() through its callback, as the service calls it.
room::RelaySessionRecord claim(MemoryRelaySessions& sessions, room::RelaySessionKey key,
                               room::RelaySessionRecord candidate, std::int64_t ttl_ms = 60'000) {
  std::optional<room::RelaySessionRecord> out;
  sessions.claim(std::move(key), std::move(candidate), ttl_ms,
                 [&](Result<room::RelaySessionRecord> r) {
                   ASSERT_TRUE(r.ok());
                   out = *r;
                 });
  EXPECT_TRUE(out.has_value()) << "the callback runs inline";
  return out.value_or(room::RelaySessionRecord{});
}

TEST(RelaySessionKey, NormalisesTheUnorderedPair) {
  const room::RelaySessionKey ab = room::RelaySessionKey{"r", "b", "a"}.normalized();
  EXPECT_EQ(ab.room_id, "r");
  EXPECT_EQ(ab.client_a, "a");
  EXPECT_EQ(ab.client_b, "b");
  const room::RelaySessionKey same = room::RelaySessionKey{"r", "a", "b"}.normalized();
  EXPECT_EQ(same.client_a, "a");
  EXPECT_EQ(same.client_b, "b");
}

TEST(MemoryRelaySessions, FirstClaimStoresTheCandidateAndTheMirroredClaimGetsIt) {
  ManualClock clock;
  MemoryRelaySessions sessions(clock);
  const auto first = claim(sessions, {"room", "alice", "bob"}, record(1));
  EXPECT_EQ(first.session_id, record(1).session_id);
  EXPECT_EQ(first.relay.id, "relay-1");
  EXPECT_EQ(sessions.size(), 1u);

  // The peer reports the same failure: (b, a) is the same pair.
  const auto mirrored = claim(sessions, {"room", "bob", "alice"}, record(2));
  EXPECT_EQ(mirrored.session_id, record(1).session_id);
  EXPECT_EQ(mirrored.relay.id, "relay-1");
  EXPECT_EQ(mirrored.relay.host, "relay.example.org");
  EXPECT_EQ(mirrored.relay.udp_port, 3478);
  EXPECT_EQ(mirrored.relay.tcp_port, 3479);
  EXPECT_EQ(mirrored.expires_at_ms, record(1).expires_at_ms);
  // A repeated report too.
  EXPECT_EQ(claim(sessions, {"room", "alice", "bob"}, record(3)).session_id, record(1).session_id);
  EXPECT_EQ(sessions.size(), 1u);
}

TEST(MemoryRelaySessions, PairsAndRoomsAreDistinct) {
  ManualClock clock;
  MemoryRelaySessions sessions(clock);
  claim(sessions, {"room", "alice", "bob"}, record(1));
  EXPECT_EQ(claim(sessions, {"room", "alice", "carol"}, record(2)).session_id,
            record(2).session_id);
  EXPECT_EQ(claim(sessions, {"other", "alice", "bob"}, record(3)).session_id, record(3).session_id);
  // Ids are not concatenated ambiguously.
  EXPECT_EQ(claim(sessions, {"room", "alice:b", "ob"}, record(4)).session_id, record(4).session_id);
  EXPECT_EQ(claim(sessions, {"roomalice", "", "bob"}, record(5)).session_id, record(5).session_id);
  EXPECT_EQ(sessions.size(), 5u);
}

TEST(MemoryRelaySessions, AnExpiredSessionIsReplaced) {
  ManualClock clock;
  MemoryRelaySessions sessions(clock);
  claim(sessions, {"room", "alice", "bob"}, record(1), 30'000);
  clock.advance_ms(29'999);
  EXPECT_EQ(claim(sessions, {"room", "bob", "alice"}, record(2), 30'000).session_id,
            record(1).session_id);
  clock.advance_ms(1);
  EXPECT_EQ(claim(sessions, {"room", "bob", "alice"}, record(2), 30'000).session_id,
            record(2).session_id);
  // The new one lives its own TTL.
  clock.advance_ms(29'999);
  EXPECT_EQ(claim(sessions, {"room", "alice", "bob"}, record(3), 30'000).session_id,
            record(2).session_id);
  EXPECT_EQ(sessions.size(), 1u);
}

TEST(MemoryRelaySessions, SweepDropsExpiredSessionsOnly) {
  ManualClock clock;
  MemoryRelaySessions sessions(clock);
  for (int i = 0; i < 50; ++i)
    claim(sessions, {"room", "a" + std::to_string(i), "b"}, record(1), 10'000);
  clock.advance_ms(5'000);
  for (int i = 0; i < 20; ++i)
    claim(sessions, {"room", "c" + std::to_string(i), "d"}, record(2), 10'000);
  EXPECT_EQ(sessions.size(), 70u);
  sessions.sweep();
  EXPECT_EQ(sessions.size(), 70u);
  clock.advance_ms(5'000);
  sessions.sweep();
  EXPECT_EQ(sessions.size(), 20u);
  clock.advance_ms(5'000);
  sessions.sweep();
  EXPECT_EQ(sessions.size(), 0u);
}

TEST(MemoryRelaySessions, TheTableIsCappedAndFailsOpen) {
  ManualClock clock;
  MemoryRelaySessions sessions(clock, /*max_entries=*/64);  // 2 per shard
  for (int i = 0; i < 1000; ++i) {
    const auto got = claim(sessions, {"room", "p" + std::to_string(i), "q"},
                           record(static_cast<std::uint8_t>(i)));
    // Stored or not, the caller always gets a usable session.
    EXPECT_EQ(got.session_id, record(static_cast<std::uint8_t>(i)).session_id);
  }
  EXPECT_LE(sessions.size(), 64u);
  EXPECT_GT(sessions.not_stored(), 0u);
  // Once they expire, room again.
  clock.advance_ms(60'000);
  claim(sessions, {"room", "x", "y"}, record(7));
  EXPECT_EQ(claim(sessions, {"room", "y", "x"}, record(8)).session_id, record(7).session_id);
}

TEST(MemoryRelaySessions, ConcurrentMirroredClaimsAgree) {
  ManualClock clock;
  MemoryRelaySessions sessions(clock);
  std::vector<std::thread> threads;
  std::vector<room::RelaySessionRecord> got(32);
  for (int i = 0; i < 32; ++i) {
    threads.emplace_back([&, i] {
      got[i] = sessions.try_claim(
          i % 2 ? room::RelaySessionKey{"room", "a", "b"} : room::RelaySessionKey{"room", "b", "a"},
          record(static_cast<std::uint8_t>(i + 1)), 60'000);
    });
  }
  for (auto& t : threads) t.join();
  for (const auto& r : got) EXPECT_EQ(r.session_id, got[0].session_id);
  EXPECT_EQ(sessions.size(), 1u);
}

}  // namespace
}  // namespace sudachi::storage

#include <gtest/gtest.h>

#include "client/p2p/frame.hpp"
#include "p2p_session_sim.hpp"

namespace sudachi::client::p2p {
namespace {

using test::Nat;
using test::Sim;

bool connected(test::Side& s) {
  for (const auto& e : s.events)
    if (e.kind == PeerEvent::Kind::connected) return true;
  return false;
}

PathKind path_of(test::Side& s) {
  for (const auto& e : s.events)
    if (e.kind == PeerEvent::Kind::connected) return e.path;
  return PathKind::none;
}

// Runs a pair to connection on both sides and checks that data flows both ways.
void expect_pair(Nat nat_a, Nat nat_b, PathKind expected, std::int64_t max_connect_ms,
                 SessionConfig config = {}, bool same_lan = false) {
  Sim sim(nat_a, nat_b, config, same_lan);
  sim.start_both();
  const std::int64_t start = sim.now();
  ASSERT_TRUE(sim.run_until([&] { return connected(sim.a()) && connected(sim.b()); }, 5000))
      << "a " << to_string(sim.a().session->state()) << " b "
      << to_string(sim.b().session->state());
  EXPECT_LE(sim.now() - start, max_connect_ms);
  EXPECT_EQ(path_of(sim.a()), expected);
  EXPECT_EQ(path_of(sim.b()), expected);
  ASSERT_EQ(sim.a().successes.size(), 1u);
  EXPECT_EQ(sim.a().successes[0].first, expected);
  ASSERT_EQ(sim.b().successes.size(), 1u);
  // Both directions carry data on the chosen path.
  const std::vector<std::uint8_t> ping = {1, 2, 3}, pong = {4, 5};
  ASSERT_TRUE(sim.a().session->send(ping, sim.now()));
  ASSERT_TRUE(sim.b().session->send(pong, sim.now()));
  sim.run_for(50);
  ASSERT_EQ(sim.b().delivered.size(), 1u);
  EXPECT_EQ(sim.b().delivered[0], ping);
  ASSERT_EQ(sim.a().delivered.size(), 1u);
  EXPECT_EQ(sim.a().delivered[0], pong);
  // Keepalives measure the path and see no loss.
  sim.run_for(3000);
  const PeerStats s = sim.a().session->stats(sim.now());
  EXPECT_EQ(s.path, expected);
  EXPECT_GT(s.rtt_ms, 0);
  EXPECT_EQ(s.loss, 0);
  EXPECT_EQ(s.datagrams_sent, 1u);
  EXPECT_EQ(s.bytes_received, pong.size());
  EXPECT_GE(s.connect_ms, 0);
}

TEST(P2pSession, OpenInternetIsDirect) {
  expect_pair(Nat::none, Nat::none, PathKind::direct, 200);
}

TEST(P2pSession, EndpointIndependentNatsAreDirect) {
  expect_pair(Nat::full_cone, Nat::port_restricted, PathKind::direct, 300);
  expect_pair(Nat::none, Nat::port_restricted, PathKind::direct, 300);
}

// The conntrack race: with priming both port-restricted sides open their NAT before the
// other's probes arrive; without it the first probe poisons the other NAT and only the relay
// is left.
TEST(P2pSession, PortRestrictedPairIsDirectThanksToPriming) {
  expect_pair(Nat::port_restricted, Nat::port_restricted, PathKind::direct, 400);
  // The same skew that defeats naive punching (next test) does not defeat priming.
  Sim sim(Nat::port_restricted, Nat::port_restricted);
  sim.extra_signal_delay_from_b_ms = 30;
  sim.start_both();
  ASSERT_TRUE(sim.run_until([&] { return connected(sim.a()) && connected(sim.b()); }, 5000));
  EXPECT_EQ(path_of(sim.a()), PathKind::direct);
  EXPECT_EQ(path_of(sim.b()), PathKind::direct);
  EXPECT_TRUE(sim.a().poisoned.empty());
  EXPECT_TRUE(sim.b().poisoned.empty());
}

TEST(P2pSession, PortRestrictedPairWithoutPrimingFallsBackToRelay) {
  SessionConfig naive;
  naive.priming_ttl = 0;
  Sim sim(Nat::port_restricted, Nat::port_restricted, naive);
  // b starts probing 30 ms before a does: its probes reach a's NAT before a's first outbound.
  sim.extra_signal_delay_from_b_ms = 30;
  sim.start_both();
  ASSERT_TRUE(sim.run_until([&] { return connected(sim.a()) && connected(sim.b()); }, 5000));
  EXPECT_EQ(path_of(sim.a()), PathKind::relay);
  EXPECT_TRUE(!sim.a().poisoned.empty() || !sim.b().poisoned.empty());
}

TEST(P2pSession, PrimingPrecedesFullProbesToPublicAddresses) {
  Sim sim(Nat::port_restricted, Nat::port_restricted);
  sim.start_both();
  ASSERT_TRUE(sim.run_until([&] { return connected(sim.a()) && connected(sim.b()); }, 5000));
  for (int i = 0; i < 2; ++i) {
    const Endpoint peer_public = [&] {
      Endpoint e = sim.other(i).public_ip;
      e.port = sim.other(i).host.port;
      return e;
    }();
    bool primed = false;
    for (const auto& [at, to, bytes, ttl] : sim.side(i).sent) {
      if (to != peer_public) continue;
      if (ttl > 0) {
        EXPECT_EQ(ttl, 3);
        primed = true;
      } else {
        EXPECT_TRUE(primed) << "a full probe reached the peer's NAT before priming";
      }
    }
    EXPECT_TRUE(primed);
    EXPECT_TRUE(sim.side(i).poisoned.empty());
  }
}

TEST(P2pSession, SymmetricReachesPublicAndConeThroughPeerReflexive) {
  expect_pair(Nat::symmetric, Nat::none, PathKind::direct, 400);
  expect_pair(Nat::none, Nat::symmetric, PathKind::direct, 400);
  expect_pair(Nat::symmetric, Nat::full_cone, PathKind::direct, 400);
}

TEST(P2pSession, SymmetricAgainstFilteringNatsUsesTheRelay) {
  SessionConfig c;
  expect_pair(Nat::symmetric, Nat::port_restricted, PathKind::relay, c.failure_timeout_ms + 200, c);
  expect_pair(Nat::symmetric, Nat::symmetric, PathKind::relay, c.failure_timeout_ms + 200, c);
}

TEST(P2pSession, SameLanIsDirectOverHostCandidates) {
  expect_pair(Nat::port_restricted, Nat::port_restricted, PathKind::direct, 200, {}, true);
}

TEST(P2pSession, FailureIsReportedAfterTheConfiguredTimeout) {
  SessionConfig c;
  c.failure_timeout_ms = 1200;
  Sim sim(Nat::symmetric, Nat::symmetric, c);
  sim.auto_relay = false;
  sim.start_both();
  const std::int64_t start = sim.now();
  ASSERT_TRUE(sim.run_until([&] { return sim.a().failures > 0; }, 5000));
  // Checking starts once both signals are in (one signal delay), then the full timeout.
  EXPECT_GE(sim.now() - start, c.failure_timeout_ms);
  EXPECT_LE(sim.now() - start, c.failure_timeout_ms + 2 * sim.signal_delay_ms + 2);
  EXPECT_EQ(sim.a().session->state(), PeerState::relay_requested);
  // No use:relay within the bound: failed, once.
  ASSERT_TRUE(sim.run_until([&] { return sim.a().session->state() == PeerState::failed; },
                            c.relay_request_timeout_ms + 100));
  int failed = 0;
  for (const auto& e : sim.a().events) failed += e.kind == PeerEvent::Kind::failed;
  EXPECT_EQ(failed, 1);
  EXPECT_FALSE(sim.a().session->send(std::vector<std::uint8_t>{1}, sim.now()));
}

TEST(P2pSession, UdpBlockedGoesToTheTcpRelayAtOnce) {
  Sim sim(Nat::udp_blocked, Nat::port_restricted);
  sim.start_both();
  ASSERT_TRUE(sim.run_until([&] { return connected(sim.a()) && connected(sim.b()); }, 3000));
  EXPECT_LT(sim.now() - 1'000'000, 200);  // no 1.5 s of useless probing
  for (int i = 0; i < 2; ++i) {
    ASSERT_FALSE(sim.side(i).relays_opened.empty());
    EXPECT_EQ(sim.side(i).relays_opened.back().second, RelayTransport::tcp) << i;
  }
  EXPECT_EQ(path_of(sim.b()), PathKind::relay);
}

// The STUN verdict "UDP blocked" comes after the gathering timeout (the signal already went
// out, checks started): both sides still skip the rest of the probing.
TEST(P2pSession, LateUdpBlockedVerdictGoesToTheRelayAtOnce) {
  SessionConfig c;
  c.gather_timeout_ms = 100;
  Sim sim(Nat::udp_blocked, Nat::none, c);
  test::Side& a = sim.a();
  test::Side& b = sim.b();
  Secret sa, sb;
  sa.fill(0x55);
  sb.fill(0x66);
  b.session = std::make_unique<PeerSession>("b", "a", sb, 0x4343, c, b, sim.now());
  b.session->update_local(b.local_info(), sim.now());
  a.session = std::make_unique<PeerSession>("a", "b", sa, 0x4242, c, a, sim.now());
  LocalInfo li = a.local_info();
  li.gathering_done = false;
  li.udp_ok = true;
  a.session->update_local(li, sim.now());
  sim.run_for(150);
  ASSERT_EQ(a.session->state(), PeerState::checking);
  li.gathering_done = true;
  li.udp_ok = false;
  a.session->update_local(li, sim.now());
  const std::int64_t verdict = sim.now();
  ASSERT_TRUE(sim.run_until([&] { return connected(a) && connected(b); }, 3000));
  EXPECT_LT(sim.now() - verdict, 300);  // not the 1.5 s failure timeout
  EXPECT_EQ(path_of(a), PathKind::relay);
  ASSERT_FALSE(a.relays_opened.empty());
  ASSERT_FALSE(b.relays_opened.empty());
  EXPECT_EQ(a.relays_opened.back().second, RelayTransport::tcp);
  EXPECT_EQ(b.relays_opened.back().second, RelayTransport::tcp);
}

// use:relay reaches a side that is still gathering (the peer gave up at once): that side has
// sent no signal yet, and without it the peer has no key to check the relay path with.
TEST(P2pSession, UseRelayWhileGatheringStillSignals) {
  SessionConfig slow;
  slow.gather_timeout_ms = 5000;
  SessionConfig no_direct;
  no_direct.allow_direct = false;
  Sim sim(Nat::none, Nat::none);
  test::Side& a = sim.a();
  test::Side& b = sim.b();
  Secret sa, sb;
  sa.fill(0x21);
  sb.fill(0x22);
  a.session = std::make_unique<PeerSession>("a", "b", sa, 0x5151, slow, a, sim.now());
  LocalInfo gathering = a.local_info();
  gathering.gathering_done = false;
  a.session->update_local(gathering, sim.now());
  b.session = std::make_unique<PeerSession>("b", "a", sb, 0x5252, no_direct, b, sim.now());
  b.session->update_local(b.local_info(), sim.now());
  ASSERT_TRUE(sim.run_until([&] { return connected(a) && connected(b); }, 2000))
      << "a " << to_string(a.session->state()) << " b " << to_string(b.session->state());
  EXPECT_EQ(path_of(a), PathKind::relay);
  EXPECT_EQ(path_of(b), PathKind::relay);
  EXPECT_EQ(a.signals.size(), 1u);
  // The STUN answer comes later: one complete signal more, and the relay path stays.
  a.session->update_local(a.local_info(), sim.now());
  sim.run_for(100);
  EXPECT_EQ(a.session->state(), PeerState::relay);
}

TEST(P2pSession, DirectPathLossMovesToTheRelay) {
  Sim sim(Nat::none, Nat::full_cone);
  sim.start_both();
  ASSERT_TRUE(sim.run_until([&] { return connected(sim.a()) && connected(sim.b()); }, 2000));
  ASSERT_EQ(path_of(sim.a()), PathKind::direct);
  sim.drop_direct = true;
  SessionConfig defaults;
  ASSERT_TRUE(sim.run_until([&] { return sim.a().session->state() == PeerState::relay; },
                            defaults.path_dead_ms + 2000));
  bool changed = false;
  for (const auto& e : sim.a().events)
    changed = changed || (e.kind == PeerEvent::Kind::path_changed && e.path == PathKind::relay);
  EXPECT_TRUE(changed);
  EXPECT_TRUE(sim.a().session->send(std::vector<std::uint8_t>{9}, sim.now()));
  sim.run_for(50);
  ASSERT_FALSE(sim.b().delivered.empty());
}

// Attackers: one that never saw the signals (forged MAC), one that replays a recorded probe
// from its own address (it wants the answers, or to be learned as the peer), and a reflection
// of our own probe.
TEST(P2pSession, ForgedReplayedAndReflectedProbesAreIgnored) {
  Sim sim(Nat::none, Nat::none);
  sim.start_both();
  ASSERT_TRUE(sim.run_until([&] { return connected(sim.a()) && connected(sim.b()); }, 2000));
  const Endpoint attacker = test::v4(198, 51, 100, 66, 6666);

  // A probe b really sent to a, recorded on the wire.
  std::vector<std::uint8_t> recorded;
  for (const auto& [at, to, bytes, ttl] : sim.b().sent)
    if (bytes[0] == static_cast<std::uint8_t>(frame::Type::check) && to == sim.a().host)
      recorded = bytes;
  ASSERT_FALSE(recorded.empty());
  const std::size_t sent_before = sim.a().sent.size();
  sim.a().session->on_direct_frame(attacker, recorded, sim.now());  // replay

  // Forged: the right tag (it is in the clear), a made-up MAC.
  std::vector<std::uint8_t> forged = recorded;
  forged[20] ^= 1;
  sim.a().session->on_direct_frame(attacker, forged, sim.now());
  forged = recorded;
  forged[12] ^= 0x7f;  // a fresh sequence number, but the MAC no longer matches
  sim.a().session->on_direct_frame(attacker, forged, sim.now());

  // Reflected: a's own probe sent back to a.
  std::vector<std::uint8_t> own;
  for (const auto& [at, to, bytes, ttl] : sim.a().sent)
    if (bytes[0] == static_cast<std::uint8_t>(frame::Type::check)) own = bytes;
  ASSERT_FALSE(own.empty());
  sim.a().session->on_direct_frame(attacker, own, sim.now());

  // Data from anyone but the selected path's address.
  std::vector<std::uint8_t> data(frame::kDataHeaderSize + 3, 0);
  frame::encode_data_header(
      std::span<std::uint8_t, frame::kDataHeaderSize>(data.data(), frame::kDataHeaderSize),
      sim.a().session->local_tag());
  sim.a().session->on_direct_frame(attacker, data, sim.now());

  // Nothing was answered, nothing delivered, and the path did not move.
  for (std::size_t i = sent_before; i < sim.a().sent.size(); ++i)
    EXPECT_NE(std::get<1>(sim.a().sent[i]), attacker);
  EXPECT_TRUE(sim.a().delivered.empty());
  EXPECT_EQ(sim.a().session->stats(sim.now()).remote_address, sim.b().host.to_string());
}

// A player whose policy forbids direct paths stays on the relay whichever side controls:
// the other side's probes go unanswered and its nominations are not followed.
TEST(P2pSession, DirectDisabledOnEitherSideMeansRelayForBoth) {
  for (int no_direct = 0; no_direct < 2; ++no_direct) {
    Sim sim(Nat::none, Nat::none);
    SessionConfig c;
    c.allow_direct = false;
    sim.side_config[no_direct] = c;
    sim.start_both();
    ASSERT_TRUE(sim.run_until([&] { return connected(sim.a()) && connected(sim.b()); }, 5000))
        << "side without direct: " << no_direct;
    EXPECT_EQ(path_of(sim.a()), PathKind::relay) << no_direct;
    EXPECT_EQ(path_of(sim.b()), PathKind::relay) << no_direct;
    // Keepalives and a late probe of the peer change nothing.
    sim.run_for(3000);
    EXPECT_EQ(sim.a().session->state(), PeerState::relay) << no_direct;
    EXPECT_EQ(sim.b().session->state(), PeerState::relay) << no_direct;
    // Nothing the restricted side sent went anywhere but the relay.
    EXPECT_TRUE(sim.side(no_direct).sent.empty()) << no_direct;
    ASSERT_TRUE(sim.a().session->send(std::vector<std::uint8_t>{7}, sim.now()));
    sim.run_for(50);
    ASSERT_EQ(sim.b().delivered.size(), 1u);
  }
}

TEST(P2pSession, GatheringTimeoutSendsTheSignalWithoutReflexiveAddress) {
  SessionConfig c;
  c.gather_timeout_ms = 300;
  test::Side out;
  Secret s{};
  PeerSession session("a", "b", s, 1, c, out, 0);
  LocalInfo li;
  li.host = {{CandidateType::host, test::v4(10, 0, 0, 2, 4000), 1}};
  session.update_local(li, 0);  // gathering not done
  EXPECT_EQ(session.state(), PeerState::gathering);
  EXPECT_EQ(session.tick(100), 300);
  EXPECT_TRUE(out.signals.empty());
  session.tick(300);
  EXPECT_EQ(session.state(), PeerState::checking);
  ASSERT_EQ(out.signals.size(), 1u);
  auto m = decode_signal(out.signals[0]);
  ASSERT_TRUE(m);
  EXPECT_EQ(m->candidates.size(), 1u);
  // The reflexive address arrives later: one more (complete) signal.
  li.srflx = Candidate{CandidateType::srflx, test::v4(203, 0, 113, 1, 4000), 1};
  li.gathering_done = true;
  session.update_local(li, 400);
  ASSERT_EQ(out.signals.size(), 2u);
  EXPECT_EQ(decode_signal(out.signals[1])->candidates.size(), 2u);
  session.update_local(li, 450);  // nothing new: nothing sent
  EXPECT_EQ(out.signals.size(), 2u);
}

TEST(P2pSession, PeerRestartChecksAgain) {
  Sim sim(Nat::none, Nat::none);
  sim.start_both();
  ASSERT_TRUE(sim.run_until([&] { return connected(sim.a()) && connected(sim.b()); }, 2000));
  // b comes back as a new process: new secret, new tag.
  Secret fresh;
  fresh.fill(0x77);
  test::Side& b = sim.b();
  const std::size_t signals_before = sim.a().signals.size();
  b.events.clear();
  b.session = std::make_unique<PeerSession>("b", "a", fresh, 0x9999, SessionConfig{}, b, sim.now());
  b.session->update_local(b.local_info(), sim.now());
  ASSERT_TRUE(sim.run_until(
      [&] { return connected(b) && sim.a().session->state() == PeerState::direct; }, 2000));
  EXPECT_GT(sim.a().signals.size(), signals_before);  // a answered the new generation
  EXPECT_EQ(sim.a().session->state(), PeerState::direct);
  ASSERT_TRUE(b.session->send(std::vector<std::uint8_t>{42}, sim.now()));
  sim.run_for(20);
  ASSERT_FALSE(sim.a().delivered.empty());
  EXPECT_EQ(sim.a().delivered.back(), std::vector<std::uint8_t>{42});
}

TEST(P2pSession, OversizedSendAndClosedSessionRefuse) {
  Sim sim(Nat::none, Nat::none);
  sim.start_both();
  ASSERT_TRUE(sim.run_until([&] { return connected(sim.a()) && connected(sim.b()); }, 2000));
  std::vector<std::uint8_t> big(kMaxDatagramPayload + 1, 0);
  EXPECT_FALSE(sim.a().session->send(big, sim.now()));
  big.pop_back();
  EXPECT_TRUE(sim.a().session->send(big, sim.now()));
  sim.a().session->close(sim.now());
  EXPECT_EQ(sim.a().events.back().kind, PeerEvent::Kind::disconnected);
  EXPECT_FALSE(sim.a().session->send(big, sim.now()));
}

}  // namespace
}  // namespace sudachi::client::p2p

#include "protocol/engineio/server_session.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <iterator>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace sudachi::engineio {
namespace {

using namespace std::string_view_literals;

// Small limits and short times, so that every bound is reached in a few steps.
SessionConfig test_config() {
  SessionConfig c;
  c.ping_interval_ms = 1000;
  c.ping_timeout_ms = 500;
  c.upgrade_timeout_ms = 300;
  c.connect_timeout_ms = 10'000;
  c.max_payload = 100;
  c.max_queued_frames = 4;
  c.max_queued_bytes = 64;
  c.max_packets_per_payload = 3;
  c.final_poll_wait_ms = 200;
  return c;
}

Frame frame(std::string_view text) {
  return std::make_shared<const std::string>(text);
}

std::vector<std::string> texts(const std::vector<Frame>& frames) {
  std::vector<std::string> out;
  for (const Frame& f : frames) out.push_back(*f);
  return out;
}

const std::string kBadRequest = encode_http_error(HttpErrorCode::bad_request);
const std::string kUnknownSid = encode_http_error(HttpErrorCode::unknown_sid);

bool nothing_to_do(const Effects& e) {
  return e.probe_frames.empty() && !e.promote_probe && !e.get_reply && !e.close_probe &&
         !e.probe_misbehaved && !e.close_primary && e.final_frames.empty() && !e.closed &&
         !e.forget;
}

class SessionTest : public ::testing::Test {
 protected:
  static constexpr std::int64_t t0 = 1'000'000;

  void start(Transport transport = Transport::polling) {
    session_ = std::make_unique<ServerSession>(config_, transport, t0);
  }
  ServerSession& s() { return *session_; }
  Effects effects() {
    Effects e;
    session_->take_effects(e);
    return e;
  }
  // Parks a GET and checks that nothing answered it.
  void park_get(std::int64_t now = t0) {
    ASSERT_FALSE(s().on_poll_get(now).has_value());
    ASSERT_TRUE(nothing_to_do(effects()));
  }
  // A probe WebSocket that has answered "2probe" with "3probe".
  void start_probing(std::int64_t now = t0) {
    ASSERT_TRUE(s().on_probe_open(now));
    ASSERT_FALSE(s().on_ws_text(Link::probe, "2probe", now).has_value());
    const Effects e = effects();
    ASSERT_EQ(texts(e.probe_frames), std::vector<std::string>{"3probe"});
    ASSERT_FALSE(e.close_probe);
  }
  void expect_closed(const Effects& e, CloseReason reason) {
    EXPECT_TRUE(s().closed());
    EXPECT_EQ(s().close_reason(), reason);
    EXPECT_EQ(e.closed, reason);
  }

  SessionConfig config_ = test_config();
  std::unique_ptr<ServerSession> session_;
};

// ---------------------------------------------------------------- polling

TEST_F(SessionTest, NewSession) {
  start();
  EXPECT_EQ(s().transport(), Transport::polling);
  EXPECT_FALSE(s().closed());
  EXPECT_FALSE(s().close_reason().has_value());
  EXPECT_EQ(s().next_deadline(), t0 + 1000);  // the first ping, before the connect timeout
  EXPECT_TRUE(nothing_to_do(effects()));
  start(Transport::websocket);
  EXPECT_EQ(s().transport(), Transport::websocket);
  EXPECT_FALSE(s().ws_frames_pending());
}

TEST_F(SessionTest, GetIsParkedThenAnsweredBySend) {
  start();
  park_get();
  s().send(frame("42[\"a\"]"));
  const Effects e = effects();
  ASSERT_TRUE(e.get_reply.has_value());
  EXPECT_EQ(e.get_reply->status, 200);
  EXPECT_EQ(e.get_reply->content_type, "text/plain; charset=UTF-8");
  EXPECT_EQ(e.get_reply->body, "42[\"a\"]");
  EXPECT_FALSE(e.closed);
  // Answered once; the next send waits for the next GET.
  s().send(frame("4b"));
  EXPECT_TRUE(nothing_to_do(effects()));
  const auto reply = s().on_poll_get(t0 + 1);
  ASSERT_TRUE(reply.has_value());
  EXPECT_EQ(reply->status, 200);
  EXPECT_EQ(reply->body, "4b");
  // The queue was drained: the next GET parks.
  park_get(t0 + 2);
}

TEST_F(SessionTest, SendsDuringOneInputGoOutInOneReply) {
  start();
  park_get();
  s().send(frame("4a"));
  s().send(frame("4b"));
  s().send(frame("4c"));
  const Effects e = effects();
  ASSERT_TRUE(e.get_reply.has_value());
  EXPECT_EQ(e.get_reply->body,
            "4a\x1e"
            "4b\x1e"
            "4c");
  EXPECT_TRUE(nothing_to_do(effects()));
}

TEST_F(SessionTest, GetWithQueuedFramesIsAnsweredAtOnce) {
  start();
  s().send(frame("4a"));
  s().send(frame("4b"));
  EXPECT_TRUE(nothing_to_do(effects()));
  const auto reply = s().on_poll_get(t0);
  ASSERT_TRUE(reply.has_value());
  EXPECT_EQ(reply->body,
            "4a\x1e"
            "4b");
  EXPECT_TRUE(nothing_to_do(effects()));
}

TEST_F(SessionTest, AbandonedGetIsNotAnswered) {
  start();
  park_get();
  s().on_poll_get_abandoned();
  s().send(frame("4a"));
  EXPECT_TRUE(nothing_to_do(effects()));
  const auto reply = s().on_poll_get(t0 + 1);
  ASSERT_TRUE(reply.has_value());
  EXPECT_EQ(reply->body, "4a");
}

TEST_F(SessionTest, PostIsDecodedIntoPackets) {
  start();
  std::vector<Packet> packets{Packet{}};  // stale content is replaced
  const PollReply reply = s().on_poll_post(
      "4hello\x1e"
      "4world\x1e"
      "bAQID",
      packets);
  EXPECT_EQ(reply.status, 200);
  EXPECT_EQ(reply.body, "ok");
  ASSERT_EQ(packets.size(), 3U);
  const auto a = s().on_packet(packets[0].type, packets[0].data, packets[0].binary, t0);
  ASSERT_TRUE(a.has_value());
  EXPECT_FALSE(a->binary);
  EXPECT_EQ(a->data, "hello");
  const auto b = s().on_packet(packets[1].type, packets[1].data, packets[1].binary, t0);
  ASSERT_TRUE(b.has_value());
  EXPECT_EQ(b->data, "world");
  const auto c = s().on_packet(packets[2].type, packets[2].data, packets[2].binary, t0);
  ASSERT_TRUE(c.has_value());
  EXPECT_TRUE(c->binary);
  EXPECT_EQ(c->data, "\x01\x02\x03"sv);
  EXPECT_FALSE(s().closed());
  EXPECT_TRUE(nothing_to_do(effects()));
}

TEST_F(SessionTest, PostOfExactlyMaxPayloadIsAccepted) {
  start();
  std::vector<Packet> packets;
  const std::string body = "4" + std::string(99, 'x');
  EXPECT_EQ(s().on_poll_post(body, packets).status, 200);
  EXPECT_EQ(packets.size(), 1U);
  EXPECT_FALSE(s().closed());
}

TEST_F(SessionTest, OversizePostIs413AndCloses) {
  start();
  std::vector<Packet> packets;
  const std::string body = "4" + std::string(100, 'x');
  const PollReply reply = s().on_poll_post(body, packets);
  EXPECT_EQ(reply.status, 413);
  EXPECT_TRUE(packets.empty());
  const Effects e = effects();
  expect_closed(e, CloseReason::payload_too_large);
  EXPECT_TRUE(e.forget);
  EXPECT_FALSE(e.get_reply.has_value());
  EXPECT_FALSE(e.close_primary);
}

TEST_F(SessionTest, OversizePostTellsTheParkedGet) {
  start();
  park_get();
  std::vector<Packet> packets;
  EXPECT_EQ(s().on_poll_post(std::string(101, '4'), packets).status, 413);
  const Effects e = effects();
  expect_closed(e, CloseReason::payload_too_large);
  ASSERT_TRUE(e.get_reply.has_value());
  EXPECT_EQ(e.get_reply->status, 200);
  EXPECT_EQ(e.get_reply->body, "1");
  EXPECT_TRUE(e.forget);
}

TEST_F(SessionTest, MalformedPostIs400AndCloses) {
  for (const std::string_view body : {""sv, "9"sv,
                                      "4a\x1e\x1e"
                                      "4b"sv,
                                      "4a\x1e"sv, "bA"sv,
                                      "6\x1e"
                                      "6\x1e"
                                      "6\x1e"
                                      "6"sv}) {
    start();
    std::vector<Packet> packets;
    const PollReply reply = s().on_poll_post(body, packets);
    EXPECT_EQ(reply.status, 400) << testing::PrintToString(body);
    EXPECT_EQ(reply.body, kBadRequest);
    EXPECT_TRUE(packets.empty());
    const Effects e = effects();
    expect_closed(e, CloseReason::protocol_violation);
    EXPECT_TRUE(e.forget);
  }
}

TEST_F(SessionTest, OverlappingGetClosesAndTheParkedGetGetsClose) {
  start();
  park_get();
  s().send(frame("4a"));  // same input: not yet flushed to the parked GET
  const auto second = s().on_poll_get(t0 + 1);
  ASSERT_TRUE(second.has_value());
  EXPECT_EQ(second->status, 400);
  EXPECT_EQ(second->body, kBadRequest);
  const Effects e = effects();
  expect_closed(e, CloseReason::overlapping_poll);
  ASSERT_TRUE(e.get_reply.has_value());
  EXPECT_EQ(e.get_reply->status, 200);
  EXPECT_EQ(e.get_reply->body,
            "4a\x1e"
            "1");
  EXPECT_TRUE(e.forget);
  // The session is gone for any later request.
  const auto third = s().on_poll_get(t0 + 2);
  ASSERT_TRUE(third.has_value());
  EXPECT_EQ(third->status, 400);
  EXPECT_EQ(third->body, kUnknownSid);
  std::vector<Packet> packets;
  EXPECT_EQ(s().on_poll_post("4x", packets).body, kUnknownSid);
  EXPECT_TRUE(nothing_to_do(effects()));
}

// ---------------------------------------------------------------- upgrade

TEST_F(SessionTest, UpgradeFromPollingToWebSocket) {
  start();
  park_get();
  ASSERT_TRUE(s().on_probe_open(t0 + 10));
  EXPECT_FALSE(s().on_probe_open(t0 + 11)) << "one probe at a time";
  EXPECT_TRUE(nothing_to_do(effects()));
  EXPECT_EQ(s().next_deadline(), t0 + 10 + 300);

  EXPECT_FALSE(s().on_ws_text(Link::probe, "2probe", t0 + 20).has_value());
  Effects e = effects();
  EXPECT_EQ(texts(e.probe_frames), std::vector<std::string>{"3probe"});
  ASSERT_TRUE(e.get_reply.has_value());  // the parked GET lets the client pause polling
  EXPECT_EQ(e.get_reply->status, 200);
  EXPECT_EQ(e.get_reply->body, "6");
  EXPECT_FALSE(e.promote_probe);
  EXPECT_FALSE(e.close_probe);
  EXPECT_EQ(s().transport(), Transport::polling);

  // Frames sent during the probe are held, not written to a GET.
  s().send(frame("4held1"));
  EXPECT_TRUE(nothing_to_do(effects()));
  const auto during = s().on_poll_get(t0 + 30);
  ASSERT_TRUE(during.has_value());
  EXPECT_EQ(during->body, "6");
  s().send(frame("4held2"));
  EXPECT_TRUE(nothing_to_do(effects()));
  EXPECT_FALSE(s().ws_frames_pending());

  EXPECT_FALSE(s().on_ws_text(Link::probe, "5", t0 + 40).has_value());
  e = effects();
  EXPECT_TRUE(e.promote_probe);
  EXPECT_FALSE(e.get_reply.has_value());
  EXPECT_FALSE(e.close_probe);
  EXPECT_FALSE(e.closed);
  EXPECT_EQ(s().transport(), Transport::websocket);
  EXPECT_EQ(s().next_deadline(), t0 + 1000) << "no upgrade deadline any more";

  // The new primary takes the held frames, in order, once.
  EXPECT_TRUE(s().ws_frames_pending());
  std::vector<Frame> out;
  EXPECT_TRUE(s().take_ws_frames(out));
  EXPECT_EQ(texts(out), (std::vector<std::string>{"4held1", "4held2"}));
  EXPECT_FALSE(s().take_ws_frames(out));
  EXPECT_EQ(out.size(), 2U);

  // Polling requests are refused now; WebSocket messages flow.
  const auto late = s().on_poll_get(t0 + 50);
  ASSERT_TRUE(late.has_value());
  EXPECT_EQ(late->status, 400);
  std::vector<Packet> packets;
  EXPECT_EQ(s().on_poll_post("4x", packets).status, 400);
  EXPECT_FALSE(s().closed());
  const auto in = s().on_ws_text(Link::primary, "4hi", t0 + 60);
  ASSERT_TRUE(in.has_value());
  EXPECT_EQ(in->data, "hi");
  EXPECT_FALSE(in->binary);
  EXPECT_FALSE(s().on_probe_open(t0 + 70)) << "already upgraded";
}

TEST_F(SessionTest, ProbeWithoutParkedGet) {
  start();
  start_probing();
  s().send(frame("4a"));
  EXPECT_FALSE(s().on_ws_text(Link::probe, "5", t0).has_value());
  const Effects e = effects();
  EXPECT_TRUE(e.promote_probe);
  EXPECT_FALSE(e.get_reply.has_value());
  std::vector<Frame> out;
  ASSERT_TRUE(s().take_ws_frames(out));
  EXPECT_EQ(texts(out), std::vector<std::string>{"4a"});
}

TEST_F(SessionTest, HeartbeatDuringTheProbeGoesToTheNewPrimary) {
  config_.upgrade_timeout_ms = 5000;
  start();
  start_probing();
  s().on_timer(t0 + 1000);
  EXPECT_TRUE(nothing_to_do(effects()));
  EXPECT_EQ(s().on_poll_get(t0 + 1001).value().body, "6") << "the ping stays held";
  EXPECT_FALSE(s().on_ws_text(Link::probe, "5", t0 + 1002).has_value());
  EXPECT_TRUE(effects().promote_probe);
  std::vector<Frame> out;
  ASSERT_TRUE(s().take_ws_frames(out));
  EXPECT_EQ(texts(out), std::vector<std::string>{"2"});
  EXPECT_FALSE(s().on_ws_text(Link::primary, "3", t0 + 1100).has_value());
  EXPECT_FALSE(s().closed());
  EXPECT_EQ(s().next_deadline(), t0 + 1100 + 1000);
}

struct Misbehaviour {
  const char* name;
  bool probing_first;  // "2probe" answered before the bad message
  bool binary;
  std::string_view message;
};

TEST_F(SessionTest, MisbehavingProbeIsClosedAndThePollingSessionGoesOn) {
  for (const Misbehaviour& m : {
           Misbehaviour{"ping without probe", false, false, "2"},
           Misbehaviour{"ping with other data", false, false, "2foo"},
           Misbehaviour{"upgrade before the probe ping", false, false, "5"},
           Misbehaviour{"message on the probe", false, false, "4hello"},
           Misbehaviour{"garbage", false, false, "x"},
           Misbehaviour{"empty", false, false, ""},
           Misbehaviour{"binary", false, true, "\x01"},
           Misbehaviour{"second probe ping", true, false, "2probe"},
           Misbehaviour{"upgrade with data", true, false, "5x"},
           Misbehaviour{"message while probing", true, false, "4hello"},
           Misbehaviour{"pong", true, false, "3probe"},
           Misbehaviour{"binary while probing", true, true, "5"},
           Misbehaviour{"base64 packet", true, false, "bNQ=="},
       }) {
    SCOPED_TRACE(m.name);
    start();
    if (m.probing_first) {
      start_probing();
    } else {
      ASSERT_TRUE(s().on_probe_open(t0));
    }
    s().send(frame("4kept"));
    if (m.binary) {
      EXPECT_FALSE(s().on_ws_binary(Link::probe, m.message, t0 + 1).has_value());
    } else {
      EXPECT_FALSE(s().on_ws_text(Link::probe, m.message, t0 + 1).has_value());
    }
    const Effects e = effects();
    EXPECT_TRUE(e.close_probe);
    EXPECT_TRUE(e.probe_misbehaved);
    EXPECT_FALSE(e.promote_probe);
    EXPECT_FALSE(e.closed);
    EXPECT_FALSE(s().closed());
    EXPECT_EQ(s().transport(), Transport::polling);
    EXPECT_EQ(s().next_deadline(), t0 + 1000) << "no upgrade deadline left";
    // Polling goes on with the frames held so far, and a new probe may come.
    const auto reply = s().on_poll_get(t0 + 2);
    ASSERT_TRUE(reply.has_value());
    EXPECT_EQ(reply->body, "4kept");
    // The closed probe's later messages change nothing.
    EXPECT_FALSE(s().on_ws_text(Link::probe, "5", t0 + 3).has_value());
    EXPECT_TRUE(nothing_to_do(effects()));
    EXPECT_EQ(s().transport(), Transport::polling);
    EXPECT_TRUE(s().on_probe_open(t0 + 4));
  }
}

TEST_F(SessionTest, UpgradeTimeoutClosesTheProbeAndKeepsPolling) {
  start();
  ASSERT_TRUE(s().on_probe_open(t0 + 100));
  EXPECT_EQ(s().next_deadline(), t0 + 400);
  s().on_timer(t0 + 399);
  EXPECT_TRUE(nothing_to_do(effects()));
  s().on_timer(t0 + 400);
  const Effects e = effects();
  EXPECT_TRUE(e.close_probe);
  EXPECT_FALSE(e.probe_misbehaved);
  EXPECT_FALSE(e.closed);
  EXPECT_FALSE(s().closed());
  EXPECT_EQ(s().transport(), Transport::polling);
  EXPECT_EQ(s().next_deadline(), t0 + 1000);
  park_get(t0 + 401);
  s().send(frame("4a"));
  EXPECT_EQ(effects().get_reply.value().body, "4a");
}

TEST_F(SessionTest, UpgradeTimeoutWhileProbingResumesNormalPolling) {
  start();
  start_probing(t0);
  s().send(frame("4held"));
  s().on_timer(t0 + 300);
  const Effects e = effects();
  EXPECT_TRUE(e.close_probe);
  EXPECT_FALSE(e.probe_misbehaved);
  EXPECT_FALSE(e.get_reply.has_value());
  // A GET is no longer answered with a NOOP: it gets the held frames.
  const auto reply = s().on_poll_get(t0 + 301);
  ASSERT_TRUE(reply.has_value());
  EXPECT_EQ(reply->body, "4held");
  park_get(t0 + 302);
  // A late upgrade on the dead probe does not promote anything.
  EXPECT_FALSE(s().on_ws_text(Link::probe, "5", t0 + 303).has_value());
  EXPECT_TRUE(nothing_to_do(effects()));
  EXPECT_EQ(s().transport(), Transport::polling);
}

// The transport promotes the probe when it takes the effects; the messages that follow "5"
// in the same read reach the session before that, still as the probe's. engine.io-client
// sends "5" and its buffered packets back to back: they are the new primary's and must not
// be lost (found by engineio_session_fuzz).
TEST_F(SessionTest, MessagesRightAfterTheUpgradeInTheSameReadReachTheUpperLayer) {
  start();
  park_get();
  start_probing();
  EXPECT_FALSE(s().on_ws_text(Link::probe, "5", t0 + 10).has_value());
  const auto text = s().on_ws_text(Link::probe, "42[\"buffered\"]", t0 + 11);
  ASSERT_TRUE(text.has_value());
  EXPECT_EQ(text->data, "2[\"buffered\"]");
  const auto bytes = s().on_ws_binary(Link::probe, "\x01\x02"sv, t0 + 12);
  ASSERT_TRUE(bytes.has_value());
  EXPECT_TRUE(bytes->binary);
  EXPECT_EQ(bytes->data, "\x01\x02"sv);
  const Effects e = effects();
  EXPECT_TRUE(e.promote_probe);
  EXPECT_FALSE(e.close_probe) << "the promoted link is not a misbehaving probe";
  EXPECT_FALSE(s().closed());
  // Once the transport has promoted it, the link is the primary as usual.
  const auto later = s().on_ws_text(Link::primary, "4x", t0 + 13);
  ASSERT_TRUE(later.has_value());
  EXPECT_EQ(later->data, "x");
}

TEST_F(SessionTest, PromotedProbeGoingAwayBeforeThePromotionIsTakenClosesTheSession) {
  start();
  start_probing();
  EXPECT_FALSE(s().on_ws_text(Link::probe, "5", t0 + 10).has_value());
  s().on_ws_closed(Link::probe, CloseReason::transport_close);
  // Without its only link the session cannot live on until a ping timeout.
  const Effects e = effects();
  expect_closed(e, CloseReason::transport_close);
  EXPECT_TRUE(e.forget);
}

TEST_F(SessionTest, ProbeClosedByThePeer) {
  start();
  start_probing();
  s().on_ws_closed(Link::probe, CloseReason::transport_close);
  EXPECT_TRUE(nothing_to_do(effects())) << "already gone: nothing to close";
  EXPECT_FALSE(s().closed());
  EXPECT_EQ(s().next_deadline(), t0 + 1000);
  park_get();
  EXPECT_TRUE(s().on_probe_open(t0 + 5));
}

TEST_F(SessionTest, ProbeIsRefusedWhenNotPollingOrClosed) {
  start(Transport::websocket);
  EXPECT_FALSE(s().on_probe_open(t0));
  start();
  s().close(CloseReason::server_shutdown);
  EXPECT_FALSE(s().on_probe_open(t0));
}

TEST_F(SessionTest, ServerCloseDuringTheProbeClosesIt) {
  start();
  start_probing();
  s().send(frame("4a"));
  s().close(CloseReason::server_disconnect);
  const Effects e = effects();
  expect_closed(e, CloseReason::server_disconnect);
  EXPECT_TRUE(e.close_probe);
  EXPECT_FALSE(e.probe_misbehaved);
  EXPECT_FALSE(e.promote_probe);
  EXPECT_FALSE(e.forget) << "waits for the final poll";
  // The client falls back to polling and collects the CLOSE.
  const auto reply = s().on_poll_get(t0 + 10);
  ASSERT_TRUE(reply.has_value());
  EXPECT_EQ(reply->body,
            "4a\x1e"
            "1");
  EXPECT_TRUE(effects().forget);
}

// ---------------------------------------------------------------- slow consumer

TEST_F(SessionTest, SlowConsumerOverPollingByFrameCount) {
  start();
  for (int i = 0; i < 4; ++i) s().send(frame("4x"));
  EXPECT_FALSE(s().closed()) << "exactly the limit is fine";
  EXPECT_TRUE(nothing_to_do(effects()));
  s().send(frame("4x"));
  const Effects e = effects();
  expect_closed(e, CloseReason::slow_consumer);
  EXPECT_TRUE(e.forget);
  EXPECT_FALSE(e.get_reply.has_value());
  EXPECT_FALSE(s().next_deadline().has_value());
  const auto reply = s().on_poll_get(t0 + 1);
  ASSERT_TRUE(reply.has_value());
  EXPECT_EQ(reply->body, kUnknownSid);
}

TEST_F(SessionTest, SlowConsumerOverPollingByBytes) {
  start();
  s().send(frame(std::string(64, 'x')));
  EXPECT_FALSE(s().closed());
  s().send(frame("y"));
  expect_closed(effects(), CloseReason::slow_consumer);
}

TEST_F(SessionTest, SlowConsumerWithAParkedGetAnswersItWithCloseOnly) {
  start();
  park_get();
  // One input (a broadcast burst) overflows the queue before the parked GET is answered.
  for (int i = 0; i < 5; ++i) s().send(frame("4burst"));
  const Effects e = effects();
  expect_closed(e, CloseReason::slow_consumer);
  ASSERT_TRUE(e.get_reply.has_value());
  EXPECT_EQ(e.get_reply->status, 200);
  EXPECT_EQ(e.get_reply->body, "1") << "the overflowing backlog is dropped";
  EXPECT_TRUE(e.forget);
}

TEST_F(SessionTest, SlowConsumerOverWebSocket) {
  start(Transport::websocket);
  for (int i = 0; i < 5; ++i) s().send(frame("4x"));
  const Effects e = effects();
  expect_closed(e, CloseReason::slow_consumer);
  EXPECT_TRUE(e.close_primary);
  EXPECT_TRUE(e.final_frames.empty()) << "the peer does not read: nothing more is written";
  EXPECT_TRUE(e.forget);
  EXPECT_FALSE(s().ws_frames_pending());
  std::vector<Frame> out;
  EXPECT_FALSE(s().take_ws_frames(out));
  EXPECT_TRUE(out.empty());
}

TEST_F(SessionTest, TakenFramesNoLongerCountTowardsTheLimit) {
  start(Transport::websocket);
  s().send(frame(std::string(60, 'a')));
  std::vector<Frame> out;
  ASSERT_TRUE(s().take_ws_frames(out));
  s().send(frame(std::string(60, 'b')));
  EXPECT_FALSE(s().closed());
  for (int i = 0; i < 3; ++i) s().send(frame("c"));
  EXPECT_FALSE(s().closed());
  EXPECT_TRUE(nothing_to_do(effects()));
}

TEST_F(SessionTest, SlowConsumerWhileAWriteIsInFlight) {
  start(Transport::websocket);
  const Frame a = frame("4a"), b = frame("4b"), c = frame("4c");
  s().send(a);
  s().send(b);
  s().send(c);
  std::vector<Frame> in_flight;
  ASSERT_TRUE(s().take_ws_frames(in_flight));
  EXPECT_FALSE(s().ws_frames_pending());
  ASSERT_EQ(in_flight.size(), 3U);
  EXPECT_EQ(in_flight[0], a);  // moved, not copied: the very same frames
  EXPECT_EQ(in_flight[1], b);
  EXPECT_EQ(in_flight[2], c);

  // The write does not finish; the application keeps sending.
  std::vector<Frame> later;
  for (const char* t : {"4d", "4e", "4f", "4g"}) {
    later.push_back(frame(t));
    s().send(later.back());
  }
  EXPECT_FALSE(s().closed());
  EXPECT_TRUE(s().ws_frames_pending());
  later.push_back(frame("4h"));
  s().send(later.back());

  const Effects e = effects();
  expect_closed(e, CloseReason::slow_consumer);
  EXPECT_TRUE(e.close_primary);
  EXPECT_TRUE(e.final_frames.empty());
  EXPECT_TRUE(e.forget);
  // The batch in flight is the link's, untouched; the session kept nothing and hands out
  // nothing more, so no frame is written twice.
  EXPECT_EQ(texts(in_flight), (std::vector<std::string>{"4a", "4b", "4c"}));
  EXPECT_EQ(a.use_count(), 2);  // this test's copy and the in-flight batch
  for (const Frame& f : later) EXPECT_EQ(f.use_count(), 1) << *f << " still held";
  EXPECT_FALSE(s().ws_frames_pending());
  EXPECT_FALSE(s().take_ws_frames(in_flight));
  EXPECT_EQ(in_flight.size(), 3U);
  s().send(frame("4late"));
  EXPECT_FALSE(s().ws_frames_pending());
  EXPECT_TRUE(nothing_to_do(effects())) << "closed is reported once";
}

TEST_F(SessionTest, ServerCloseDuringAWriteKeepsOrderWithoutDuplicates) {
  start(Transport::websocket);
  s().send(frame("4a"));
  s().send(frame("4b"));
  std::vector<Frame> in_flight;
  ASSERT_TRUE(s().take_ws_frames(in_flight));
  s().send(frame("4c"));
  s().send(frame("4d"));
  s().close(CloseReason::server_disconnect);
  const Effects e = effects();
  expect_closed(e, CloseReason::server_disconnect);
  EXPECT_TRUE(e.close_primary);
  // After the batch in flight: the frames queued since, in order; then the close.
  EXPECT_EQ(texts(in_flight), (std::vector<std::string>{"4a", "4b"}));
  EXPECT_EQ(texts(e.final_frames), (std::vector<std::string>{"4c", "4d"}));
  EXPECT_TRUE(e.forget);
  EXPECT_FALSE(s().take_ws_frames(in_flight));
  EXPECT_FALSE(s().ws_frames_pending());
  s().send(frame("4ignored"));
  EXPECT_TRUE(nothing_to_do(effects()));
  EXPECT_FALSE(s().next_deadline().has_value());
}

// ---------------------------------------------------------------- heartbeat

TEST_F(SessionTest, PingAtTheIntervalAndPongClearsIt) {
  start();
  park_get();
  s().on_timer(t0 + 999);
  EXPECT_TRUE(nothing_to_do(effects()));
  EXPECT_EQ(s().next_deadline(), t0 + 1000);
  s().on_timer(t0 + 1000);
  Effects e = effects();
  ASSERT_TRUE(e.get_reply.has_value());
  EXPECT_EQ(e.get_reply->body, "2");
  EXPECT_EQ(s().next_deadline(), t0 + 1500) << "now waiting for the pong";
  // A timer firing early sends no second ping.
  s().on_timer(t0 + 1200);
  EXPECT_FALSE(s().on_poll_get(t0 + 1201).has_value());
  EXPECT_FALSE(s().on_packet(PacketType::pong, "", false, t0 + 1300).has_value());
  EXPECT_EQ(s().next_deadline(), t0 + 2300) << "the next ping an interval after the pong";
  s().on_timer(t0 + 1500);
  EXPECT_FALSE(s().closed());
  EXPECT_TRUE(nothing_to_do(effects()));
  s().on_timer(t0 + 2300);
  e = effects();
  ASSERT_TRUE(e.get_reply.has_value());
  EXPECT_EQ(e.get_reply->body, "2");
}

TEST_F(SessionTest, UnsolicitedPongDoesNotPostponeThePing) {
  start();
  EXPECT_FALSE(s().on_packet(PacketType::pong, "", false, t0 + 500).has_value());
  EXPECT_FALSE(s().closed());
  EXPECT_EQ(s().next_deadline(), t0 + 1000);
  s().on_timer(t0 + 1000);
  EXPECT_EQ(s().on_poll_get(t0 + 1001).value().body, "2");
  // A second pong after the answered one changes nothing either.
  EXPECT_FALSE(s().on_packet(PacketType::pong, "", false, t0 + 1100).has_value());
  EXPECT_FALSE(s().on_packet(PacketType::pong, "", false, t0 + 1900).has_value());
  EXPECT_EQ(s().next_deadline(), t0 + 2100);
}

TEST_F(SessionTest, NoPongIsPingTimeout) {
  start();
  s().on_timer(t0 + 1000);
  EXPECT_EQ(s().on_poll_get(t0 + 1001).value().body, "2");
  s().on_timer(t0 + 1499);
  EXPECT_FALSE(s().closed());
  s().on_timer(t0 + 1500);
  const Effects e = effects();
  expect_closed(e, CloseReason::ping_timeout);
  EXPECT_TRUE(e.forget);
  EXPECT_FALSE(s().next_deadline().has_value());
}

TEST_F(SessionTest, PingTimeoutAnswersAParkedGetWithAValidPayload) {
  start();
  s().on_timer(t0 + 1000);
  EXPECT_EQ(s().on_poll_get(t0 + 1001).value().body, "2");
  park_get(t0 + 1002);  // the client polls again but never answers the ping
  s().on_timer(t0 + 1500);
  const Effects e = effects();
  expect_closed(e, CloseReason::ping_timeout);
  ASSERT_TRUE(e.get_reply.has_value());
  EXPECT_EQ(e.get_reply->status, 200);
  EXPECT_EQ(e.get_reply->body, "1") << "an empty body is not an Engine.IO payload";
  EXPECT_TRUE(e.forget);
}

TEST_F(SessionTest, HeartbeatOverWebSocket) {
  start(Transport::websocket);
  s().on_timer(t0 + 1000);
  EXPECT_TRUE(nothing_to_do(effects()));
  EXPECT_TRUE(s().ws_frames_pending());
  std::vector<Frame> out;
  ASSERT_TRUE(s().take_ws_frames(out));
  EXPECT_EQ(texts(out), std::vector<std::string>{"2"});
  EXPECT_FALSE(s().on_ws_text(Link::primary, "3", t0 + 1100).has_value());
  EXPECT_EQ(s().next_deadline(), t0 + 2100);
  s().on_timer(t0 + 2100);
  s().on_timer(t0 + 2600);
  const Effects e = effects();
  expect_closed(e, CloseReason::ping_timeout);
  EXPECT_TRUE(e.close_primary);
  EXPECT_TRUE(e.final_frames.empty()) << "a peer that stopped answering is not written to";
}

TEST_F(SessionTest, ClientPingIsAProtocolViolation) {
  start();
  EXPECT_FALSE(s().on_packet(PacketType::ping, "", false, t0).has_value());
  Effects e = effects();
  expect_closed(e, CloseReason::protocol_violation);
  EXPECT_TRUE(e.forget);

  start(Transport::websocket);
  EXPECT_FALSE(s().on_ws_text(Link::primary, "2", t0).has_value());
  e = effects();
  expect_closed(e, CloseReason::protocol_violation);
  EXPECT_TRUE(e.close_primary);

  start(Transport::websocket);
  EXPECT_FALSE(s().on_ws_text(Link::primary, "2probe", t0).has_value());
  expect_closed(effects(), CloseReason::protocol_violation);
}

TEST_F(SessionTest, OpenAndUpgradePacketsFromTheClientAreViolations) {
  for (const PacketType type : {PacketType::open, PacketType::upgrade}) {
    start();
    EXPECT_FALSE(s().on_packet(type, "", false, t0).has_value());
    expect_closed(effects(), CloseReason::protocol_violation);
  }
  start();
  EXPECT_FALSE(s().on_packet(PacketType::noop, "", false, t0).has_value());
  EXPECT_FALSE(s().closed()) << "NOOP is harmless";
}

// ---------------------------------------------------------------- connect timeout

TEST_F(SessionTest, ConnectTimeoutWithoutUpperConnected) {
  config_.connect_timeout_ms = 800;
  start();
  EXPECT_EQ(s().next_deadline(), t0 + 800);
  s().on_timer(t0 + 799);
  EXPECT_FALSE(s().closed());
  s().on_timer(t0 + 800);
  const Effects e = effects();
  expect_closed(e, CloseReason::connect_timeout);
  EXPECT_TRUE(e.forget);
}

TEST_F(SessionTest, UpperConnectedCancelsTheConnectTimeout) {
  config_.connect_timeout_ms = 800;
  start();
  s().upper_connected();
  EXPECT_EQ(s().next_deadline(), t0 + 1000);
  s().on_timer(t0 + 800);
  EXPECT_FALSE(s().closed());
  EXPECT_TRUE(nothing_to_do(effects()));
}

TEST_F(SessionTest, ConnectTimeoutOverWebSocketTellsThePeer) {
  config_.connect_timeout_ms = 800;
  start(Transport::websocket);
  s().send(frame("44{\"message\":\"x\"}"));
  s().on_timer(t0 + 800);
  const Effects e = effects();
  expect_closed(e, CloseReason::connect_timeout);
  EXPECT_TRUE(e.close_primary);
  EXPECT_EQ(texts(e.final_frames), std::vector<std::string>{"44{\"message\":\"x\"}"});
}

// ---------------------------------------------------------------- server close over polling

TEST_F(SessionTest, ServerDisconnectBetweenGetsWaitsForTheFinalPoll) {
  start();
  s().on_timer(t0 + 100);  // the latest time the session knows
  s().send(frame("4bye"));
  s().close(CloseReason::server_disconnect);
  Effects e = effects();
  expect_closed(e, CloseReason::server_disconnect);
  EXPECT_FALSE(e.forget) << "the client must still find the session";
  EXPECT_FALSE(e.get_reply.has_value());
  EXPECT_EQ(s().next_deadline(), t0 + 100 + 200);
  // Its next GET collects what was queued and the CLOSE packet.
  const auto reply = s().on_poll_get(t0 + 150);
  ASSERT_TRUE(reply.has_value());
  EXPECT_EQ(reply->status, 200);
  EXPECT_EQ(reply->body,
            "4bye\x1e"
            "1");
  e = effects();
  EXPECT_TRUE(e.forget);
  EXPECT_FALSE(e.closed) << "reported once, at the close";
  EXPECT_FALSE(s().next_deadline().has_value());
  const auto again = s().on_poll_get(t0 + 160);
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ(again->body, kUnknownSid);
  s().on_timer(t0 + 300);
  EXPECT_TRUE(nothing_to_do(effects()));
}

TEST_F(SessionTest, FinalPollWaitExpires) {
  start();
  s().close(CloseReason::server_shutdown);
  EXPECT_TRUE(effects().closed.has_value());
  EXPECT_EQ(s().next_deadline(), t0 + 200);
  s().on_timer(t0 + 199);
  EXPECT_TRUE(nothing_to_do(effects()));
  s().on_timer(t0 + 200);
  Effects e = effects();
  EXPECT_TRUE(e.forget);
  EXPECT_FALSE(e.closed);
  EXPECT_FALSE(s().next_deadline().has_value());
  const auto reply = s().on_poll_get(t0 + 201);
  ASSERT_TRUE(reply.has_value());
  EXPECT_EQ(reply->body, kUnknownSid);
  s().on_timer(t0 + 400);
  EXPECT_TRUE(nothing_to_do(effects())) << "forgotten once";
}

TEST_F(SessionTest, FinalPollWaitIsBoundedByThePingTimeout) {
  config_.final_poll_wait_ms = 5000;
  start();
  s().close(CloseReason::server_disconnect);
  EXPECT_EQ(s().next_deadline(), t0 + 500);
}

TEST_F(SessionTest, FinalPollRefusesPosts) {
  start();
  s().close(CloseReason::server_disconnect);
  std::vector<Packet> packets;
  const PollReply reply = s().on_poll_post("4late", packets);
  EXPECT_EQ(reply.status, 400);
  EXPECT_TRUE(packets.empty());
}

TEST_F(SessionTest, ServerDisconnectWithAParkedGetIsImmediate) {
  start();
  park_get();
  s().send(frame("4bye"));
  s().close(CloseReason::server_disconnect);
  const Effects e = effects();
  expect_closed(e, CloseReason::server_disconnect);
  ASSERT_TRUE(e.get_reply.has_value());
  EXPECT_EQ(e.get_reply->body,
            "4bye\x1e"
            "1");
  EXPECT_TRUE(e.forget);
  EXPECT_FALSE(s().next_deadline().has_value());
}

TEST_F(SessionTest, OtherServerClosesBetweenGetsForgetAtOnce) {
  start();
  s().send(frame("4a"));
  s().close(CloseReason::upper_violation);
  const Effects e = effects();
  expect_closed(e, CloseReason::upper_violation);
  EXPECT_TRUE(e.forget);
  EXPECT_FALSE(s().next_deadline().has_value());
}

// ---------------------------------------------------------------- client close

TEST_F(SessionTest, ClientClosePacketOverPolling) {
  start();
  std::vector<Packet> packets;
  ASSERT_EQ(s().on_poll_post("1", packets).status, 200);
  ASSERT_EQ(packets.size(), 1U);
  EXPECT_FALSE(s().on_packet(packets[0].type, packets[0].data, false, t0).has_value());
  const Effects e = effects();
  expect_closed(e, CloseReason::client_close);
  EXPECT_TRUE(e.forget);
  EXPECT_FALSE(e.get_reply.has_value());
}

TEST_F(SessionTest, ClientClosePacketEndsTheParkedGet) {
  start();
  park_get();
  s().send(frame("4unsent"));
  EXPECT_FALSE(s().on_packet(PacketType::close, "", false, t0 + 1).has_value());
  const Effects e = effects();
  expect_closed(e, CloseReason::client_close);
  ASSERT_TRUE(e.get_reply.has_value());
  EXPECT_EQ(e.get_reply->status, 200);
  // Some valid payload: NOOP (the client closed and knows) or CLOSE.
  EXPECT_TRUE(e.get_reply->body == "6" || e.get_reply->body.ends_with("1")) << e.get_reply->body;
  EXPECT_TRUE(e.forget);
}

TEST_F(SessionTest, ClientClosePacketOverWebSocket) {
  start(Transport::websocket);
  s().send(frame("4a"));
  EXPECT_FALSE(s().on_ws_text(Link::primary, "1", t0).has_value());
  const Effects e = effects();
  expect_closed(e, CloseReason::client_close);
  EXPECT_TRUE(e.close_primary);
  EXPECT_EQ(texts(e.final_frames), std::vector<std::string>{"4a"});
  EXPECT_TRUE(e.forget);
}

// ---------------------------------------------------------------- WebSocket primary

TEST_F(SessionTest, WebSocketMessages) {
  start(Transport::websocket);
  const auto text = s().on_ws_text(Link::primary, "42[\"ev\"]", t0);
  ASSERT_TRUE(text.has_value());
  EXPECT_FALSE(text->binary);
  EXPECT_EQ(text->data, "2[\"ev\"]");
  const auto bin = s().on_ws_binary(Link::primary, "\x00\xff"sv, t0);
  ASSERT_TRUE(bin.has_value());
  EXPECT_TRUE(bin->binary);
  EXPECT_EQ(bin->data, "\x00\xff"sv);
  EXPECT_FALSE(s().on_ws_text(Link::primary, "6", t0).has_value());
  EXPECT_FALSE(s().closed());
}

TEST_F(SessionTest, BadWebSocketTextIsAViolation) {
  for (const std::string_view text : {""sv, "9"sv, "x"sv, "0"sv, "5"sv, "/"sv}) {
    start(Transport::websocket);
    EXPECT_FALSE(s().on_ws_text(Link::primary, text, t0).has_value());
    const Effects e = effects();
    expect_closed(e, CloseReason::protocol_violation);
    EXPECT_TRUE(e.close_primary);
    EXPECT_TRUE(e.forget);
  }
}

TEST_F(SessionTest, WebSocketMessagesOnAPollingSessionAreViolations) {
  start();
  EXPECT_FALSE(s().on_ws_text(Link::primary, "4x", t0).has_value());
  expect_closed(effects(), CloseReason::protocol_violation);
  start();
  EXPECT_FALSE(s().on_ws_binary(Link::primary, "x", t0).has_value());
  expect_closed(effects(), CloseReason::protocol_violation);
}

TEST_F(SessionTest, PrimaryWebSocketGoingAway) {
  for (const CloseReason why : {CloseReason::transport_close, CloseReason::transport_error,
                                CloseReason::payload_too_large}) {
    start(Transport::websocket);
    s().send(frame("4a"));
    s().on_ws_closed(Link::primary, why);
    const Effects e = effects();
    expect_closed(e, why);
    EXPECT_TRUE(e.close_primary);
    if (peer_reachable(why)) {
      EXPECT_EQ(texts(e.final_frames), std::vector<std::string>{"4a"});
    } else {
      EXPECT_TRUE(e.final_frames.empty());
    }
    EXPECT_TRUE(e.forget);
  }
  // The default reason is transport_close.
  start(Transport::websocket);
  s().on_ws_closed(Link::primary);
  expect_closed(effects(), CloseReason::transport_close);
  // A polling session has no primary WebSocket to lose.
  start();
  s().on_ws_closed(Link::primary);
  EXPECT_FALSE(s().closed());
  EXPECT_TRUE(nothing_to_do(effects()));
}

TEST_F(SessionTest, InputsAfterCloseAreIgnored) {
  start(Transport::websocket);
  s().close(CloseReason::server_shutdown);
  EXPECT_TRUE(effects().closed.has_value());
  EXPECT_FALSE(s().on_ws_text(Link::primary, "4x", t0).has_value());
  EXPECT_FALSE(s().on_ws_binary(Link::primary, "x", t0).has_value());
  EXPECT_FALSE(s().on_packet(PacketType::message, "x", false, t0).has_value());
  s().on_ws_closed(Link::primary);
  s().on_timer(t0 + 100'000);
  s().send(frame("4x"));
  EXPECT_TRUE(nothing_to_do(effects()));
  EXPECT_EQ(s().close_reason(), CloseReason::server_shutdown);
}

// ---------------------------------------------------------------- close()

TEST_F(SessionTest, CloseIsIdempotentAndReportedOnce) {
  for (const Transport transport : {Transport::polling, Transport::websocket}) {
    start(transport);
    s().close(CloseReason::server_disconnect);
    s().close(CloseReason::upper_violation);
    Effects e = effects();
    expect_closed(e, CloseReason::server_disconnect);
    s().close(CloseReason::ping_timeout);
    e = effects();
    EXPECT_FALSE(e.closed.has_value());
    EXPECT_FALSE(e.close_primary);
    EXPECT_FALSE(e.forget);
    EXPECT_EQ(s().close_reason(), CloseReason::server_disconnect);
  }
}

TEST_F(SessionTest, OverflowInsideCloseDoesNotReportTwice) {
  // A slow-consumer close followed by more sends and a server close in one input.
  start(Transport::websocket);
  for (int i = 0; i < 6; ++i) s().send(frame("4x"));
  s().close(CloseReason::server_shutdown);
  const Effects e = effects();
  expect_closed(e, CloseReason::slow_consumer);
  EXPECT_TRUE(e.final_frames.empty());
  EXPECT_TRUE(nothing_to_do(effects()));
}

// ---------------------------------------------------------------- deadlines

TEST_F(SessionTest, NextDeadlineIsTheEarliestPending) {
  config_.connect_timeout_ms = 2000;
  start();
  EXPECT_EQ(s().next_deadline(), t0 + 1000);  // ping before connect
  ASSERT_TRUE(s().on_probe_open(t0 + 100));
  EXPECT_EQ(s().next_deadline(), t0 + 400);  // upgrade
  s().on_timer(t0 + 400);
  EXPECT_TRUE(effects().close_probe);
  EXPECT_EQ(s().next_deadline(), t0 + 1000);
  s().on_timer(t0 + 1000);  // ping sent
  EXPECT_EQ(s().next_deadline(), t0 + 1500);
  EXPECT_FALSE(s().on_packet(PacketType::pong, "", false, t0 + 1200).has_value());
  EXPECT_EQ(s().next_deadline(), t0 + 2000);  // connect (t0+2000) ties the next ping (t0+2200)
  s().upper_connected();
  EXPECT_EQ(s().next_deadline(), t0 + 2200);
  s().close(CloseReason::protocol_violation);
  EXPECT_FALSE(s().next_deadline().has_value());
}

TEST_F(SessionTest, TimersFiringLateStillWork) {
  start();
  // The loop was busy: the first timer call comes long after the ping was due.
  s().on_timer(t0 + 5000);
  EXPECT_FALSE(s().closed());
  EXPECT_EQ(s().on_poll_get(t0 + 5001).value().body, "2");
  EXPECT_EQ(s().next_deadline(), t0 + 5500);
}

// ---------------------------------------------------------------- reasons

TEST(EngineIoCloseReason, NamesAndReachability) {
  const CloseReason all[] = {
      CloseReason::client_close,       CloseReason::transport_close,
      CloseReason::transport_error,    CloseReason::ping_timeout,
      CloseReason::connect_timeout,    CloseReason::slow_consumer,
      CloseReason::protocol_violation, CloseReason::upper_violation,
      CloseReason::payload_too_large,  CloseReason::overlapping_poll,
      CloseReason::server_disconnect,  CloseReason::server_shutdown,
  };
  std::set<std::string_view> names;
  for (const CloseReason r : all) {
    const std::string_view name = to_string(r);
    EXPECT_FALSE(name.empty());
    EXPECT_NE(name, "unknown");
    names.insert(name);
  }
  EXPECT_EQ(names.size(), std::size(all)) << "names are distinct";
  EXPECT_EQ(to_string(CloseReason::ping_timeout), "ping timeout");
  EXPECT_EQ(to_string(CloseReason::transport_close), "transport close");
  EXPECT_EQ(to_string(CloseReason::client_close), "client close");

  const std::set<CloseReason> unreachable = {CloseReason::transport_close,
                                             CloseReason::transport_error,
                                             CloseReason::ping_timeout, CloseReason::slow_consumer};
  for (const CloseReason r : all) {
    EXPECT_EQ(peer_reachable(r), !unreachable.contains(r)) << to_string(r);
  }
}

}  // namespace
}  // namespace sudachi::engineio

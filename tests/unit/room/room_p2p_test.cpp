// RoomServiceImpl: p2p:signal, p2p:success, p2p:failure (relay allocation), metrics:report.
#include <variant>

#include "service_test_support.hpp"

namespace sudachi::room::test {
namespace {

class P2pTest : public ServiceTest {
 protected:
  void SetUp() override {
    room_id_ = create_room(host_);
    join(guest_, room_id_);
    clear({&host_, &guest_, &outsider_});
  }
  json::object to(const TestClient& target) const {
    return json::object{{"roomId", room_id_}, {"targetClientId", target.id()}};
  }

  TestClient host_ = connect("Mario");
  TestClient guest_ = connect("Luigi");
  TestClient outsider_ = connect("Wario");
  std::string room_id_;
};

TEST_F(P2pTest, SignalReachesTheTargetOnly) {
  json::object payload = to(guest_);
  payload["payload"] =
      json::object{{"type", "offer"}, {"candidates", json::array{"udp 1.2.3.4 5000"}}};
  json::value ack = call(host_, "p2p:signal", payload);
  EXPECT_EQ(ack, (json::object{{"success", true}}));
  EXPECT_EQ(guest_.conn->only("p2p:signal"), (json::object{{"roomId", room_id_},
                                                           {"fromClientId", host_.id()},
                                                           {"payload", payload["payload"]}}));
  EXPECT_TRUE(host_.conn->events("p2p:signal").empty());
}

TEST_F(P2pTest, SignalOnlyBetweenMembers) {
  json::object in = to(guest_);
  in["payload"] = "x";
  EXPECT_EQ(error_code(call(outsider_, "p2p:signal", in)), "NOT_IN_ROOM");
  json::object at_outsider = to(outsider_);
  at_outsider["payload"] = "x";
  EXPECT_EQ(error_code(call(host_, "p2p:signal", at_outsider)), "NOT_IN_ROOM");
  json::object at_self = to(host_);
  at_self["payload"] = "x";
  EXPECT_EQ(error_code(call(host_, "p2p:signal", at_self)), "INVALID_REQUEST");
  json::object too_big = to(guest_);
  too_big["payload"] = std::string(9000, 'x');
  EXPECT_EQ(error_code(call(host_, "p2p:signal", too_big)), "INVALID_REQUEST");
  json::object no_room = in;
  no_room["roomId"] = random_uuid_v4();
  EXPECT_EQ(error_code(call(host_, "p2p:signal", no_room)), "ROOM_NOT_FOUND");
  EXPECT_TRUE(guest_.conn->events("p2p:signal").empty());
  EXPECT_TRUE(outsider_.conn->events("p2p:signal").empty());
}

TEST_F(P2pTest, FailureGivesEachPeerItsOwnRelayToken) {
  const std::uint64_t ack = send(guest_, "p2p:failure", to(host_));
  json::value mine = guest_.conn->only("use:relay");
  json::value theirs = host_.conn->only("use:relay");
  EXPECT_EQ(guest_.conn->ack(ack).at("token"), mine.at("token"));

  for (const json::value* v : {&mine, &theirs}) {
    EXPECT_EQ(v->at("server"), "relay.example.org");
    EXPECT_EQ(v->at("port"), 3478);
    EXPECT_EQ(v->at("tcpPort"), 3479);
    EXPECT_EQ(v->at("protocol"), "udp");
    EXPECT_EQ(v->at("expiresAt"), clock_.unix_ms() + 30'000);
    EXPECT_EQ(v->at("sessionId").as_string().size(), 32u);
  }
  EXPECT_EQ(mine.at("sessionId"), theirs.at("sessionId"));
  EXPECT_NE(mine.at("token"), theirs.at("token"));
  // Each names the peer the session reaches: the target learns of it only from this event.
  EXPECT_EQ(mine.at("peerClientId").as_string(), host_.id());
  EXPECT_EQ(theirs.at("peerClientId").as_string(), guest_.id());

  // Slot 0 is the smaller client id of the pair, slot 1 the other; each token names its own
  // holder.
  auto verify = [&](const json::value& v) {
    return keys_.verify(v.at("token").as_string(), clock_.unix_ms(), kRelayId);
  };
  auto requester = verify(mine);
  auto target = verify(theirs);
  ASSERT_TRUE(std::holds_alternative<auth::RelayTokenClaims>(requester));
  ASSERT_TRUE(std::holds_alternative<auth::RelayTokenClaims>(target));
  const auto& c0 = std::get<auth::RelayTokenClaims>(requester);
  const auto& c1 = std::get<auth::RelayTokenClaims>(target);
  EXPECT_EQ(c0.client_id, guest_.id());
  EXPECT_EQ(c0.slot, guest_.id() < host_.id() ? 0 : 1);
  EXPECT_EQ(c1.client_id, host_.id());
  EXPECT_EQ(c1.slot, 1 - c0.slot);
  EXPECT_EQ(c0.key_id, "k2");
  EXPECT_EQ(c0.relay_id, kRelayId);
  EXPECT_EQ(c0.session_id, c1.session_id);
  EXPECT_EQ(c0.expires_at_ms, clock_.unix_ms() + 30'000);
  // Another relay refuses them.
  EXPECT_FALSE(std::holds_alternative<auth::RelayTokenClaims>(
      keys_.verify(mine.at("token").as_string(), clock_.unix_ms(), "relay-us-1")));
  EXPECT_EQ(metrics_.relay_allocations.with({"ok"}).value(), 1);
}

// Both peers usually report the failure about each other at about the same time: the second
// report must point both at the session of the first, each peer in the same slot as before.
TEST_F(P2pTest, MirroredFailureReportsShareOneSession) {
  auto claims_of = [&](const json::value& v) {
    auto verified = keys_.verify(v.at("token").as_string(), clock_.unix_ms(), kRelayId);
    EXPECT_TRUE(std::holds_alternative<auth::RelayTokenClaims>(verified));
    return std::holds_alternative<auth::RelayTokenClaims>(verified)
               ? std::get<auth::RelayTokenClaims>(verified)
               : auth::RelayTokenClaims{};
  };
  const std::uint8_t host_slot = host_.id() < guest_.id() ? 0 : 1;

  EXPECT_EQ(error_code(call(host_, "p2p:failure", to(guest_))), "OK");
  const json::value host_first = host_.conn->only("use:relay");
  const json::value guest_first = guest_.conn->only("use:relay");
  ASSERT_TRUE(host_first.is_object() && guest_first.is_object());
  EXPECT_EQ(host_first.at("sessionId"), guest_first.at("sessionId"));
  clear({&host_, &guest_});

  clock_.advance_ms(50);
  EXPECT_EQ(error_code(call(guest_, "p2p:failure", to(host_))), "OK");
  const json::value host_second = host_.conn->only("use:relay");
  const json::value guest_second = guest_.conn->only("use:relay");
  ASSERT_TRUE(host_second.is_object() && guest_second.is_object());
  for (const json::value* v : {&host_second, &guest_second}) {
    EXPECT_EQ(v->at("sessionId"), host_first.at("sessionId"));
    EXPECT_EQ(v->at("expiresAt"), host_first.at("expiresAt"));  // the session's, not a new one
    EXPECT_EQ(v->at("server"), "relay.example.org");
  }

  for (const json::value* v : {&host_first, &host_second}) {
    auto c = claims_of(*v);
    EXPECT_EQ(c.client_id, host_.id());
    EXPECT_EQ(c.slot, host_slot);
    EXPECT_EQ(c.relay_id, kRelayId);
    EXPECT_EQ(c.expires_at_ms, host_first.at("expiresAt").as_int64());
  }
  for (const json::value* v : {&guest_first, &guest_second}) {
    auto c = claims_of(*v);
    EXPECT_EQ(c.client_id, guest_.id());
    EXPECT_EQ(c.slot, 1 - host_slot);
  }
  EXPECT_EQ(claims_of(host_second).session_id, claims_of(guest_first).session_id);
  EXPECT_EQ(metrics_.relay_allocations.with({"ok"}).value(), 2);

  // A pair with another member is another session.
  TestClient third = connect("Peach");
  join(third, room_id_);
  clear({&host_, &guest_, &third});
  EXPECT_EQ(error_code(call(third, "p2p:failure", to(host_))), "OK");
  EXPECT_NE(third.conn->only("use:relay").at("sessionId"), host_first.at("sessionId"));

  // Once the tokens' lifetime is over, a new report gets a new session.
  clear({&host_, &guest_, &third});
  clock_.advance_ms(60'000);
  EXPECT_EQ(error_code(call(guest_, "p2p:failure", to(host_))), "OK");
  const json::value later = guest_.conn->only("use:relay");
  ASSERT_TRUE(later.is_object());
  EXPECT_NE(later.at("sessionId"), host_first.at("sessionId"));
  EXPECT_EQ(host_.conn->only("use:relay").at("sessionId"), later.at("sessionId"));
}

TEST_F(P2pTest, FailureOnlyBetweenMembers) {
  EXPECT_EQ(error_code(call(outsider_, "p2p:failure", to(host_))), "NOT_IN_ROOM");
  EXPECT_EQ(error_code(call(host_, "p2p:failure", to(outsider_))), "NOT_IN_ROOM");
  EXPECT_EQ(error_code(call(host_, "p2p:failure", to(host_))), "INVALID_REQUEST");
  for (const TestClient* c : {&host_, &guest_, &outsider_}) {
    EXPECT_TRUE(c->conn->events("use:relay").empty());
  }
}

TEST_F(P2pTest, RelayAllocationsAreRateLimited) {
  EXPECT_EQ(error_code(call(guest_, "p2p:failure", to(host_))), "OK");
  EXPECT_EQ(error_code(call(guest_, "p2p:failure", to(host_))), "OK");
  clear({&host_, &guest_});
  json::value refused = call(guest_, "p2p:failure", to(host_));
  EXPECT_EQ(error_code(refused), "RATE_LIMITED");
  EXPECT_EQ(guest_.conn->only("error").at("retryAfter"), 60);
  EXPECT_TRUE(host_.conn->events("use:relay").empty());
  EXPECT_EQ(metrics_.rate_limited.with({"relay"}).value(), 1);
  // The other peer's own budget is untouched.
  EXPECT_EQ(error_code(call(host_, "p2p:failure", to(guest_))), "OK");
}

TEST_F(P2pTest, SuccessIsCountedForTheRoom) {
  EXPECT_EQ(call(host_, "p2p:success",
                 [&] {
                   json::object p = to(guest_);
                   p["connectionType"] = "relay";
                   return p;
                 }()),
            (json::object{{"success", true}}));
  EXPECT_EQ(error_code(call(outsider_, "p2p:success",
                            [&] {
                              json::object p = to(guest_);
                              p["connectionType"] = "direct";
                              return p;
                            }())),
            "NOT_IN_ROOM");
  call(host_, "room:close", json::object{{"roomId", room_id_}});
  ASSERT_EQ(history_.rooms.size(), 1u);
  EXPECT_EQ(history_.rooms[0].connections.relay, 1);
  EXPECT_EQ(history_.rooms[0].connections.direct, 0);
  EXPECT_EQ(metrics_.p2p_success_rate.count(), 0u);  // relay success alone: no direct/failed ratio
}

TEST_F(P2pTest, MetricsReportWritesARow) {
  json::object report{{"roomId", room_id_},
                      {"connectionType", "direct"},
                      {"latencyMs", 42},
                      {"packetLossRate", 0.01},
                      {"bandwidthKbps", 1500}};
  EXPECT_EQ(call(guest_, "metrics:report", report), (json::object{{"success", true}}));
  ASSERT_EQ(history_.metrics.size(), 1u);
  const ConnectionMetricRow& row = history_.metrics[0];
  EXPECT_EQ(row.client_id, guest_.id());
  EXPECT_EQ(row.room_id, room_id_);
  EXPECT_EQ(row.connection_type, "direct");
  EXPECT_EQ(row.latency_ms, 42);
  EXPECT_DOUBLE_EQ(row.packet_loss_rate, 0.01);
  EXPECT_EQ(row.bandwidth_kbps, 1500);
  EXPECT_EQ(row.recorded_at_ms, clock_.unix_ms());
  EXPECT_EQ(error_code(call(outsider_, "metrics:report", report)), "NOT_IN_ROOM");
  EXPECT_EQ(history_.metrics.size(), 1u);
}

}  // namespace
}  // namespace sudachi::room::test

// RoomServiceImpl: join, leave, kick, close, disconnect; error precedence; history on close.
#include "service_test_support.hpp"

namespace sudachi::room::test {
namespace {

TEST_F(ServiceTest, JoinTellsJoinerAndMembersAndLobby) {
  TestClient host = connect("Mario");
  TestClient guest = connect("Luigi");
  TestClient watcher = connect("Watcher");
  call(watcher, "lobby:subscribe", json::object{{"gameId", kGameId}});
  const std::string room_id = create_room(host);
  clear({&host, &guest, &watcher});
  clock_.advance_ms(500);

  const std::uint64_t ack = send(guest, "room:join", json::object{{"roomId", room_id}});
  json::value joined = guest.conn->only("room:joined");
  EXPECT_EQ(joined.at("room").at("players"), 2);
  const json::value guest_member = json::object{{"clientId", guest.id()},
                                                {"username", "Luigi"},
                                                {"platform", "linux"},
                                                {"joinedAt", clock_.unix_ms()}};
  const json::array& members = joined.at("members").as_array();
  ASSERT_EQ(members.size(), 2u);
  EXPECT_EQ(members[0].at("clientId"), json::value(host.id()));  // oldest first
  EXPECT_EQ(members[1], guest_member);
  EXPECT_EQ(guest.conn->ack(ack),
            (json::object{{"success", true}, {"room", joined.at("room")}, {"members", members}}));

  EXPECT_EQ(host.conn->only("room:member:joined"), (json::object{{"member", guest_member}}));
  EXPECT_TRUE(guest.conn->events("room:member:joined").empty());
  json::value lobby = watcher.conn->only("room:list:update");
  EXPECT_EQ(lobby.at("type"), "update");
  EXPECT_EQ(lobby.at("room").at("players"), 2);
}

TEST_F(ServiceTest, JoinWithPassword) {
  TestClient host = connect("Mario");
  TestClient guest = connect("Luigi");
  json::object payload = room_payload();
  payload["password"] = "mushroom";
  json::value created = call(host, "room:create", payload);
  EXPECT_EQ(created.at("room").at("hasPassword"), true);
  const std::string room_id(created.at("room").at("id").as_string());

  json::value missing = call(guest, "room:join", json::object{{"roomId", room_id}});
  EXPECT_EQ(error_code(missing), "WRONG_PASSWORD");
  EXPECT_EQ(error_code(call(guest, "room:join",
                            json::object{{"roomId", room_id}, {"password", "mushroom!"}})),
            "WRONG_PASSWORD");
  EXPECT_EQ(error_code(call(guest, "room:join",
                            json::object{{"roomId", room_id}, {"password", "mushroom"}})),
            "OK");
  EXPECT_EQ(host.conn->dump().find("mushroom"), std::string::npos);
}

TEST_F(ServiceTest, JoinErrorPrecedence) {
  TestClient host = connect("Mario");
  TestClient seated = connect("Luigi");
  TestClient banned = connect("Wario");
  TestClient stranger = connect("Waluigi");
  json::object payload = room_payload("Small", 2);
  payload["password"] = "pw";
  json::value created = call(host, "room:create", payload);
  const std::string room_id(created.at("room").at("id").as_string());
  // Ban Wario: let him in, kick him. Then fill the room with Luigi.
  ASSERT_EQ(
      error_code(call(banned, "room:join", json::object{{"roomId", room_id}, {"password", "pw"}})),
      "OK");
  ASSERT_EQ(error_code(call(host, "room:kick",
                            json::object{{"roomId", room_id}, {"clientId", banned.id()}})),
            "OK");
  ASSERT_EQ(
      error_code(call(seated, "room:join", json::object{{"roomId", room_id}, {"password", "pw"}})),
      "OK");

  const json::object wrong{{"roomId", room_id}, {"password", "bad"}};
  const json::object right{{"roomId", room_id}, {"password", "pw"}};
  EXPECT_EQ(error_code(call(stranger, "room:join", json::object{{"roomId", random_uuid_v4()}})),
            "ROOM_NOT_FOUND");
  EXPECT_EQ(error_code(call(seated, "room:join", wrong)),
            "ALREADY_IN_ROOM");                                       // in it, full, wrong pw
  EXPECT_EQ(error_code(call(banned, "room:join", wrong)), "BANNED");  // banned, full, wrong pw
  EXPECT_EQ(error_code(call(stranger, "room:join", wrong)), "WRONG_PASSWORD");  // full, wrong pw
  EXPECT_EQ(error_code(call(stranger, "room:join", right)), "ROOM_FULL");
  EXPECT_EQ(error_code(call(stranger, "room:join", json::object{{"roomId", "bad id!"}})),
            "INVALID_REQUEST");
}

TEST_F(ServiceTest, HostLeavingMigratesHost) {
  TestClient host = connect("Mario");
  TestClient second = connect("Luigi");
  TestClient third = connect("Peach");
  const std::string room_id = create_room(host);
  join(second, room_id);
  clock_.advance_ms(1);
  join(third, room_id);
  clear({&host, &second, &third});

  json::value ack = call(host, "room:leave", json::object{{"roomId", room_id}});
  EXPECT_EQ(ack, (json::object{{"success", true}, {"roomId", room_id}}));
  for (const TestClient* c : {&second, &third}) {
    auto events = c->conn->events();
    ASSERT_EQ(events.size(), 2u) << c->conn->dump();
    EXPECT_EQ(events[0].event, "room:member:left");
    EXPECT_EQ(events[0].payload, (json::object{{"clientId", host.id()}, {"reason", "left"}}));
    EXPECT_EQ(events[1].event, "room:host:changed");
    EXPECT_EQ(events[1].payload, (json::object{{"hostClientId", second.id()}}));
  }
  EXPECT_TRUE(host.conn->events().empty());
  EXPECT_EQ(error_code(call(host, "room:leave", json::object{{"roomId", room_id}})), "NOT_IN_ROOM");
}

TEST_F(ServiceTest, LastMemberLeavingClosesTheRoomIntoHistory) {
  TestClient host = connect("Mario");
  TestClient guest = connect("Luigi");
  TestClient watcher = connect("Watcher");
  call(watcher, "lobby:subscribe", nullptr);
  const std::string room_id = create_room(host);
  const std::int64_t created_at = clock_.unix_ms();
  join(guest, room_id);
  call(guest, "room:leave", json::object{{"roomId", room_id}});
  clock_.advance_ms(60'000);
  watcher.conn->clear();

  EXPECT_EQ(error_code(call(host, "room:leave", json::object{{"roomId", room_id}})), "OK");
  ASSERT_EQ(history_.rooms.size(), 1u);
  const RoomHistoryRow& row = history_.rooms[0];
  EXPECT_EQ(row.room_id, room_id);
  EXPECT_EQ(row.game_id, kGameId);
  EXPECT_EQ(row.host_client_id, host.id());
  EXPECT_EQ(row.max_players, 4);
  EXPECT_EQ(row.actual_players, 2);
  EXPECT_EQ(row.created_at_ms, created_at);
  EXPECT_EQ(row.closed_at_ms, clock_.unix_ms());
  EXPECT_EQ(row.region, "eu");
  EXPECT_EQ(watcher.conn->only("room:list:update").at("type"), "remove");
  EXPECT_EQ(metrics_.rooms_active.count(kGameId), 0);
  EXPECT_EQ(metrics_.rooms_closed.with({"empty"}).value(), 1);
  EXPECT_EQ(metrics_.p2p_success_rate.count(), 0u);  // no P2P attempts: no observation
  EXPECT_EQ(error_code(call(guest, "room:join", json::object{{"roomId", room_id}})),
            "ROOM_NOT_FOUND");
}

TEST_F(ServiceTest, KickTellsTargetAndMembersAndBans) {
  TestClient host = connect("Mario");
  TestClient target = connect("Wario");
  TestClient other = connect("Luigi");
  const std::string room_id = create_room(host);
  join(target, room_id);
  join(other, room_id);
  clear({&host, &target, &other});

  EXPECT_EQ(error_code(call(other, "room:kick",
                            json::object{{"roomId", room_id}, {"clientId", target.id()}})),
            "NOT_HOST");
  other.conn->clear();
  json::value ack =
      call(host, "room:kick", json::object{{"roomId", room_id}, {"clientId", target.id()}});
  EXPECT_EQ(ack, (json::object{{"success", true}, {"roomId", room_id}, {"clientId", target.id()}}));
  EXPECT_EQ(target.conn->only("room:kicked"), (json::object{{"roomId", room_id}}));
  EXPECT_TRUE(target.conn->events("room:member:left").empty());
  const json::value left = json::object{{"clientId", target.id()}, {"reason", "kicked"}};
  EXPECT_EQ(host.conn->only("room:member:left"), left);
  EXPECT_EQ(other.conn->only("room:member:left"), left);

  EXPECT_EQ(error_code(call(target, "room:join", json::object{{"roomId", room_id}})), "BANNED");
  EXPECT_EQ(error_code(call(host, "room:kick",
                            json::object{{"roomId", room_id}, {"clientId", target.id()}})),
            "NOT_IN_ROOM");
  EXPECT_EQ(error_code(call(host, "room:kick",
                            json::object{{"roomId", room_id}, {"clientId", host.id()}})),
            "INVALID_REQUEST");
  EXPECT_EQ(error_code(call(target, "room:kick",
                            json::object{{"roomId", room_id}, {"clientId", other.id()}})),
            "NOT_IN_ROOM");  // NOT_IN_ROOM before NOT_HOST
}

TEST_F(ServiceTest, CloseByHostTellsEveryMemberAndRecordsHistory) {
  TestClient host = connect("Mario");
  TestClient guest = connect("Luigi");
  const std::string room_id = create_room(host);
  join(guest, room_id);
  EXPECT_EQ(error_code(call(guest, "room:close", json::object{{"roomId", room_id}})), "NOT_HOST");
  // Two direct successes and one failure (with its relay allocation) before the close.
  call(host, "p2p:success",
       json::object{{"roomId", room_id},
                    {"targetClientId", guest.id()},
                    {"connectionType", "direct"},
                    {"latencyMs", 20}});
  call(guest, "p2p:success",
       json::object{
           {"roomId", room_id}, {"targetClientId", host.id()}, {"connectionType", "direct"}});
  call(guest, "p2p:failure", json::object{{"roomId", room_id}, {"targetClientId", host.id()}});
  clear({&host, &guest});

  json::value ack = call(host, "room:close", json::object{{"roomId", room_id}});
  const json::value closed = json::object{{"roomId", room_id}, {"reason", "closed_by_host"}};
  EXPECT_EQ(ack,
            (json::object{{"success", true}, {"roomId", room_id}, {"reason", "closed_by_host"}}));
  EXPECT_EQ(host.conn->only("room:closed"), closed);
  EXPECT_EQ(guest.conn->only("room:closed"), closed);

  ASSERT_EQ(history_.rooms.size(), 1u);
  EXPECT_EQ(history_.rooms[0].connections.direct, 2);
  EXPECT_EQ(history_.rooms[0].connections.failed, 1);
  EXPECT_EQ(history_.rooms[0].connections.relay, 1);
  EXPECT_EQ(metrics_.p2p_success_rate.count(), 1u);
  EXPECT_NEAR(metrics_.p2p_success_rate.sum(), 2.0 / 3.0, 1e-9);
  EXPECT_EQ(metrics_.rooms_closed.with({"closed_by_host"}).value(), 1);
  EXPECT_EQ(metrics_.rooms_active.count(kGameId), 0);
  EXPECT_EQ(
      error_code(call(guest, "room:chat", json::object{{"roomId", room_id}, {"message", "hi"}})),
      "ROOM_NOT_FOUND");
}

TEST_F(ServiceTest, DisconnectLeavesWithReasonAndMigratesHost) {
  TestClient host = connect("Mario");
  TestClient guest = connect("Luigi");
  const std::string room_id = create_room(host);
  join(guest, room_id);
  guest.conn->clear();

  service_.on_disconnected(host.who, host.conn.get());
  auto events = guest.conn->events();
  ASSERT_EQ(events.size(), 2u) << guest.conn->dump();
  EXPECT_EQ(events[0].payload, (json::object{{"clientId", host.id()}, {"reason", "disconnected"}}));
  EXPECT_EQ(events[1].payload, (json::object{{"hostClientId", guest.id()}}));

  // The last one disconnecting closes the room as empty.
  service_.on_disconnected(guest.who, guest.conn.get());
  ASSERT_EQ(history_.rooms.size(), 1u);
  EXPECT_EQ(history_.rooms[0].host_client_id, host.id());  // the host at creation
  EXPECT_EQ(metrics_.rooms_closed.with({"empty"}).value(), 1);
}

TEST_F(ServiceTest, DrainKeepsSeatsOnlyWhenStateIsShared) {
  TestClient host = connect("Mario");
  TestClient guest = connect("Luigi");
  const std::string room_id = create_room(host);
  join(guest, room_id);
  clear({&host, &guest});

  // Shared state (Redis): a drained instance's clients reconnect elsewhere, still seated.
  RoomServiceImpl shared{RoomServiceImpl::Dependencies{
      store_, delivery_, history_, event_limiter_, relay_limiter_, relays_, keys_, metrics_, clock_,
      [](std::function<void()> work) { work(); }, "eu", 30'000, "9.9.9", /*shared_state=*/true,
      relay_sessions_}};
  shared.begin_drain();
  shared.on_disconnected(host.who, host.conn.get());
  EXPECT_TRUE(guest.conn->events().empty()) << guest.conn->dump();
  std::optional<std::string> seat;
  store_.room_of(host.id(),
                 [&](Result<std::optional<std::string>> r) { seat = r.ok() ? *r : std::nullopt; });
  EXPECT_EQ(seat, room_id);
  EXPECT_EQ(delivery_.local_connections(), 1u);  // detached all the same

  // Embedded: the drain ends the rooms' only home, so a drained client leaves as usual.
  service_.begin_drain();
  service_.on_disconnected(guest.who, guest.conn.get());
  store_.room_of(guest.id(),
                 [&](Result<std::optional<std::string>> r) { seat = r.ok() ? *r : std::nullopt; });
  EXPECT_EQ(seat, std::nullopt);
}

TEST_F(ServiceTest, DisconnectOutsideARoomIsQuiet) {
  TestClient a = connect("A");
  service_.on_disconnected(a.who, a.conn.get());
  EXPECT_TRUE(history_.rooms.empty());
  EXPECT_EQ(delivery_.local_connections(), 0u);
}

}  // namespace
}  // namespace sudachi::room::test

// RoomServiceImpl: connection, create, list, lobby, update, chat, rate limiting, dispatch.
#include "service_test_support.hpp"

namespace sudachi::room::test {
namespace {

// The fixture's relay, as the STUN server `connected` announces (its main UDP port).
const json::array kStun{json::object{{"host", "relay.example.org"}, {"port", 3478}}};

TEST_F(ServiceTest, ConnectedCarriesIdentityTimeAndVersion) {
  TestClient a = connect("Mario");
  EXPECT_EQ(a.conn->only("connected"), (json::object{{"clientId", a.id()},
                                                     {"serverTime", clock_.unix_ms()},
                                                     {"serverVersion", "9.9.9"},
                                                     {"stun", kStun}}));
  ASSERT_EQ(history_.clients.size(), 1u);
  EXPECT_EQ(history_.clients[0].client_id, a.id());
  EXPECT_EQ(history_.clients[0].username, "Mario");
  EXPECT_EQ(history_.clients[0].platform, "linux");
  EXPECT_EQ(history_.clients[0].sudachi_version, "1.0.0");
  EXPECT_EQ(history_.clients[0].seen_at_ms, clock_.unix_ms());
}

TEST_F(ServiceTest, SecondConnectionReplacesTheFirst) {
  TestClient first = connect("Mario");
  TestClient second{first.who, std::make_shared<RecordingConnection>()};
  service_.on_connected(second.who, second.conn);
  EXPECT_TRUE(first.conn->disconnected());
  EXPECT_FALSE(second.conn->disconnected());

  // The new connection is the one that receives the client's frames from now on.
  const std::string room_id = create_room(second);
  TestClient guest = connect("Luigi");
  clear({&first, &second});
  join(guest, room_id);
  EXPECT_EQ(second.conn->events("room:member:joined").size(), 1u);
  EXPECT_TRUE(first.conn->events().empty());

  // The old connection going away must not take the client out of its room.
  service_.on_disconnected(first.who, first.conn.get());
  EXPECT_TRUE(guest.conn->events("room:member:left").empty());
}

TEST_F(ServiceTest, CreateRepliesWithRoomAndAck) {
  TestClient host = connect("Mario");
  host.conn->clear();
  const std::uint64_t ack = send(host, "room:create", room_payload("Friday races", 8));

  json::value created = host.conn->only("room:created");
  ASSERT_TRUE(created.is_object());
  EXPECT_EQ(created.at("success"), true);
  const json::object& room = created.at("room").as_object();
  EXPECT_TRUE(is_uuid(room.at("id").as_string()));
  EXPECT_EQ(json::value(room), json::value(json::object{{"id", room.at("id")},
                                                        {"gameId", kGameId},
                                                        {"gameName", "Mario Kart 8 Deluxe"},
                                                        {"name", "Friday races"},
                                                        {"hostClientId", host.id()},
                                                        {"hostUsername", "Mario"},
                                                        {"maxPlayers", 8},
                                                        {"players", 1},
                                                        {"hasPassword", false},
                                                        {"visibility", "public"},
                                                        {"region", "eu"},
                                                        {"createdAt", clock_.unix_ms()}}));
  EXPECT_EQ(host.conn->ack(ack), created);
  EXPECT_EQ(metrics_.rooms_active.count(kGameId), 1);
  EXPECT_EQ(metrics_.rooms_created.value(), 1);
}

TEST_F(ServiceTest, CreateAnnouncesPublicRoomsToLobbySubscribersOfThatGame) {
  TestClient host = connect("Mario");
  TestClient all = connect("Watcher");
  TestClient same = connect("Same game");
  TestClient other = connect("Other game");
  EXPECT_EQ(error_code(call(all, "lobby:subscribe", nullptr)), "OK");
  EXPECT_EQ(error_code(call(same, "lobby:subscribe", json::object{{"gameId", kGameId}})), "OK");
  EXPECT_EQ(
      error_code(call(other, "lobby:subscribe", json::object{{"gameId", "01006A800016E000"}})),
      "OK");

  const std::string room_id = create_room(host);
  for (const TestClient* c : {&all, &same}) {
    json::value update = c->conn->only("room:list:update");
    EXPECT_EQ(update.at("type"), "add");
    EXPECT_EQ(update.at("room").at("id"), room_id.c_str());
  }
  EXPECT_TRUE(other.conn->events("room:list:update").empty());
  EXPECT_TRUE(host.conn->events("room:list:update").empty());

  // Private rooms are never announced; an unsubscribed client hears nothing more.
  EXPECT_EQ(error_code(call(same, "lobby:unsubscribe", nullptr)), "OK");
  clear({&all, &same});
  TestClient secret_host = connect("Secret");
  json::object secret = room_payload("Secret");
  secret["visibility"] = "private";
  create_room(secret_host, secret);
  EXPECT_TRUE(all.conn->events("room:list:update").empty());
  create_room(connect("Peach"));
  EXPECT_EQ(all.conn->events("room:list:update").size(), 1u);
  EXPECT_TRUE(same.conn->events("room:list:update").empty());
}

TEST_F(ServiceTest, InvalidCreateIsRefusedWithErrorEventAndAck) {
  TestClient host = connect("Mario");
  host.conn->clear();
  json::object payload = room_payload();
  payload["maxPlayers"] = 17;
  const std::uint64_t ack = send(host, "room:create", payload);
  json::value error = host.conn->only("error");
  EXPECT_EQ(error.at("code"), "INVALID_REQUEST");
  EXPECT_NE(std::string(error.at("message").as_string()).find("maxPlayers"), std::string::npos);
  EXPECT_FALSE(error.as_object().contains("retryAfter"));
  EXPECT_EQ(host.conn->ack(ack), (json::object{{"success", false}, {"error", error}}));
  EXPECT_TRUE(host.conn->events("room:created").empty());
  EXPECT_EQ(metrics_.event_errors.with({"INVALID_REQUEST"}).value(), 1);
}

TEST_F(ServiceTest, CreateWhileInARoomIsAlreadyInRoom) {
  TestClient host = connect("Mario");
  create_room(host);
  EXPECT_EQ(error_code(call(host, "room:create", room_payload())), "ALREADY_IN_ROOM");
  json::object with_password = room_payload();
  with_password["password"] = "pw";
  EXPECT_EQ(error_code(call(host, "room:create", with_password)), "ALREADY_IN_ROOM");
}

TEST_F(ServiceTest, WithoutAckOnlyEventsAreSent) {
  TestClient host = connect("Mario");
  host.conn->clear();
  service_.on_event(host.who, host.conn, "room:create", room_payload(), std::nullopt);
  service_.on_event(host.who, host.conn, "room:create", json::object{}, std::nullopt);
  auto events = host.conn->events();
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].event, "room:created");
  EXPECT_EQ(events[1].event, "error");
  EXPECT_EQ(host.conn->frames().size(), 2u);  // no ack frames
}

TEST_F(ServiceTest, ListShowsPublicRoomsWithTotal) {
  TestClient a = connect("A");
  TestClient b = connect("B");
  TestClient c = connect("C");
  create_room(a, room_payload("one"));
  clock_.advance_ms(10);
  create_room(b, room_payload("two"));
  json::object secret = room_payload("secret");
  secret["visibility"] = "private";
  create_room(c, secret);

  const std::uint64_t ack = send(c, "room:list", json::object{{"limit", 1}});
  json::value list = c.conn->only("room:list");
  EXPECT_EQ(list.at("total"), 2);
  ASSERT_EQ(list.at("rooms").as_array().size(), 1u);
  EXPECT_EQ(list.at("rooms").at(0).at("name"), "two");  // newest first
  EXPECT_EQ(c.conn->ack(ack),
            (json::object{{"success", true}, {"rooms", list.at("rooms")}, {"total", 2}}));
  EXPECT_EQ(error_code(call(c, "room:list", json::object{{"limit", 101}})), "INVALID_REQUEST");
}

TEST_F(ServiceTest, UnknownEventIsInvalidRequest) {
  TestClient a = connect("A");
  json::value ack = call(a, "room:explode", json::object{});
  EXPECT_EQ(error_code(ack), "INVALID_REQUEST");
  EXPECT_EQ(ack.at("error").at("message"), "Unknown event 'room:explode'");
  EXPECT_EQ(metrics_.events.with({"unknown"}).value(), 1);
}

TEST_F(ServiceTest, EveryAnswerIsTimedUnderItsEvent) {
  TestClient a = connect("A");
  call(a, "room:list", json::object{});
  call(a, "room:list", json::object{{"limit", 101}});  // an error is an answer too
  call(a, "room:explode", json::object{});
  EXPECT_EQ(metrics_.event_duration.with({"room:list"}).count(), 2u);
  EXPECT_EQ(metrics_.event_duration.with({"unknown"}).count(), 1u);
  EXPECT_EQ(metrics_.event_duration.with({"room:create"}).count(), 0u);
  EXPECT_GE(metrics_.event_duration.with({"room:list"}).sum(), 0.0);
}

TEST_F(ServiceTest, ChatReachesEveryMemberIncludingTheSender) {
  TestClient host = connect("Mario");
  TestClient guest = connect("Luigi");
  TestClient outsider = connect("Wario");
  const std::string room_id = create_room(host);
  join(guest, room_id);
  clear({&host, &guest, &outsider});

  const std::uint64_t ack =
      send(guest, "room:chat", json::object{{"roomId", room_id}, {"message", "gg"}});
  const json::value expected = json::object{{"roomId", room_id},
                                            {"fromClientId", guest.id()},
                                            {"username", "Luigi"},
                                            {"message", "gg"},
                                            {"at", clock_.unix_ms()}};
  EXPECT_EQ(host.conn->only("room:chat"), expected);
  EXPECT_EQ(guest.conn->only("room:chat"), expected);
  EXPECT_TRUE(outsider.conn->events().empty());
  EXPECT_EQ(guest.conn->ack(ack).at("success"), true);
  EXPECT_EQ(guest.conn->ack(ack).at("message"), "gg");
  EXPECT_EQ(metrics_.chat_messages.value(), 1);

  EXPECT_EQ(
      error_code(call(outsider, "room:chat", json::object{{"roomId", room_id}, {"message", "hi"}})),
      "NOT_IN_ROOM");
  EXPECT_EQ(error_code(call(guest, "room:chat",
                            json::object{{"roomId", room_id}, {"message", std::string(501, 'x')}})),
            "INVALID_REQUEST");
  EXPECT_EQ(error_code(call(guest, "room:chat",
                            json::object{{"roomId", random_uuid_v4()}, {"message", "hi"}})),
            "ROOM_NOT_FOUND");
  EXPECT_TRUE(host.conn->events("room:chat").size() == 1);
}

TEST_F(ServiceTest, UpdateByHostReachesMembersAndLobby) {
  TestClient host = connect("Mario");
  TestClient guest = connect("Luigi");
  TestClient watcher = connect("Watcher");
  call(watcher, "lobby:subscribe", nullptr);
  const std::string room_id = create_room(host);
  join(guest, room_id);
  clear({&host, &guest, &watcher});

  const std::uint64_t ack =
      send(host, "room:update",
           json::object{{"roomId", room_id}, {"name", "Renamed"}, {"maxPlayers", 2}});
  json::value updated = host.conn->only("room:updated");
  EXPECT_EQ(updated.at("room").at("name"), "Renamed");
  EXPECT_EQ(updated.at("room").at("maxPlayers"), 2);
  EXPECT_EQ(guest.conn->only("room:updated"), updated);
  EXPECT_EQ(host.conn->ack(ack), (json::object{{"success", true}, {"room", updated.at("room")}}));
  json::value lobby = watcher.conn->only("room:list:update");
  EXPECT_EQ(lobby.at("type"), "update");
  EXPECT_EQ(lobby.at("room"), updated.at("room"));

  // Making it private takes it out of the lobby.
  watcher.conn->clear();
  EXPECT_EQ(error_code(call(host, "room:update",
                            json::object{{"roomId", room_id}, {"visibility", "private"}})),
            "OK");
  EXPECT_EQ(watcher.conn->only("room:list:update").at("type"), "remove");
}

TEST_F(ServiceTest, UpdateRefusals) {
  TestClient host = connect("Mario");
  TestClient guest = connect("Luigi");
  TestClient third = connect("Peach");
  TestClient outsider = connect("Wario");
  const std::string room_id = create_room(host);
  join(guest, room_id);
  join(third, room_id);
  EXPECT_EQ(
      error_code(call(guest, "room:update", json::object{{"roomId", room_id}, {"name", "Mine"}})),
      "NOT_HOST");
  EXPECT_EQ(error_code(
                call(outsider, "room:update", json::object{{"roomId", room_id}, {"name", "Mine"}})),
            "NOT_IN_ROOM");
  // The password pre-check keeps the same precedence as the store.
  EXPECT_EQ(error_code(call(outsider, "room:update",
                            json::object{{"roomId", room_id}, {"password", "x"}})),
            "NOT_IN_ROOM");
  EXPECT_EQ(
      error_code(call(guest, "room:update", json::object{{"roomId", room_id}, {"password", "x"}})),
      "NOT_HOST");
  EXPECT_EQ(
      error_code(call(host, "room:update", json::object{{"roomId", room_id}, {"maxPlayers", 2}})),
      "INVALID_REQUEST");  // three players already
  EXPECT_EQ(error_code(call(host, "room:update", json::object{{"roomId", random_uuid_v4()}})),
            "ROOM_NOT_FOUND");
}

TEST_F(ServiceTest, UpdatePasswordSetsAndRemovesIt) {
  TestClient host = connect("Mario");
  TestClient guest = connect("Luigi");
  const std::string room_id = create_room(host);

  json::value ack =
      call(host, "room:update", json::object{{"roomId", room_id}, {"password", "s3cret"}});
  EXPECT_EQ(ack.at("room").at("hasPassword"), true);
  EXPECT_EQ(json::serialize(ack).find("s3cret"), std::string::npos);
  EXPECT_EQ(error_code(call(guest, "room:join", json::object{{"roomId", room_id}})),
            "WRONG_PASSWORD");
  EXPECT_EQ(
      error_code(call(guest, "room:join", json::object{{"roomId", room_id}, {"password", "nope"}})),
      "WRONG_PASSWORD");

  ack = call(host, "room:update", json::object{{"roomId", room_id}, {"password", nullptr}});
  EXPECT_EQ(ack.at("room").at("hasPassword"), false);
  join(guest, room_id);
}

TEST_F(ServiceTest, PasswordWorkRunsThroughOffload) {
  // A second service over the same adapters whose offload queues work instead of running it.
  std::vector<std::function<void()>> queued;
  RoomServiceImpl deferred{RoomServiceImpl::Dependencies{
      store_, delivery_, history_, event_limiter_, relay_limiter_, relays_, keys_, metrics_, clock_,
      [&](std::function<void()> work) { queued.push_back(std::move(work)); }, "eu", 30'000, "9.9.9",
      false, relay_sessions_}};
  TestClient host = connect("Mario");
  TestClient guest = connect("Luigi");
  json::object payload = room_payload();
  payload["password"] = "pw";
  deferred.on_event(host.who, host.conn, "room:create", payload, 1);
  EXPECT_TRUE(host.conn->events("room:created").empty());
  ASSERT_EQ(queued.size(), 1u);
  queued.back()();
  const std::string room_id(host.conn->only("room:created").at("room").at("id").as_string());

  deferred.on_event(guest.who, guest.conn, "room:join",
                    json::object{{"roomId", room_id}, {"password", "pw"}}, 2);
  EXPECT_TRUE(guest.conn->events("room:joined").empty());
  ASSERT_EQ(queued.size(), 2u);
  queued.back()();
  EXPECT_EQ(guest.conn->only("room:joined").at("room").at("players"), 2);
}

TEST_F(ServiceTest, PasswordChangedBetweenCheckAndJoinIsWrongPassword) {
  std::vector<std::function<void()>> queued;
  RoomServiceImpl deferred{RoomServiceImpl::Dependencies{
      store_, delivery_, history_, event_limiter_, relay_limiter_, relays_, keys_, metrics_, clock_,
      [&](std::function<void()> work) { queued.push_back(std::move(work)); }, "eu", 30'000, "9.9.9",
      false, relay_sessions_}};
  TestClient host = connect("Mario");
  TestClient guest = connect("Luigi");
  json::object payload = room_payload();
  payload["password"] = "old";
  const std::string room_id = create_room(host, payload);

  deferred.on_event(guest.who, guest.conn, "room:join",
                    json::object{{"roomId", room_id}, {"password", "old"}}, 7);
  ASSERT_EQ(queued.size(), 1u);
  // The host changes the password while the guest's old one is being verified.
  EXPECT_EQ(
      error_code(call(host, "room:update", json::object{{"roomId", room_id}, {"password", "new"}})),
      "OK");
  queued.back()();
  EXPECT_EQ(error_code(guest.conn->ack(7)), "WRONG_PASSWORD");
}

class RateLimitedServiceTest : public ServiceTest {
 protected:
  RateLimitedServiceTest() : ServiceTest(RatePolicy{3, 60'000, 300'000, true}) {}
};

TEST_F(RateLimitedServiceTest, RefusedEventIsNotExecuted) {
  TestClient a = connect("A");
  EXPECT_EQ(error_code(call(a, "room:list", nullptr)), "OK");
  EXPECT_EQ(error_code(call(a, "room:list", nullptr)), "OK");
  EXPECT_EQ(error_code(call(a, "room:list", nullptr)), "OK");
  a.conn->clear();

  const std::uint64_t ack = send(a, "room:create", room_payload());
  json::value error = a.conn->only("error");
  EXPECT_EQ(error,
            (json::object{
                {"code", "RATE_LIMITED"}, {"message", "Too many requests"}, {"retryAfter", 300}}));
  EXPECT_EQ(a.conn->ack(ack).at("error").at("code"), "RATE_LIMITED");
  EXPECT_TRUE(a.conn->events("room:created").empty());
  EXPECT_EQ(metrics_.rooms_created.value(), 0);
  EXPECT_EQ(metrics_.rate_limited.with({"event"}).value(), 1);

  // Other clients have their own budget; the blocked one recovers after the block.
  TestClient b = connect("B");
  EXPECT_EQ(error_code(call(b, "room:create", room_payload())), "OK");
  clock_.advance_ms(300'000);
  EXPECT_EQ(error_code(call(a, "room:create", room_payload())), "OK");
}

}  // namespace
}  // namespace sudachi::room::test

namespace sudachi::room::test {
namespace {

// Reconnecting clients (scale-out failover, or a replaced connection) keep their seat and
// are told which room they are in.
TEST_F(ServiceTest, ReconnectingWhileSeatedKeepsTheSeatAndNamesTheRoom) {
  TestClient host = connect("Mario");
  const std::string room_id = create_room(host);
  TestClient guest = connect("Luigi");
  join(guest, room_id);
  clear({&host, &guest});

  // The guest's server died without a disconnect; it connects again (here or elsewhere).
  TestClient again{guest.who, std::make_shared<RecordingConnection>()};
  service_.on_connected(again.who, again.conn);
  EXPECT_EQ(again.conn->only("connected"), (json::object{{"clientId", guest.id()},
                                                         {"serverTime", clock_.unix_ms()},
                                                         {"serverVersion", "9.9.9"},
                                                         {"roomId", room_id},
                                                         {"stun", kStun}}));
  EXPECT_TRUE(host.conn->events("room:member:left").empty());
  // Still a member: room traffic reaches the new connection.
  call(host, "room:chat", json::object{{"roomId", room_id}, {"message", "welcome back"}});
  EXPECT_EQ(again.conn->events("room:chat").size(), 1u);
}

TEST_F(ServiceTest, ConnectedHasNoRoomIdWhenNotSeated) {
  TestClient a = connect("Mario");
  EXPECT_FALSE(a.conn->only("connected").as_object().contains("roomId"));
}

TEST_F(ServiceTest, ConnectedLeavesStunOutWithoutARelay) {
  storage::StaticRelayDirectory none{{}};
  RoomServiceImpl no_relays{RoomServiceImpl::Dependencies{
      store_, delivery_, history_, event_limiter_, relay_limiter_, none, keys_, metrics_, clock_,
      [](std::function<void()> work) { work(); }, "eu", 30'000, "9.9.9", false, relay_sessions_}};
  TestClient a{ClientIdentity{random_uuid_v4(), "Mario", "linux", "1.0.0", "127.0.0.1"},
               std::make_shared<RecordingConnection>()};
  no_relays.on_connected(a.who, a.conn);
  EXPECT_FALSE(a.conn->only("connected").as_object().contains("stun"));
}

TEST_F(ServiceTest, EvictDisconnectedRemovesAGoneMemberWithReasonDisconnected) {
  TestClient host = connect("Mario");
  const std::string room_id = create_room(host);
  TestClient guest = connect("Luigi");
  join(guest, room_id);
  clear({&host, &guest});
  service_.evict_disconnected(guest.id());
  EXPECT_EQ(host.conn->only("room:member:left"),
            (json::object{{"clientId", guest.id()}, {"reason", "disconnected"}}));
  // The host goes too: the room closes into history.
  service_.evict_disconnected(host.id());
  EXPECT_EQ(history_.rooms.size(), 1u);
  service_.evict_disconnected("nobody");  // not seated: nothing happens
  EXPECT_EQ(history_.rooms.size(), 1u);
}

}  // namespace
}  // namespace sudachi::room::test

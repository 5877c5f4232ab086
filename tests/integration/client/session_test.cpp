// The library against the real sudachi-room: identity, every room call, the server's events,
// and its errors as the application sees them.
#include <gtest/gtest.h>

#include <ctime>

#include "auth/jwt.hpp"
#include "processes.hpp"
#include "test_peer.hpp"

namespace sudachi::client::test {
namespace {

using mp::ErrorCode;
using mp::EventType;

class SessionTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(room_.started()) << room_.log(); }
  std::vector<std::string> servers() const { return {room_.url()}; }

  RoomProcess room_{"none"};
};

TEST_F(SessionTest, GuestSignsUpAndConnects) {
  TestPeer a(servers(), "alice");
  ASSERT_FALSE(a.start_error());
  ASSERT_TRUE(a.wait_connected());
  EXPECT_EQ(a.client().state(), mp::ConnectionState::connected);
  EXPECT_FALSE(a.id().empty());
  // The first event says it is connecting, then connected, naming the server.
  ASSERT_GE(a.seen().size(), 2u);
  EXPECT_EQ(a.seen()[0].state, mp::ConnectionState::connecting);
  const auto& connected = a.seen()[1];
  EXPECT_EQ(connected.state, mp::ConnectionState::connected);
  EXPECT_EQ(connected.server, room_.url());
  EXPECT_EQ(connected.client_id, a.id());
}

TEST_F(SessionTest, CallersOwnTokenIsUsedAsIs) {
  auth::JwtIssuer issuer(auth::JwtSettings{kJwtSecret});
  auth::JwtClaims claims;
  claims.sub = "operator-account-42";
  claims.name = "Operator";
  auto token = issuer.issue(claims, std::time(nullptr), 3600);
  ASSERT_TRUE(token);
  TestPeer a(servers(), "", [&](mp::ClientConfig& c) { c.token = *token; });
  ASSERT_TRUE(a.wait_connected());
  EXPECT_EQ(a.id(), "operator-account-42");
  const mp::RoomInfo room = create_room(a);
  EXPECT_EQ(room.host_username, "Operator");
}

TEST_F(SessionTest, RefusedTokenGoesOfflineWithoutRetrying) {
  auth::JwtIssuer other(auth::JwtSettings{"another-deployment-secret-0123456789abcdef"});
  auth::JwtClaims claims;
  claims.sub = "someone";
  auto token = other.issue(claims, std::time(nullptr), 3600);
  ASSERT_TRUE(token);
  TestPeer a(servers(), "", [&](mp::ClientConfig& c) { c.token = *token; });
  auto offline = a.wait_event([](const mp::Event& e) {
    return e.type == EventType::connection && e.state == mp::ConnectionState::offline;
  });
  ASSERT_TRUE(offline);
  EXPECT_EQ(offline->error.code, ErrorCode::auth_failed);
  // Calls now fail at once with the reason.
  EXPECT_EQ(a.call([](mp::Client& c) { return c.list_rooms({}); }).error.code,
            ErrorCode::auth_failed);
}

TEST_F(SessionTest, EveryRoomCallAndItsEvents) {
  TestPeer host(servers(), "host");
  TestPeer guest(servers(), "guest");
  TestPeer watcher(servers(), "watcher");
  ASSERT_TRUE(host.wait_connected() && guest.wait_connected() && watcher.wait_connected());

  // lobby:subscribe, then room:create announces the room to the subscriber.
  EXPECT_FALSE(watcher.call([](mp::Client& c) { return c.subscribe_lobby(kGame); }).error);
  const mp::RoomInfo room = create_room(host, "friday", 3);
  EXPECT_EQ(room.host_client_id, host.id());
  EXPECT_EQ(room.players, 1);
  auto joined_event = host.wait_type(EventType::room_joined);
  ASSERT_TRUE(joined_event);
  EXPECT_FALSE(joined_event->resumed);
  auto lobby = watcher.wait_event([&](const mp::Event& e) {
    return e.type == EventType::lobby_update && e.room_id == room.id;
  });
  ASSERT_TRUE(lobby);
  EXPECT_EQ(lobby->reason, "add");
  EXPECT_EQ(host.client().room()->id, room.id);

  // room:list sees it.
  mp::ListRoomsOptions filter;
  filter.game_id = kGame;
  const mp::Event list = watcher.call([&](mp::Client& c) { return c.list_rooms(filter); });
  ASSERT_FALSE(list.error);
  ASSERT_EQ(list.rooms.size(), 1u);
  EXPECT_EQ(list.total, 1);
  EXPECT_EQ(list.rooms[0].name, "friday");

  // room:join: the joiner gets the room and its members, the host a member_joined.
  const mp::Event join = guest.call([&](mp::Client& c) { return c.join_room(room.id); });
  ASSERT_FALSE(join.error) << join.error.message;
  ASSERT_EQ(join.members.size(), 2u);
  EXPECT_EQ(join.room->players, 2);
  auto member = host.wait_type(EventType::member_joined);
  ASSERT_TRUE(member && member->member);
  EXPECT_EQ(member->member->client_id, guest.id());
  EXPECT_EQ(member->member->username, "guest");
  EXPECT_EQ(host.client().members().size(), 2u);
  EXPECT_EQ(guest.client().peers(), std::vector<std::string>{host.id()});

  // room:chat reaches both.
  EXPECT_FALSE(guest.call([](mp::Client& c) { return c.send_chat("hello\nthere"); }).error);
  for (TestPeer* p : {&host, &guest}) {
    auto chat = p->wait_type(EventType::chat);
    ASSERT_TRUE(chat);
    EXPECT_EQ(chat->text, "hello\nthere");
    EXPECT_EQ(chat->client_id, guest.id());
    EXPECT_EQ(chat->username, "guest");
  }

  // room:update (host): both see room_updated.
  mp::RoomUpdateOptions update;
  update.name = "saturday";
  const mp::Event updated = host.call([&](mp::Client& c) { return c.update_room(update); });
  ASSERT_FALSE(updated.error);
  EXPECT_EQ(updated.room->name, "saturday");
  auto guest_update = guest.wait_type(EventType::room_updated);
  ASSERT_TRUE(guest_update);
  EXPECT_EQ(guest_update->room->name, "saturday");
  EXPECT_EQ(guest.client().room()->name, "saturday");

  // room:kick (host): the target leaves with "kicked", the host sees member_left.
  EXPECT_FALSE(host.call([&](mp::Client& c) { return c.kick(guest.id()); }).error);
  auto kicked = guest.wait_type(EventType::room_left);
  ASSERT_TRUE(kicked);
  EXPECT_EQ(kicked->reason, "kicked");
  EXPECT_FALSE(guest.client().room());
  auto left = host.wait_type(EventType::member_left);
  ASSERT_TRUE(left);
  EXPECT_EQ(left->client_id, guest.id());
  EXPECT_EQ(left->reason, "kicked");
  // ... and cannot come back.
  EXPECT_EQ(guest.call([&](mp::Client& c) { return c.join_room(room.id); }).error.code,
            ErrorCode::banned);

  // room:leave by a member; the host sees it.
  EXPECT_FALSE(watcher.call([&](mp::Client& c) { return c.join_room(room.id); }).error);
  ASSERT_TRUE(host.wait_type(EventType::member_joined));
  EXPECT_FALSE(watcher.call([](mp::Client& c) { return c.leave_room(); }).error);
  auto watcher_left = watcher.wait_type(EventType::room_left);
  ASSERT_TRUE(watcher_left);
  EXPECT_EQ(watcher_left->reason, "left");
  auto gone = host.wait_type(EventType::member_left);
  ASSERT_TRUE(gone);
  EXPECT_EQ(gone->reason, "left");

  // room:close (host), and lobby:unsubscribe.
  EXPECT_FALSE(watcher.call([](mp::Client& c) { return c.unsubscribe_lobby(); }).error);
  EXPECT_FALSE(host.call([](mp::Client& c) { return c.close_room(); }).error);
  auto closed = host.wait_type(EventType::room_left);
  ASSERT_TRUE(closed);
  EXPECT_EQ(closed->reason, "closed_by_host");
  EXPECT_FALSE(host.client().room());
}

TEST_F(SessionTest, MembersSeeTheRoomCloseAndTheHostChange) {
  TestPeer host(servers(), "host");
  TestPeer a(servers(), "a");
  TestPeer b(servers(), "b");
  const mp::RoomInfo room = create_room(host);
  ASSERT_FALSE(a.call([&](mp::Client& c) { return c.join_room(room.id); }).error);
  ASSERT_FALSE(b.call([&](mp::Client& c) { return c.join_room(room.id); }).error);
  // The host leaves: the member present longest becomes host.
  ASSERT_FALSE(host.call([](mp::Client& c) { return c.leave_room(); }).error);
  auto changed = b.wait_type(EventType::host_changed);
  ASSERT_TRUE(changed);
  EXPECT_EQ(changed->client_id, a.id());
  EXPECT_EQ(b.client().room()->host_client_id, a.id());
  // The new host closes it: b is told.
  ASSERT_FALSE(a.call([](mp::Client& c) { return c.close_room(); }).error);
  auto closed = b.wait_type(EventType::room_left);
  ASSERT_TRUE(closed);
  EXPECT_EQ(closed->reason, "closed_by_host");
}

TEST_F(SessionTest, ServerErrorsReachTheCaller) {
  TestPeer host(servers(), "host");
  TestPeer a(servers(), "a");
  TestPeer b(servers(), "b");
  const mp::RoomInfo room = create_room(host, "locked", 2, "sesame");

  auto join = [&](TestPeer& p, const std::string& id, const std::string& password) {
    return p.call([&](mp::Client& c) { return c.join_room(id, password); }).error.code;
  };
  EXPECT_EQ(join(a, "no-such-room", ""), ErrorCode::room_not_found);
  EXPECT_EQ(join(a, room.id, ""), ErrorCode::wrong_password);
  EXPECT_EQ(join(a, room.id, "guess"), ErrorCode::wrong_password);
  EXPECT_EQ(join(a, room.id, "sesame"), ErrorCode::none);
  EXPECT_EQ(join(b, room.id, "sesame"), ErrorCode::room_full);
  EXPECT_EQ(a.call([&](mp::Client& c) { return c.kick(host.id()); }).error.code,
            ErrorCode::not_host);
  // Room calls without a room are refused before they reach the server.
  EXPECT_EQ(b.call([](mp::Client& c) { return c.send_chat("hi"); }).error.code,
            ErrorCode::not_in_room);
  // Invalid input the server refuses.
  mp::CreateRoomOptions bad;
  bad.game_id = "not-a-title-id";
  bad.name = "x";
  const mp::Event refused = b.call([&](mp::Client& c) { return c.create_room(bad); });
  EXPECT_EQ(refused.error.code, ErrorCode::invalid_request);
  EXPECT_NE(refused.error.message.find("gameId"), std::string::npos) << refused.error.message;
  // No stray `error` event: every failure came through its call.
  for (TestPeer* p : {&a, &b}) {
    p->pump();
    for (const auto& e : p->seen()) EXPECT_NE(e.type, EventType::error) << e.error.message;
  }
}

TEST(SessionRateLimit, RateLimitedCarriesRetryAfter) {
  RoomProcess room("none", {"--rate-limit-points", "4", "--rate-limit-window-s", "60",
                            "--rate-limit-block-s", "30"});
  ASSERT_TRUE(room.started()) << room.log();
  TestPeer a({room.url()}, "spammer");
  ASSERT_TRUE(a.wait_connected());
  mp::Error last;
  for (int i = 0; i < 8 && last.code != ErrorCode::rate_limited; ++i) {
    last = a.call([](mp::Client& c) { return c.list_rooms({}); }).error;
  }
  EXPECT_EQ(last.code, ErrorCode::rate_limited);
  EXPECT_GT(last.retry_after_s, 0);
  EXPECT_LE(last.retry_after_s, 30);
}

TEST(SessionUnreachable, GivesUpAfterThePassesItWasAllowed) {
  RoomProcess room("none");
  ASSERT_TRUE(room.started());
  const std::string dead = room.url();
  room.kill_hard();  // a port nothing listens on any more
  TestPeer a({dead}, "nobody", [](mp::ClientConfig& c) { c.give_up_after_passes = 2; });
  // A call made while connecting waits for the connection, and fails with the reason.
  const mp::Event call = a.call([](mp::Client& c) { return c.list_rooms({}); });
  EXPECT_EQ(call.error.code, ErrorCode::unreachable) << call.error.message;
  auto offline = a.wait_event([](const mp::Event& e) {
    return e.type == EventType::connection && e.state == mp::ConnectionState::offline;
  });
  ASSERT_TRUE(offline);
  EXPECT_EQ(offline->error.code, ErrorCode::unreachable);
  EXPECT_NE(offline->error.message.find("Connection refused"), std::string::npos)
      << offline->error.message;
}

TEST(SessionServerList, MovesPastAnUnreachableServer) {
  RoomProcess dead_room("none");
  RoomProcess live("none");
  ASSERT_TRUE(dead_room.started() && live.started());
  const std::string dead = dead_room.url();
  dead_room.kill_hard();
  TestPeer a({dead + "," + live.url()}, "listed");
  ASSERT_TRUE(a.wait_connected());
  auto connected = std::find_if(a.seen().begin(), a.seen().end(), [](const mp::Event& e) {
    return e.state == mp::ConnectionState::connected;
  });
  ASSERT_NE(connected, a.seen().end());
  EXPECT_EQ(connected->server, live.url());
  EXPECT_FALSE(create_room(a).id.empty());
}

}  // namespace
}  // namespace sudachi::client::test

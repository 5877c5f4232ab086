// The room server dies mid-game. Embedded mode: it restarts on the same address with its rooms
// gone; the host re-creates the room with its resume key, the member rejoins, and the datagram
// path between them never stops. Failover: the next server of the list takes over.
#include <gtest/gtest.h>

#include <cstring>
#include <set>

#include "processes.hpp"
#include "proxy.hpp"
#include "test_peer.hpp"

namespace sudachi::client::test {
namespace {

using mp::EventType;

// The member sends numbered datagrams at a steady pace; the host echoes them; the member
// counts the echoes. Runs while the test does other things through step().
class EchoTraffic {
 public:
  EchoTraffic(TestPeer& host, TestPeer& member)
      : host_(host), member_(member), host_id_(host.id()), member_id_(member.id()) {}

  // Sends what is due (one datagram per 10 ms) and handles what arrived.
  void step() {
    const auto now = std::chrono::steady_clock::now();
    while (next_send_ <= now) {
      std::string payload = "seq " + std::to_string(sent_++);
      member_.client().send(host_id_, as_bytes(payload));
      next_send_ += milliseconds(10);
    }
    host_.pump(milliseconds(2));
    for (; !host_.datagrams().empty(); host_.datagrams().pop_front()) {
      const Datagram& d = host_.datagrams().front();
      if (d.from == member_id_) host_.client().send(d.from, d.data);
    }
    member_.pump(milliseconds(2));
    for (; !member_.datagrams().empty(); member_.datagrams().pop_front()) {
      const Datagram& d = member_.datagrams().front();
      if (d.from == host_id_) echoes_.insert(as_string(d.data));
    }
  }
  // Keeps the traffic going for `duration`.
  void run_for(milliseconds duration) {
    const auto until = std::chrono::steady_clock::now() + duration;
    while (std::chrono::steady_clock::now() < until) step();
  }
  // Keeps it going until `done()` or the deadline; true when done.
  template <class F>
  bool run_until(F done, milliseconds timeout = kWait) {
    const auto until = std::chrono::steady_clock::now() + timeout;
    while (!done()) {
      if (std::chrono::steady_clock::now() >= until) return false;
      step();
    }
    return true;
  }
  // Stops sending and waits (bounded) for the last echoes.
  void drain() {
    const auto until = std::chrono::steady_clock::now() + milliseconds(2'000);
    while (echoes_.size() < static_cast<std::size_t>(sent_) &&
           std::chrono::steady_clock::now() < until) {
      next_send_ = std::chrono::steady_clock::now() + std::chrono::hours(1);
      step();
    }
  }
  int sent() const { return sent_; }
  int echoed() const { return static_cast<int>(echoes_.size()); }

 private:
  TestPeer& host_;
  TestPeer& member_;
  std::string host_id_, member_id_;
  std::chrono::steady_clock::time_point next_send_ = std::chrono::steady_clock::now();
  int sent_ = 0;
  std::set<std::string> echoes_;
};

// Keeps the traffic going until both players got back into their room after a reconnect
// (room_joined with `resumed`), bounded by 30 s.
bool wait_both_back(EchoTraffic& traffic, TestPeer& host, TestPeer& member,
                    std::optional<mp::Event>& host_back, std::optional<mp::Event>& member_back) {
  auto resumed = [](const mp::Event& e) { return e.type == EventType::room_joined && e.resumed; };
  return traffic.run_until(
      [&] {
        if (!host_back) host_back = host.wait_event(resumed, milliseconds(0));
        if (!member_back) member_back = member.wait_event(resumed, milliseconds(0));
        return host_back && member_back;
      },
      milliseconds(30'000));
}

bool is_state(const mp::Event& e, mp::ConnectionState state) {
  return e.type == EventType::connection && e.state == state;
}

class RestartTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(relay_.started()) << relay_.log();
    ASSERT_TRUE(room_.started()) << room_.log();
  }
  RelayProcess relay_;
  RoomProcess room_{relay_.room_flag()};
};

void kill_and_restart_mid_game(RoomProcess& room, bool relay_only) {
  auto tweak = [relay_only](mp::ClientConfig& c) { c.disable_direct = relay_only; };
  TestPeer host({room.url()}, "host", tweak);
  TestPeer member({room.url()}, "member", tweak);
  const mp::RoomInfo created = create_room(host, "survivor", 4, "pw");
  ASSERT_FALSE(member.call([&](mp::Client& c) { return c.join_room(created.id, "pw"); }).error);
  ASSERT_TRUE(host.wait_peer(member.id()));
  ASSERT_TRUE(member.wait_peer(host.id()));

  EchoTraffic traffic(host, member);
  // Polled, not a fixed 500 ms: the first echoes may take longer on a loaded sanitizer build.
  ASSERT_TRUE(traffic.run_until([&] { return traffic.echoed() > 0; }));

  room.kill_hard();
  // Both notice (the WebSocket closes with the process) and start reconnecting.
  ASSERT_TRUE(traffic.run_until([&] {
    return std::any_of(
               host.seen().begin(), host.seen().end(),
               [](const mp::Event& e) { return is_state(e, mp::ConnectionState::reconnecting); }) &&
           std::any_of(member.seen().begin(), member.seen().end(), [](const mp::Event& e) {
             return is_state(e, mp::ConnectionState::reconnecting);
           });
  }));
  const int echoed_before_restart = traffic.echoed();
  // The server is down (until restart() below): the game goes on. Polled, not a fixed 700 ms.
  EXPECT_TRUE(traffic.run_until([&] { return traffic.echoed() > echoed_before_restart; }))
      << "datagrams stopped with the room server";

  ASSERT_TRUE(room.restart()) << room.log();
  // The host is back in its room (re-created under the same id), the member too (rejoined).
  std::optional<mp::Event> host_back, member_back;
  ASSERT_TRUE(wait_both_back(traffic, host, member, host_back, member_back));
  EXPECT_EQ(host_back->room_id, created.id);
  EXPECT_EQ(member_back->room_id, created.id);
  EXPECT_EQ(host_back->room->host_client_id, host.id());
  EXPECT_TRUE(host_back->room->has_password);  // re-created with its settings

  // The restarted server knows the room again, with both in it.
  TestPeer observer({room.url()}, "observer");
  ASSERT_TRUE(traffic.run_until([&] {
    mp::ListRoomsOptions o;
    o.game_id = kGame;
    const mp::Event list = observer.call([&](mp::Client& c) { return c.list_rooms(o); });
    return list.rooms.size() == 1 && list.rooms[0].id == created.id && list.rooms[0].players == 2;
  }));
  // Neither saw the other leave: the member's seat was restored within the window.
  for (const auto& e : host.seen()) EXPECT_NE(e.type, EventType::member_left);
  for (const auto& e : host.seen()) EXPECT_NE(e.type, EventType::peer_disconnected);
  EXPECT_EQ(host.client().members().size(), 2u);

  // Signalling works again: chat goes through the new server.
  EXPECT_FALSE(member.call([](mp::Client& c) { return c.send_chat("still here"); }).error);
  ASSERT_TRUE(host.wait_type(EventType::chat));

  traffic.run_for(milliseconds(300));
  traffic.drain();
  // The path never depended on the room server: (nearly) every echo came back.
  EXPECT_GE(traffic.echoed() * 100, traffic.sent() * 99)
      << traffic.echoed() << " of " << traffic.sent();
  EXPECT_EQ(host.client().counters().reconnects, 1u);
}

TEST_F(RestartTest, KillAndRestartMidGameDirect) {
  kill_and_restart_mid_game(room_, false);
}

TEST_F(RestartTest, KillAndRestartMidGameRelay) {
  kill_and_restart_mid_game(room_, true);
}

TEST_F(RestartTest, MemberGivesUpWhenTheRoomNeverComesBack) {
  // Only the host can bring a room back; a member alone waits for it, within the window.
  TestPeer host({room_.url()}, "host");
  TestPeer member({room_.url()}, "member",
                  [](mp::ClientConfig& c) { c.room_restore_window = milliseconds(1'500); });
  const mp::RoomInfo created = create_room(host);
  ASSERT_FALSE(member.call([&](mp::Client& c) { return c.join_room(created.id); }).error);
  host.client().stop();  // the host is gone for good (and took the room with it)
  room_.kill_hard();
  ASSERT_TRUE(room_.restart());
  auto lost = member.wait_type(EventType::room_left, milliseconds(20'000));
  ASSERT_TRUE(lost);
  EXPECT_EQ(lost->reason, "lost");
  EXPECT_FALSE(member.client().room());
  // The session itself is fine: calls work.
  EXPECT_FALSE(member.call([](mp::Client& c) { return c.list_rooms({}); }).error);
}

TEST(SeatHeld, ABlipTheServerDidNotNoticeKeepsTheSeat) {
  // The member's connection dies on its side only (a NAT rebinding): the server still holds
  // its seat when it comes back, says so in `connected`, and nobody sees it leave.
  RelayProcess relay;
  RoomProcess room(relay.room_flag());
  ASSERT_TRUE(relay.started() && room.started());
  Proxy path(room.port(), false);
  ASSERT_TRUE(path.started());
  TestPeer host({room.url()}, "host");
  TestPeer member({"http://127.0.0.1:" + std::to_string(path.port())}, "member");
  const mp::RoomInfo created = create_room(host);
  ASSERT_FALSE(member.call([&](mp::Client& c) { return c.join_room(created.id); }).error);
  ASSERT_TRUE(host.wait_peer(member.id()));
  ASSERT_TRUE(member.wait_peer(host.id()));
  ASSERT_TRUE(member.wait_type(EventType::room_joined));
  const std::string member_id = member.id();

  path.cut_clients();
  auto back = member.wait_event(
      [](const mp::Event& e) { return e.type == EventType::room_joined && e.resumed; });
  ASSERT_TRUE(back);
  EXPECT_EQ(back->room_id, created.id);
  EXPECT_EQ(member.id(), member_id);
  EXPECT_TRUE(std::any_of(member.seen().begin(), member.seen().end(), [](const mp::Event& e) {
    return is_state(e, mp::ConnectionState::reconnecting);
  }));
  // Chat goes both ways again, and the host never saw the member leave.
  EXPECT_FALSE(member.call([](mp::Client& c) { return c.send_chat("back"); }).error);
  ASSERT_TRUE(host.wait_type(EventType::chat));
  EXPECT_FALSE(host.call([](mp::Client& c) { return c.send_chat("welcome"); }).error);
  auto chat = member.wait_event(
      [](const mp::Event& e) { return e.type == EventType::chat && e.text == "welcome"; });
  EXPECT_TRUE(chat);
  for (const auto& e : host.seen()) EXPECT_NE(e.type, EventType::member_left);
}

TEST(Failover, TheNextServerOfTheListTakesTheRoomOver) {
  RelayProcess relay;
  RoomProcess a(relay.room_flag());
  RoomProcess b(relay.room_flag());
  ASSERT_TRUE(relay.started() && a.started() && b.started());
  const std::vector<std::string> servers = {a.url(), b.url()};
  TestPeer host(servers, "host");
  TestPeer member(servers, "member");
  const mp::RoomInfo created = create_room(host);
  ASSERT_FALSE(member.call([&](mp::Client& c) { return c.join_room(created.id); }).error);
  ASSERT_TRUE(host.wait_peer(member.id()));
  ASSERT_TRUE(member.wait_peer(host.id()));
  EchoTraffic traffic(host, member);
  traffic.run_for(milliseconds(300));

  a.kill_hard();  // the region is gone; b shares the secrets
  std::optional<mp::Event> host_back, member_back;
  ASSERT_TRUE(wait_both_back(traffic, host, member, host_back, member_back));
  EXPECT_EQ(host_back->room_id, created.id);
  // Both are on b now.
  auto on_b = [&](const TestPeer& p) {
    for (auto it = p.seen().rbegin(); it != p.seen().rend(); ++it) {
      if (is_state(*it, mp::ConnectionState::connected)) return it->server == b.url();
    }
    return false;
  };
  EXPECT_TRUE(on_b(host));
  EXPECT_TRUE(on_b(member));
  TestPeer observer({b.url()}, "observer");
  const mp::Event list = observer.call([](mp::Client& c) { return c.list_rooms({}); });
  ASSERT_EQ(list.rooms.size(), 1u);
  EXPECT_EQ(list.rooms[0].id, created.id);
  EXPECT_EQ(list.rooms[0].players, 2);
  traffic.run_for(milliseconds(300));
  traffic.drain();
  EXPECT_GE(traffic.echoed() * 100, traffic.sent() * 99)
      << traffic.echoed() << " of " << traffic.sent();
}

}  // namespace
}  // namespace sudachi::client::test

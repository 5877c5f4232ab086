// Password work under a flood: failed-attempt limits before any hashing, and the bound on the
// hashing queue (issue 7: 20 clients guessing made a legitimate join wait 19.5 s).
#include <functional>
#include <string>
#include <vector>

#include "service_test_support.hpp"

namespace sudachi::room::test {
namespace {

class PasswordFloodTest : public ServiceTest {
 protected:
  // A service whose offload queues the work (counted), with room for `queue_limit` jobs.
  RoomServiceImpl deferred_service(std::size_t queue_limit) {
    return RoomServiceImpl{RoomServiceImpl::Dependencies{
        store_, delivery_, history_, event_limiter_, relay_limiter_, relays_, keys_, metrics_,
        clock_, [this](std::function<void()> work) { queued_.push_back(std::move(work)); }, "eu",
        30'000, "9.9.9", false, relay_sessions_, kResumeSecret, queue_limit}};
  }
  void run_queued() {
    auto jobs = std::move(queued_);
    queued_.clear();
    for (auto& job : jobs) job();
  }
  std::string password_room(const TestClient& host, const std::string& password = "s3cret") {
    json::object payload = room_payload();
    payload["password"] = password;
    return create_room(host, payload);
  }
  static json::object join_with(const std::string& room_id, const std::string& password) {
    return json::object{{"roomId", room_id}, {"password", password}};
  }
  TestClient connect_from(std::string username, std::string ip) {
    TestClient c = connect(std::move(username));
    c.who.remote_ip = std::move(ip);
    return c;
  }
  double rate_limited(const std::string& scope) {
    return metrics_.rate_limited.with({scope}).value();
  }

  std::vector<std::function<void()>> queued_;
};

TEST_F(PasswordFloodTest, WrongPasswordsAreRefusedWithoutHashingAfterFivePerRoom) {
  TestClient host = connect("Mario");
  const std::string room_id = password_room(host);
  RoomServiceImpl service = deferred_service(32);
  TestClient guesser = connect_from("Bowser", "198.51.100.7");

  std::vector<std::uint64_t> acks;
  for (int i = 0; i < 8; ++i) {
    acks.push_back(next_ack_++);
    service.on_event(guesser.who, guesser.conn, "room:join",
                     join_with(room_id, "guess" + std::to_string(i)), acks.back());
  }
  // Five were handed to the pool; the other three were refused at once, nothing hashed.
  EXPECT_EQ(queued_.size(), 5u);
  for (int i = 5; i < 8; ++i) {
    const json::value ack = guesser.conn->ack(acks[i]);
    EXPECT_EQ(error_code(ack), "RATE_LIMITED");
    EXPECT_EQ(ack.at("error").at("retryAfter"), 60);
  }
  run_queued();
  for (int i = 0; i < 5; ++i) EXPECT_EQ(error_code(guesser.conn->ack(acks[i])), "WRONG_PASSWORD");
  EXPECT_EQ(rate_limited("password"), 3);

  // Even the right password waits for the window: the limit is on guessing, not on wrong ones.
  service.on_event(guesser.who, guesser.conn, "room:join", join_with(room_id, "s3cret"), 100);
  EXPECT_EQ(error_code(guesser.conn->ack(100)), "RATE_LIMITED");
  EXPECT_TRUE(queued_.empty());
  clock_.advance_ms(60'000);
  service.on_event(guesser.who, guesser.conn, "room:join", join_with(room_id, "s3cret"), 101);
  run_queued();
  EXPECT_EQ(error_code(guesser.conn->ack(101)), "OK");
}

TEST_F(PasswordFloodTest, AFloodFromOneAddressLeavesOtherClientsAlone) {
  TestClient host = connect("Mario");
  const std::string room_id = password_room(host);
  RoomServiceImpl service = deferred_service(32);
  // 10 clients from one address, 3 guesses each: 20 reach the pool, 10 are refused.
  int refused = 0;
  for (int c = 0; c < 10; ++c) {
    TestClient guesser = connect_from("Koopa" + std::to_string(c), "198.51.100.7");
    for (int i = 0; i < 3; ++i) {
      const std::uint64_t id = next_ack_++;
      service.on_event(guesser.who, guesser.conn, "room:join", join_with(room_id, "nope"), id);
      refused += error_code(guesser.conn->ack(id)) == "RATE_LIMITED" ? 1 : 0;
    }
  }
  EXPECT_EQ(queued_.size(), 20u);
  EXPECT_EQ(refused, 10);
  // A player elsewhere joins with the right password: queued, and seated.
  TestClient luigi = connect_from("Luigi", "192.0.2.10");
  service.on_event(luigi.who, luigi.conn, "room:join", join_with(room_id, "s3cret"), 500);
  EXPECT_EQ(queued_.size(), 21u);
  run_queued();
  EXPECT_EQ(error_code(luigi.conn->ack(500)), "OK");
}

TEST_F(PasswordFloodTest, AFullQueueAnswersUnavailableAtOnceAndCountsNoFailure) {
  TestClient host = connect("Mario");
  const std::string room_id = password_room(host);
  RoomServiceImpl service = deferred_service(2);
  TestClient a = connect_from("A", "192.0.2.1");
  TestClient b = connect_from("B", "192.0.2.2");
  TestClient c = connect_from("C", "192.0.2.3");
  service.on_event(a.who, a.conn, "room:join", join_with(room_id, "s3cret"), 1);
  service.on_event(b.who, b.conn, "room:join", join_with(room_id, "wrong"), 2);
  service.on_event(c.who, c.conn, "room:join", join_with(room_id, "s3cret"), 3);
  ASSERT_EQ(queued_.size(), 2u);
  const json::value busy = c.conn->ack(3);
  EXPECT_EQ(error_code(busy), "UNAVAILABLE");
  EXPECT_EQ(busy.at("error").at("retryAfter"), 1);
  EXPECT_EQ(metrics_.password_queue_full.value(), 1);

  // The same applies to hashing a new password (room:create), then slots come back.
  TestClient d = connect_from("D", "192.0.2.4");
  json::object with_password = room_payload();
  with_password["password"] = "pw";
  service.on_event(d.who, d.conn, "room:create", with_password, 4);
  EXPECT_EQ(error_code(d.conn->ack(4)), "UNAVAILABLE");
  run_queued();
  EXPECT_EQ(error_code(a.conn->ack(1)), "OK");
  EXPECT_EQ(error_code(b.conn->ack(2)), "WRONG_PASSWORD");
  service.on_event(d.who, d.conn, "room:create", with_password, 5);
  run_queued();
  EXPECT_EQ(error_code(d.conn->ack(5)), "OK");

  // C's refusal was not a guess: five more attempts are still C's to make.
  for (int i = 0; i < 5; ++i) {
    service.on_event(c.who, c.conn, "room:join", join_with(room_id, "x"), 10 + i);
    run_queued();
    EXPECT_EQ(error_code(c.conn->ack(10 + i)), "WRONG_PASSWORD") << i;
  }
}

TEST_F(PasswordFloodTest, MissingPasswordCostsNothingAndIsNotLimited) {
  TestClient host = connect("Mario");
  const std::string room_id = password_room(host);
  RoomServiceImpl service = deferred_service(32);
  TestClient guest = connect("Luigi");
  for (int i = 0; i < 10; ++i) {
    service.on_event(guest.who, guest.conn, "room:join", json::object{{"roomId", room_id}}, i + 1);
    EXPECT_EQ(error_code(guest.conn->ack(i + 1)), "WRONG_PASSWORD");
  }
  EXPECT_TRUE(queued_.empty());
}

}  // namespace
}  // namespace sudachi::room::test

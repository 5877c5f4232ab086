// Room resume: the creator of a room the server lost brings it back under the same id.
#include "auth/room_resume.hpp"
#include "service_test_support.hpp"

namespace sudachi::room::test {
namespace {

class ResumeTest : public ServiceTest {
 protected:
  // Creates a room, then makes the server lose it (closing it is the in-process stand-in for
  // a restart: the id is free again). Returns the room:created ack.
  json::value create_then_lose(const TestClient& host, json::object payload = room_payload()) {
    json::value created = call(host, "room:create", payload);
    EXPECT_EQ(error_code(created), "OK");
    const std::string id(created.at("room").at("id").as_string());
    EXPECT_EQ(error_code(call(host, "room:close", json::object{{"roomId", id}})), "OK");
    return created;
  }
  static json::object resume_payload(const json::value& created,
                                     json::object payload = room_payload()) {
    payload["roomId"] = created.at("room").at("id");
    payload["resumeKey"] = created.at("resumeKey");
    return payload;
  }
};

TEST_F(ResumeTest, CreatedCarriesTheCreatorsKey) {
  TestClient host = connect("Mario");
  json::value created = call(host, "room:create", room_payload());
  const std::string id(created.at("room").at("id").as_string());
  EXPECT_EQ(created.at("resumeKey").as_string(),
            auth::RoomResumeKeys(kResumeSecret).key(id, host.id()));
  // The event carries what the ack carries; lobby subscribers never see the key.
  EXPECT_EQ(host.conn->only("room:created"), created);
}

TEST_F(ResumeTest, CreatorRecreatesTheLostRoomUnderItsId) {
  TestClient host = connect("Mario");
  const json::value created = create_then_lose(host);
  const json::value id = created.at("room").at("id");

  json::value again = call(host, "room:create", resume_payload(created));
  ASSERT_EQ(error_code(again), "OK") << json::serialize(again);
  EXPECT_EQ(again.at("room").at("id"), id);
  EXPECT_EQ(again.at("room").at("hostClientId").as_string(), host.id());
  EXPECT_EQ(again.at("resumeKey"), created.at("resumeKey"));  // the same key still works

  // Members find it again by its id.
  TestClient guest = connect("Luigi");
  join(guest, std::string(id.as_string()));
}

TEST_F(ResumeTest, PasswordProtectedRoomsComeBackWithTheirPassword) {
  TestClient host = connect("Mario");
  json::object payload = room_payload();
  payload["password"] = "secret";
  const json::value created = create_then_lose(host, payload);
  json::value again = call(host, "room:create", resume_payload(created, payload));
  ASSERT_EQ(error_code(again), "OK") << json::serialize(again);
  EXPECT_EQ(again.at("room").at("hasPassword"), true);
  TestClient guest = connect("Luigi");
  const std::string id(created.at("room").at("id").as_string());
  EXPECT_EQ(error_code(call(guest, "room:join", json::object{{"roomId", id}})), "WRONG_PASSWORD");
  EXPECT_EQ(
      error_code(call(guest, "room:join", json::object{{"roomId", id}, {"password", "secret"}})),
      "OK");
}

TEST_F(ResumeTest, AnotherClientsKeyOrRoomIsNotHost) {
  TestClient host = connect("Mario");
  TestClient thief = connect("Wario");
  const json::value created = create_then_lose(host);
  EXPECT_EQ(error_code(call(thief, "room:create", resume_payload(created))), "NOT_HOST");
  json::object other_room = resume_payload(created);
  other_room["roomId"] = random_uuid_v4();
  EXPECT_EQ(error_code(call(host, "room:create", other_room)), "NOT_HOST");
  json::object forged = resume_payload(created);
  forged["resumeKey"] = auth::RoomResumeKeys("a-guessed-secret")
                            .key(std::string(created.at("room").at("id").as_string()), thief.id());
  EXPECT_EQ(error_code(call(thief, "room:create", forged)), "NOT_HOST");
  EXPECT_EQ(metrics_.rooms_created.value(), 1);  // nothing was created
}

TEST_F(ResumeTest, RoomIdAndKeyGoTogether) {
  TestClient host = connect("Mario");
  const json::value created = create_then_lose(host);
  json::object only_id = room_payload();
  only_id["roomId"] = created.at("room").at("id");
  EXPECT_EQ(error_code(call(host, "room:create", only_id)), "INVALID_REQUEST");
  json::object only_key = room_payload();
  only_key["resumeKey"] = created.at("resumeKey");
  EXPECT_EQ(error_code(call(host, "room:create", only_key)), "INVALID_REQUEST");
  json::object long_key = resume_payload(created);
  long_key["resumeKey"] = std::string(200, 'A');
  EXPECT_EQ(error_code(call(host, "room:create", long_key)), "INVALID_REQUEST");
}

TEST_F(ResumeTest, ARoomThatStillExistsIsJoinedNotRecreated) {
  TestClient host = connect("Mario");
  TestClient guest = connect("Luigi");
  const json::value created = call(host, "room:create", room_payload());
  const std::string id(created.at("room").at("id").as_string());
  join(guest, id);
  // The creator is still in it: already in a room.
  EXPECT_EQ(error_code(call(host, "room:create", resume_payload(created))), "ALREADY_IN_ROOM");
  // The creator left, the room lives on with the guest: it must be joined, not duplicated.
  EXPECT_EQ(error_code(call(host, "room:leave", json::object{{"roomId", id}})), "OK");
  EXPECT_EQ(error_code(call(host, "room:create", resume_payload(created))), "INVALID_REQUEST");
  join(host, id);
}

TEST_F(ResumeTest, WithoutASecretThereIsNoKeyAndNoResume) {
  RoomServiceImpl plain{RoomServiceImpl::Dependencies{
      store_, delivery_, history_, event_limiter_, relay_limiter_, relays_, keys_, metrics_, clock_,
      [](std::function<void()> work) { work(); }, "eu", 30'000, "9.9.9", false, relay_sessions_}};
  TestClient host = connect("Mario");
  plain.on_event(host.who, host.conn, "room:create", room_payload(), 1);
  const json::value created = host.conn->ack(1);
  ASSERT_EQ(error_code(created), "OK");
  EXPECT_FALSE(created.as_object().contains("resumeKey"));
  const std::string id(created.at("room").at("id").as_string());
  plain.on_event(host.who, host.conn, "room:close", json::object{{"roomId", id}}, 2);
  json::object payload = room_payload();
  payload["roomId"] = id;
  payload["resumeKey"] = auth::RoomResumeKeys(kResumeSecret).key(id, host.id());
  plain.on_event(host.who, host.conn, "room:create", payload, 3);
  EXPECT_EQ(error_code(host.conn->ack(3)), "NOT_HOST");
}

}  // namespace
}  // namespace sudachi::room::test

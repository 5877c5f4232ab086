#include "client/signaling/room_codec.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>

namespace sudachi::client {
namespace {
namespace json = boost::json;

json::value room_json() {
  return json::parse(R"({"id":"r1","gameId":"0100000000010000","gameName":"G","name":"Room",
    "hostClientId":"h","hostUsername":"Hana","maxPlayers":4,"players":2,"hasPassword":true,
    "visibility":"private","region":"eu","createdAt":1700000000000,"future":"ignored"})");
}

TEST(RoomCodec, ReadsARoom) {
  auto room = read_room(room_json());
  ASSERT_TRUE(room);
  EXPECT_EQ(room->id, "r1");
  EXPECT_EQ(room->game_id, "0100000000010000");
  EXPECT_EQ(room->game_name, "G");
  EXPECT_EQ(room->host_client_id, "h");
  EXPECT_EQ(room->host_username, "Hana");
  EXPECT_EQ(room->max_players, 4);
  EXPECT_EQ(room->players, 2);
  EXPECT_TRUE(room->has_password);
  EXPECT_FALSE(room->is_public);
  EXPECT_EQ(room->region, "eu");
  EXPECT_EQ(room->created_at_ms, 1700000000000);
}

TEST(RoomCodec, RefusesRoomsMissingOrMistypedFields) {
  for (const char* key : {"id", "gameId", "name", "hostClientId", "maxPlayers", "players"}) {
    json::value v = room_json();
    v.as_object().erase(key);
    EXPECT_FALSE(read_room(v)) << "without " << key;
    v = room_json();
    v.as_object()[key] = json::array{};
    EXPECT_FALSE(read_room(v)) << key << " as an array";
  }
  json::value huge = room_json();
  huge.as_object()["name"] = std::string(10'000, 'x');
  EXPECT_FALSE(read_room(huge));
  json::value negative = room_json();
  negative.as_object()["players"] = -1;
  EXPECT_FALSE(read_room(negative));
  EXPECT_FALSE(read_room(json::value("room")));
}

TEST(RoomCodec, ReadsMembers) {
  auto m = read_member(
      json::parse(R"({"clientId":"c","username":"U","platform":"linux","joinedAt":5})"));
  ASSERT_TRUE(m);
  EXPECT_EQ(m->client_id, "c");
  EXPECT_EQ(m->username, "U");
  EXPECT_EQ(m->joined_at_ms, 5);
  EXPECT_FALSE(read_member(json::parse(R"({"username":"U"})")));
  EXPECT_FALSE(read_member(json::parse(R"({"clientId":""})")));
}

TEST(RoomCodec, ErrorsMapEveryServerCode) {
  const std::pair<const char*, mp::ErrorCode> codes[] = {
      {"AUTH_FAILED", mp::ErrorCode::auth_failed},
      {"RATE_LIMITED", mp::ErrorCode::rate_limited},
      {"INVALID_REQUEST", mp::ErrorCode::invalid_request},
      {"ROOM_NOT_FOUND", mp::ErrorCode::room_not_found},
      {"ROOM_FULL", mp::ErrorCode::room_full},
      {"WRONG_PASSWORD", mp::ErrorCode::wrong_password},
      {"NOT_HOST", mp::ErrorCode::not_host},
      {"NOT_IN_ROOM", mp::ErrorCode::not_in_room},
      {"ALREADY_IN_ROOM", mp::ErrorCode::already_in_room},
      {"BANNED", mp::ErrorCode::banned},
      {"NO_RELAY_AVAILABLE", mp::ErrorCode::no_relay_available},
      {"UNAVAILABLE", mp::ErrorCode::unavailable},
      {"INTERNAL", mp::ErrorCode::internal}};
  for (const auto& [name, code] : codes) {
    EXPECT_EQ(error_code_from_string(name), code);
    EXPECT_EQ(mp::to_string(code), name);  // the public spelling is the wire spelling
  }
  EXPECT_EQ(error_code_from_string("NEW_CODE"), mp::ErrorCode::unknown);

  auto limited =
      read_error(json::parse(R"({"code":"RATE_LIMITED","message":"slow","retryAfter":42})"));
  EXPECT_EQ(limited.code, mp::ErrorCode::rate_limited);
  EXPECT_EQ(limited.message, "slow");
  EXPECT_EQ(limited.retry_after_s, 42);
  auto unknown = read_error(json::parse(R"({"code":"NEW_CODE","message":"m"})"));
  EXPECT_EQ(unknown.code, mp::ErrorCode::unknown);
  EXPECT_NE(unknown.message.find("NEW_CODE"), std::string::npos);
  EXPECT_EQ(read_error(json::parse("[]")).code, mp::ErrorCode::protocol_error);
}

TEST(RoomCodec, AckShapes) {
  const json::value ok = json::parse(R"({"success":true,"room":{}})");
  auto a = read_ack(ok);
  EXPECT_FALSE(a.error);
  ASSERT_NE(a.body, nullptr);
  EXPECT_TRUE(a.body->contains("room"));

  auto failed =
      read_ack(json::parse(R"({"success":false,"error":{"code":"ROOM_FULL","message":"full"}})"));
  EXPECT_EQ(failed.error.code, mp::ErrorCode::room_full);
  EXPECT_EQ(failed.body, nullptr);

  EXPECT_EQ(read_ack(json::parse(R"({"room":{}})")).error.code, mp::ErrorCode::protocol_error);
  EXPECT_EQ(read_ack(json::parse(R"({"success":false})")).error.code,
            mp::ErrorCode::protocol_error);
  EXPECT_EQ(read_ack(json::value()).error.code, mp::ErrorCode::protocol_error);
}

TEST(RoomCodec, ConnectedWithRoomAndStun) {
  auto c = read_connected(json::parse(
      R"({"clientId":"me","serverTime":1,"serverVersion":"x","roomId":"r",
          "stun":[{"host":"203.0.113.5","port":3478},{"host":"relay.example","port":3479}]})"));
  ASSERT_TRUE(c);
  EXPECT_EQ(c->client_id, "me");
  EXPECT_EQ(c->room_id, "r");
  ASSERT_EQ(c->stun.size(), 2u);
  EXPECT_EQ(c->stun[1].host, "relay.example");
  EXPECT_EQ(c->stun[1].port, 3479);

  auto plain = read_connected(json::parse(R"({"clientId":"me"})"));
  ASSERT_TRUE(plain);
  EXPECT_FALSE(plain->room_id);
  EXPECT_TRUE(plain->stun.empty());

  EXPECT_FALSE(read_connected(json::parse(R"({"clientId":"me","stun":[{"host":"h","port":0}]})")));
  EXPECT_FALSE(read_connected(json::parse(R"({"clientId":"me","stun":{}})")));
  EXPECT_FALSE(read_connected(json::parse(R"({"clientId":"me","roomId":7})")));
  EXPECT_FALSE(read_connected(json::parse(R"({"serverTime":1})")));

  // A server announcing a flood of STUN servers is believed for the first few only.
  json::array many;
  for (int i = 0; i < 100; ++i) many.push_back(json::object{{"host", "h"}, {"port", 1 + i}});
  auto flood = read_connected(json::object{{"clientId", "me"}, {"stun", many}});
  ASSERT_TRUE(flood);
  EXPECT_EQ(flood->stun.size(), 8u);
}

TEST(RoomCodec, UseRelay) {
  auto r = read_use_relay(json::parse(
      R"({"server":"127.0.0.1","port":3478,"tcpPort":3479,"protocol":"udp",
          "sessionId":"00112233445566778899aabbccddeeff","token":"tok","expiresAt":99,
          "peerClientId":"peer"})"));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->peer_client_id, "peer");
  EXPECT_EQ(r->port, 3478);
  EXPECT_EQ(r->tcp_port, 3479);
  EXPECT_EQ(r->token, "tok");
  EXPECT_EQ(r->expires_at_ms, 99);
  EXPECT_FALSE(read_use_relay(
      json::parse(R"({"server":"h","port":70000,"sessionId":"s","token":"t","expiresAt":1})")));
  EXPECT_FALSE(
      read_use_relay(json::parse(R"({"server":"h","port":1,"sessionId":"s","expiresAt":1})")));
}

TEST(RoomCodec, SignalKeepsThePayloadAsJsonText) {
  auto s = read_signal(json::parse(
      R"({"roomId":"r","fromClientId":"p","payload":{"candidates":["a"],"secret":"s"}})"));
  ASSERT_TRUE(s);
  EXPECT_EQ(s->from_client_id, "p");
  EXPECT_EQ(json::parse(s->payload_json), json::parse(R"({"candidates":["a"],"secret":"s"})"));
  json::object big{{"roomId", "r"},
                   {"fromClientId", "p"},
                   {"payload", json::object{{"x", std::string(20'000, 'a')}}}};
  EXPECT_FALSE(read_signal(big));
  EXPECT_FALSE(read_signal(json::parse(R"({"roomId":"r","payload":{}})")));
}

TEST(RoomCodec, RequestPayloads) {
  mp::CreateRoomOptions create;
  create.game_id = "0100000000010000";
  create.name = "R";
  create.max_players = 3;
  create.is_public = false;
  EXPECT_EQ(
      create_payload(create),
      json::parse(
          R"({"gameId":"0100000000010000","name":"R","maxPlayers":3,"visibility":"private"})"));
  create.password = "pw";
  create.region = "eu";
  create.game_name = "G";
  const auto full = create_payload(create).as_object();
  EXPECT_EQ(full.at("password"), "pw");
  EXPECT_EQ(full.at("region"), "eu");
  EXPECT_EQ(full.at("gameName"), "G");

  mp::ListRoomsOptions list;
  EXPECT_EQ(list_payload(list), json::parse(R"({"offset":0,"limit":50})"));
  list.game_id = "0100000000010000";
  list.not_full = true;
  EXPECT_EQ(list_payload(list).as_object().at("notFull"), true);

  mp::RoomUpdateOptions update;
  update.password = "";
  update.is_public = true;
  EXPECT_EQ(update_payload("r", update),
            json::parse(R"({"roomId":"r","password":"","visibility":"public"})"));
}

}  // namespace
}  // namespace sudachi::client

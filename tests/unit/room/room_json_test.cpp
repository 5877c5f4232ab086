#include "room/room_json.hpp"

#include <gtest/gtest.h>
#include <boost/json.hpp>

namespace sudachi::room {
namespace {
namespace json = boost::json;

RoomRecord sample_room() {
  RoomRecord r;
  r.id = "3f2b8c1e-9d4a-4e7b-8c2d-1a2b3c4d5e6f";
  r.game_id = "0100000000010000";
  r.game_name = "Mario Kart 8 Deluxe";
  r.name = "Friday races";
  r.host_client_id = "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d";
  r.host_username = "Mario";
  r.max_players = 8;
  r.players = 3;
  r.peak_players = 5;
  r.password_hash = "pbkdf2-sha256$60000$salt$hash";
  r.visibility = Visibility::private_room;
  r.region = "eu";
  r.created_at_ms = 1'700'000'000'123;
  r.connections = ConnectionCounts{2, 1, 1};
  return r;
}

TEST(RoomJson, ExactPublicShape) {
  const json::value expected = json::parse(R"({
    "id":"3f2b8c1e-9d4a-4e7b-8c2d-1a2b3c4d5e6f","gameId":"0100000000010000",
    "gameName":"Mario Kart 8 Deluxe","name":"Friday races",
    "hostClientId":"9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d","hostUsername":"Mario",
    "maxPlayers":8,"players":3,"hasPassword":true,"visibility":"private","region":"eu",
    "createdAt":1700000000123})");
  EXPECT_EQ(json::value(room_to_json(sample_room())), expected);
}

TEST(RoomJson, NeverLeaksInternals) {
  const std::string text = json::serialize(room_to_json(sample_room()));
  EXPECT_EQ(text.find("pbkdf2"), std::string::npos);
  EXPECT_EQ(text.find("peak"), std::string::npos);
  EXPECT_EQ(text.find("connections"), std::string::npos);
}

TEST(RoomJson, PublicWithoutPassword) {
  RoomRecord r = sample_room();
  r.password_hash.clear();
  r.visibility = Visibility::public_room;
  json::object o = room_to_json(r);
  EXPECT_EQ(o.at("hasPassword"), false);
  EXPECT_EQ(o.at("visibility"), "public");
}

TEST(MemberJson, ExactShape) {
  Member m{"9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d", "Luigi", "linux", 1'700'000'000'999};
  EXPECT_EQ(json::value(member_to_json(m)),
            json::parse(R"({"clientId":"9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d","username":"Luigi",
                            "platform":"linux","joinedAt":1700000000999})"));
}

TEST(ErrorJson, RetryAfterOnlyWhenSet) {
  EXPECT_EQ(json::value(error_to_json(Error::make(ErrorCode::room_full))),
            json::parse(R"({"code":"ROOM_FULL","message":"Room is full"})"));
  Error limited = Error::make(ErrorCode::rate_limited);
  limited.retry_after_seconds = 300;
  EXPECT_EQ(
      json::value(error_to_json(limited)),
      json::parse(R"({"code":"RATE_LIMITED","message":"Too many requests","retryAfter":300})"));
}

TEST(ReasonNames, WireSpelling) {
  EXPECT_EQ(to_string(LeaveReason::left), "left");
  EXPECT_EQ(to_string(LeaveReason::kicked), "kicked");
  EXPECT_EQ(to_string(LeaveReason::disconnected), "disconnected");
}

}  // namespace
}  // namespace sudachi::room

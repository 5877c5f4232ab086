#include "room/validation.hpp"

#include <string>
#include <utility>

#include <gtest/gtest.h>
#include <boost/json.hpp>

namespace sudachi::room {
namespace {
namespace json = boost::json;

constexpr const char* kRoom = "3f2b8c1e-9d4a-4e7b-8c2d-1a2b3c4d5e6f";
constexpr const char* kPeer = "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d";

json::object create_payload() {
  return json::object{{"gameId", "0100000000010000"},
                      {"name", "Room"},
                      {"maxPlayers", 4},
                      {"visibility", "public"}};
}

template <class T>
void expect_invalid(const Result<T>& r, std::string_view field) {
  ASSERT_FALSE(r.ok()) << "expected a refusal mentioning " << field;
  EXPECT_EQ(r.error().code, ErrorCode::invalid_request);
  EXPECT_NE(r.error().message.find(field), std::string::npos) << r.error().message;
}

json::object with(json::object o, std::string_view key, json::value v) {
  o[key] = std::move(v);
  return o;
}

// --- room:create ---------------------------------------------------------------------------

TEST(ParseRoomCreate, MinimalPayload) {
  auto r = parse_room_create(create_payload());
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->game_id, "0100000000010000");
  EXPECT_EQ(r->game_name, "");
  EXPECT_EQ(r->name, "Room");
  EXPECT_EQ(r->max_players, 4);
  EXPECT_FALSE(r->password);
  EXPECT_EQ(r->visibility, Visibility::public_room);
  EXPECT_FALSE(r->region);
}

TEST(ParseRoomCreate, AllFields) {
  json::object p = create_payload();
  p["gameName"] = "Mario Kart 8 Deluxe";
  p["password"] = "hunter2";
  p["visibility"] = "private";
  p["region"] = "eu-west";
  auto r = parse_room_create(p);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->game_name, "Mario Kart 8 Deluxe");
  EXPECT_EQ(*r->password, "hunter2");
  EXPECT_EQ(r->visibility, Visibility::private_room);
  EXPECT_EQ(*r->region, "eu-west");
}

TEST(ParseRoomCreate, PayloadMustBeAnObject) {
  expect_invalid(parse_room_create(json::value(nullptr)), "Payload");
  expect_invalid(parse_room_create(json::array{1, 2}), "Payload");
  expect_invalid(parse_room_create(json::value("room")), "Payload");
}

TEST(ParseRoomCreate, RequiredFields) {
  for (const char* key : {"gameId", "name", "maxPlayers", "visibility"}) {
    json::object p = create_payload();
    p.erase(key);
    expect_invalid(parse_room_create(p), key);
    expect_invalid(parse_room_create(with(create_payload(), key, nullptr)), key);
  }
}

TEST(ParseRoomCreate, MaxPlayersIsAnIntegerFrom2To16) {
  for (json::value ok : {json::value(2), json::value(16), json::value(8.0)}) {
    EXPECT_TRUE(parse_room_create(with(create_payload(), "maxPlayers", ok)).ok())
        << json::serialize(ok);
  }
  for (json::value bad :
       {json::value(1), json::value(17), json::value(0), json::value(-4), json::value(4.5),
        json::value("4"), json::value(true), json::value(std::uint64_t(1) << 63)}) {
    expect_invalid(parse_room_create(with(create_payload(), "maxPlayers", bad)), "maxPlayers");
  }
}

TEST(ParseRoomCreate, NameIs1To32CodePointsWithoutControls) {
  EXPECT_TRUE(parse_room_create(with(create_payload(), "name", "a")).ok());
  EXPECT_TRUE(parse_room_create(with(create_payload(), "name", json::string(32, 'a'))).ok());
  std::string kana;
  for (int i = 0; i < 32; ++i) kana += "\xE3\x81\x82";  // 32 code points, 96 bytes
  EXPECT_TRUE(parse_room_create(with(create_payload(), "name", json::string(kana))).ok());
  expect_invalid(
      parse_room_create(with(create_payload(), "name", json::string(kana + "\xE3\x81\x82"))),
      "name");
  expect_invalid(parse_room_create(with(create_payload(), "name", "")), "name");
  expect_invalid(parse_room_create(with(create_payload(), "name", json::string(33, 'a'))), "name");
  expect_invalid(parse_room_create(with(create_payload(), "name", "tab\there")), "control");
  expect_invalid(parse_room_create(with(create_payload(), "name", "\xC3\x28")), "UTF-8");
  expect_invalid(parse_room_create(with(create_payload(), "name", 42)), "name");
}

TEST(ParseRoomCreate, GameNameUpTo64) {
  EXPECT_TRUE(parse_room_create(with(create_payload(), "gameName", "")).ok());
  EXPECT_TRUE(parse_room_create(with(create_payload(), "gameName", json::string(64, 'g'))).ok());
  expect_invalid(parse_room_create(with(create_payload(), "gameName", json::string(65, 'g'))),
                 "gameName");
  expect_invalid(parse_room_create(with(create_payload(), "gameName", json::array{})), "gameName");
}

TEST(ParseRoomCreate, GameIdIsA16HexDigitString) {
  EXPECT_TRUE(parse_room_create(with(create_payload(), "gameId", "01006A800016E000")).ok());
  expect_invalid(parse_room_create(with(create_payload(), "gameId", 72057594037993472LL)),
                 "gameId");
  expect_invalid(parse_room_create(with(create_payload(), "gameId", "010000000001000")), "gameId");
  expect_invalid(parse_room_create(with(create_payload(), "gameId", "01000000000100000")),
                 "gameId");
  expect_invalid(parse_room_create(with(create_payload(), "gameId", "010000000001000Z")), "gameId");
}

TEST(ParseRoomCreate, VisibilityIsPublicOrPrivate) {
  expect_invalid(parse_room_create(with(create_payload(), "visibility", "friends")), "visibility");
  expect_invalid(parse_room_create(with(create_payload(), "visibility", "PUBLIC")), "visibility");
  expect_invalid(parse_room_create(with(create_payload(), "visibility", true)), "visibility");
}

TEST(ParseRoomCreate, EmptyPasswordMeansNone) {
  auto r = parse_room_create(with(create_payload(), "password", ""));
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->password);
  EXPECT_TRUE(parse_room_create(with(create_payload(), "password", json::string(128, 'p'))).ok());
  expect_invalid(parse_room_create(with(create_payload(), "password", json::string(129, 'p'))),
                 "password");
  expect_invalid(parse_room_create(with(create_payload(), "password", 1234)), "password");
}

TEST(ParseRoomCreate, RegionBounded) {
  expect_invalid(parse_room_create(with(create_payload(), "region", "")), "region");
  expect_invalid(parse_room_create(with(create_payload(), "region", json::string(33, 'r'))),
                 "region");
}

TEST(ParseRoomCreate, UnknownFieldsAreIgnored) {
  EXPECT_TRUE(parse_room_create(with(create_payload(), "futureField", json::object{})).ok());
}

// --- room:list and GET /api/v1/rooms --------------------------------------------------------

TEST(ParseRoomList, DefaultsFromNullOrEmpty) {
  for (json::value v : {json::value(nullptr), json::value(json::object{})}) {
    auto r = parse_room_list(v);
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->offset, 0);
    EXPECT_EQ(r->limit, 50);
    EXPECT_FALSE(r->game_id);
    EXPECT_FALSE(r->region);
    EXPECT_FALSE(r->has_password);
    EXPECT_FALSE(r->not_full);
  }
  expect_invalid(parse_room_list(json::value(3)), "Payload");
}

TEST(ParseRoomList, RealTypes) {
  auto r = parse_room_list(json::object{{"gameId", "0100000000010000"},
                                        {"region", "eu"},
                                        {"hasPassword", false},
                                        {"notFull", true},
                                        {"offset", 20},
                                        {"limit", 100}});
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(*r->game_id, "0100000000010000");
  EXPECT_EQ(*r->region, "eu");
  EXPECT_EQ(*r->has_password, false);
  EXPECT_EQ(*r->not_full, true);
  EXPECT_EQ(r->offset, 20);
  EXPECT_EQ(r->limit, 100);
}

TEST(ParseRoomList, QueryStrings) {
  auto r = parse_room_list(json::object{{"gameId", ""},
                                        {"region", ""},
                                        {"hasPassword", "true"},
                                        {"notFull", "0"},
                                        {"offset", "5"},
                                        {"limit", "1"}});
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_FALSE(r->game_id);
  EXPECT_FALSE(r->region);
  EXPECT_EQ(*r->has_password, true);
  EXPECT_EQ(*r->not_full, false);
  EXPECT_EQ(r->offset, 5);
  EXPECT_EQ(r->limit, 1);
}

TEST(ParseRoomList, Bounds) {
  expect_invalid(parse_room_list(json::object{{"limit", 0}}), "limit");
  expect_invalid(parse_room_list(json::object{{"limit", 101}}), "limit");
  expect_invalid(parse_room_list(json::object{{"limit", "101"}}), "limit");
  expect_invalid(parse_room_list(json::object{{"limit", "ten"}}), "limit");
  expect_invalid(parse_room_list(json::object{{"limit", "5x"}}), "limit");
  expect_invalid(parse_room_list(json::object{{"offset", -1}}), "offset");
  expect_invalid(parse_room_list(json::object{{"offset", "-1"}}), "offset");
  expect_invalid(parse_room_list(json::object{{"hasPassword", "yes"}}), "hasPassword");
  expect_invalid(parse_room_list(json::object{{"notFull", 1}}), "notFull");
  expect_invalid(parse_room_list(json::object{{"gameId", "123"}}), "gameId");
}

// --- lobby, join, leave/close, kick ---------------------------------------------------------

TEST(ParseLobby, OptionalGameId) {
  EXPECT_FALSE(parse_lobby(nullptr)->game_id);
  EXPECT_EQ(*parse_lobby(json::object{{"gameId", "0100000000010000"}})->game_id,
            "0100000000010000");
  expect_invalid(parse_lobby(json::object{{"gameId", "mario"}}), "gameId");
}

TEST(ParseRoomJoin, RoomIdAndOptionalPassword) {
  auto r = parse_room_join(json::object{{"roomId", kRoom}, {"password", "pw"}});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->room_id, kRoom);
  EXPECT_EQ(*r->password, "pw");
  EXPECT_FALSE(parse_room_join(json::object{{"roomId", kRoom}, {"password", ""}})->password);
  expect_invalid(parse_room_join(json::object{}), "roomId");
  expect_invalid(parse_room_join(json::object{{"roomId", "not a room"}}), "roomId");
  expect_invalid(parse_room_join(json::object{{"roomId", 12}}), "roomId");
  expect_invalid(parse_room_join(json::object{{"roomId", kRoom}, {"password", 12}}), "password");
}

TEST(ParseRoomRef, RoomId) {
  EXPECT_EQ(parse_room_ref(json::object{{"roomId", kRoom}})->room_id, kRoom);
  expect_invalid(parse_room_ref(json::object{{"roomId", json::string(65, 'a')}}), "roomId");
  expect_invalid(parse_room_ref(nullptr), "Payload");
}

TEST(ParseRoomKick, RoomAndClient) {
  auto r = parse_room_kick(json::object{{"roomId", kRoom}, {"clientId", kPeer}});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->client_id, kPeer);
  expect_invalid(parse_room_kick(json::object{{"roomId", kRoom}}), "clientId");
  expect_invalid(parse_room_kick(json::object{{"roomId", kRoom}, {"clientId", "a b"}}), "clientId");
}

// --- room:update ----------------------------------------------------------------------------

TEST(ParseRoomUpdate, OnlyRoomIdIsRequired) {
  auto r = parse_room_update(json::object{{"roomId", kRoom}});
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->name);
  EXPECT_FALSE(r->max_players);
  EXPECT_FALSE(r->password);
  EXPECT_FALSE(r->visibility);
}

TEST(ParseRoomUpdate, Fields) {
  auto r = parse_room_update(json::object{{"roomId", kRoom},
                                          {"name", "New"},
                                          {"maxPlayers", 16},
                                          {"password", "pw"},
                                          {"visibility", "private"}});
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(*r->name, "New");
  EXPECT_EQ(*r->max_players, 16);
  EXPECT_EQ(*r->password, "pw");
  EXPECT_EQ(*r->visibility, Visibility::private_room);
}

TEST(ParseRoomUpdate, NullOrEmptyPasswordRemovesIt) {
  EXPECT_EQ(*parse_room_update(json::object{{"roomId", kRoom}, {"password", nullptr}})->password,
            "");
  EXPECT_EQ(*parse_room_update(json::object{{"roomId", kRoom}, {"password", ""}})->password, "");
}

TEST(ParseRoomUpdate, SameRulesAsCreate) {
  json::object base{{"roomId", kRoom}};
  expect_invalid(parse_room_update(with(base, "maxPlayers", 1)), "maxPlayers");
  expect_invalid(parse_room_update(with(base, "maxPlayers", 17)), "maxPlayers");
  expect_invalid(parse_room_update(with(base, "name", "")), "name");
  expect_invalid(parse_room_update(with(base, "name", json::string(33, 'n'))), "name");
  expect_invalid(parse_room_update(with(base, "visibility", "hidden")), "visibility");
  expect_invalid(parse_room_update(with(base, "password", false)), "password");
}

// --- room:chat ------------------------------------------------------------------------------

TEST(ParseRoomChat, OneTo500CodePoints) {
  EXPECT_TRUE(parse_room_chat(json::object{{"roomId", kRoom}, {"message", "x"}}).ok());
  EXPECT_TRUE(
      parse_room_chat(json::object{{"roomId", kRoom}, {"message", json::string(500, 'x')}}).ok());
  EXPECT_TRUE(parse_room_chat(json::object{{"roomId", kRoom}, {"message", "line\nbreak"}}).ok());
  expect_invalid(parse_room_chat(json::object{{"roomId", kRoom}, {"message", ""}}), "message");
  expect_invalid(
      parse_room_chat(json::object{{"roomId", kRoom}, {"message", json::string(501, 'x')}}),
      "message");
  expect_invalid(parse_room_chat(json::object{{"roomId", kRoom}, {"message", "bell\x07"}}),
                 "control");
  expect_invalid(parse_room_chat(json::object{{"roomId", kRoom}}), "message");
}

// --- p2p and metrics ------------------------------------------------------------------------

TEST(ParseP2pSignal, AnyJsonPayloadUpTo8KiB) {
  json::object base{{"roomId", kRoom}, {"targetClientId", kPeer}};
  for (json::value payload :
       {json::value(nullptr), json::value("sdp"), json::value(json::object{{"candidate", "a"}})}) {
    auto r = parse_p2p_signal(with(base, "payload", payload));
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_EQ(r->payload, payload);
  }
  // "x" * n serializes to n + 2 bytes with its quotes.
  EXPECT_TRUE(parse_p2p_signal(with(base, "payload", json::string(8190, 'x'))).ok());
  expect_invalid(parse_p2p_signal(with(base, "payload", json::string(8191, 'x'))), "payload");
  expect_invalid(parse_p2p_signal(base), "payload");
  expect_invalid(parse_p2p_signal(json::object{{"roomId", kRoom}, {"payload", 1}}),
                 "targetClientId");
}

TEST(ParseP2pSuccess, ConnectionTypeAndLatency) {
  json::object base{{"roomId", kRoom}, {"targetClientId", kPeer}};
  auto direct = parse_p2p_success(with(base, "connectionType", "direct"));
  ASSERT_TRUE(direct.ok());
  EXPECT_EQ(direct->outcome, P2pOutcome::direct);
  EXPECT_FALSE(direct->latency_ms);
  auto relay = parse_p2p_success(with(with(base, "connectionType", "relay"), "latencyMs", 60'000));
  ASSERT_TRUE(relay.ok());
  EXPECT_EQ(relay->outcome, P2pOutcome::relay);
  EXPECT_EQ(*relay->latency_ms, 60'000);
  expect_invalid(parse_p2p_success(base), "connectionType");
  expect_invalid(parse_p2p_success(with(base, "connectionType", "turn")), "connectionType");
  expect_invalid(parse_p2p_success(with(with(base, "connectionType", "direct"), "latencyMs", -1)),
                 "latencyMs");
  expect_invalid(
      parse_p2p_success(with(with(base, "connectionType", "direct"), "latencyMs", 60'001)),
      "latencyMs");
}

TEST(ParseP2pFailure, RoomAndTarget) {
  auto r = parse_p2p_failure(json::object{{"roomId", kRoom}, {"targetClientId", kPeer}});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->outcome, P2pOutcome::failed);
  expect_invalid(parse_p2p_failure(json::object{{"roomId", kRoom}}), "targetClientId");
}

TEST(ParseMetricsReport, Ranges) {
  json::object ok{{"roomId", kRoom},
                  {"connectionType", "relay"},
                  {"latencyMs", 35},
                  {"packetLossRate", 0.02},
                  {"bandwidthKbps", 800}};
  auto r = parse_metrics_report(ok);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->connection_type, "relay");
  EXPECT_EQ(r->latency_ms, 35);
  EXPECT_DOUBLE_EQ(r->packet_loss_rate, 0.02);
  EXPECT_EQ(r->bandwidth_kbps, 800);
  EXPECT_TRUE(parse_metrics_report(with(ok, "packetLossRate", 0)).ok());
  EXPECT_TRUE(parse_metrics_report(with(ok, "packetLossRate", 1)).ok());
  EXPECT_TRUE(parse_metrics_report(with(ok, "bandwidthKbps", 10'000'000)).ok());
  expect_invalid(parse_metrics_report(with(ok, "packetLossRate", 1.01)), "0 to 1");
  expect_invalid(parse_metrics_report(with(ok, "packetLossRate", -0.1)), "packetLossRate");
  expect_invalid(parse_metrics_report(with(ok, "packetLossRate", "0.1")), "packetLossRate");
  expect_invalid(parse_metrics_report(with(ok, "latencyMs", 60'001)), "latencyMs");
  expect_invalid(parse_metrics_report(with(ok, "bandwidthKbps", 10'000'001)), "bandwidthKbps");
  expect_invalid(parse_metrics_report(with(ok, "bandwidthKbps", -1)), "bandwidthKbps");
  expect_invalid(parse_metrics_report(with(ok, "connectionType", "p2p")), "connectionType");
  json::object missing = ok;
  missing.erase("latencyMs");
  expect_invalid(parse_metrics_report(missing), "latencyMs");
}

// --- guest sign-up --------------------------------------------------------------------------

TEST(ParseGuestSignUp, DefaultsToUnknown) {
  auto r = parse_guest_sign_up(json::object{{"username", "Link"}});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->username, "Link");
  EXPECT_EQ(r->platform, "unknown");
  EXPECT_EQ(r->sudachi_version, "unknown");
  auto empty = parse_guest_sign_up(json::object{{"username", "Link"}, {"platform", ""}});
  EXPECT_EQ(empty->platform, "unknown");
}

TEST(ParseGuestSignUp, Fields) {
  auto r = parse_guest_sign_up(
      json::object{{"username", "Zelda"}, {"platform", "windows"}, {"sudachiVersion", "1.0.14"}});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->platform, "windows");
  EXPECT_EQ(r->sudachi_version, "1.0.14");
  EXPECT_TRUE(parse_guest_sign_up(json::object{{"username", "Z"},
                                               {"platform", json::string(32, 'p')},
                                               {"sudachiVersion", json::string(64, 'v')}})
                  .ok());
}

TEST(ParseGuestSignUp, Rules) {
  expect_invalid(parse_guest_sign_up(json::object{}), "username");
  expect_invalid(parse_guest_sign_up(json::object{{"username", ""}}), "username");
  expect_invalid(parse_guest_sign_up(json::object{{"username", json::string(33, 'u')}}),
                 "username");
  expect_invalid(parse_guest_sign_up(json::object{{"username", "new\nline"}}), "control");
  expect_invalid(
      parse_guest_sign_up(json::object{{"username", "u"}, {"platform", json::string(33, 'p')}}),
      "platform");
  expect_invalid(parse_guest_sign_up(
                     json::object{{"username", "u"}, {"sudachiVersion", json::string(65, 'v')}}),
                 "sudachiVersion");
  expect_invalid(parse_guest_sign_up(json::object{{"username", "u"}, {"platform", 3}}), "platform");
  expect_invalid(parse_guest_sign_up(json::value("Link")), "Payload");
}

// --- display names (names, usernames, game names) ----------------------------------------

TEST(DisplayNames, SpoofingClassesAreInvalidRequests) {
  const std::pair<const char*, const char*> cases[] = {
      {"abc\u202Egnp.exe", "bidirectional"},  // right-to-left override
      {"\u2066Mario\u2069", "bidirectional"},
      {"Mario\u200F", "bidirectional"},
      {"\u061CMario", "bidirectional"},
      {"\u200B\u200B\u200B", "invisible"},  // zero-width spaces only
      {"\uFEFFMario", "invisible"},         // BOM
      {"\u200D\u200C", "visible"},          // zero-width joiners only
      {"   ", "visible"},                   // whitespace only
      {"\u3000\u00A0", "visible"},
      {"x\u0301\u0302\u0303\u0304\u0305", "combining"},  // x has no precomposed forms
  };
  for (const auto& [name, why] : cases) {
    expect_invalid(parse_guest_sign_up(json::object{{"username", name}}), "username");
    expect_invalid(parse_guest_sign_up(json::object{{"username", name}}), why);
    expect_invalid(parse_room_create(with(create_payload(), "name", name)), "name");
    expect_invalid(parse_room_create(with(create_payload(), "gameName", name)), "gameName");
    expect_invalid(parse_room_update(json::object{{"roomId", kRoom}, {"name", name}}), why);
  }
}

TEST(DisplayNames, AcceptedNamesAreStoredInNfc) {
  auto guest = parse_guest_sign_up(json::object{{"username", "Zoe\u0308"}});  // e + diaeresis
  ASSERT_TRUE(guest.ok()) << guest.error().message;
  EXPECT_EQ(guest->username, "Zo\u00EB");
  auto room = parse_room_create(
      with(with(create_payload(), "name", "Cafe\u0301"), "gameName", "Pok\u0065\u0301mon"));
  ASSERT_TRUE(room.ok()) << room.error().message;
  EXPECT_EQ(room->name, "Caf\u00E9");
  EXPECT_EQ(room->game_name, "Pok\u00E9mon");
  auto update = parse_room_update(json::object{{"roomId", kRoom}, {"name", "A\u030A"}});
  ASSERT_TRUE(update.ok());
  EXPECT_EQ(*update->name, "\u00C5");
  // Composed first: of these five marks NFC folds the acute into the letter, four remain.
  auto composed =
      parse_guest_sign_up(json::object{{"username", "e\u0301\u0302\u0303\u0304\u0305"}});
  ASSERT_TRUE(composed.ok()) << composed.error().message;
  EXPECT_EQ(composed->username, "\u00E9\u0302\u0303\u0304\u0305");
}

TEST(DisplayNames, OrdinaryNamesIncludingCjkAndEmojiPass) {
  for (const char* name : {"Link", "Player One", "東京ルーム", "마리오카트", "Игрок 1", "لاعب",
                           "🍣 sushi", "👨‍👩‍👧‍👦", "👍🏽", "ผู้เล่น"}) {
    auto guest = parse_guest_sign_up(json::object{{"username", name}});
    ASSERT_TRUE(guest.ok()) << name << ": " << guest.error().message;
    EXPECT_EQ(guest->username, name);
    EXPECT_TRUE(parse_room_create(with(create_payload(), "name", name)).ok()) << name;
  }
}

TEST(DisplayNames, LengthIsCheckedAgainAfterNormalising) {
  // U+FB2C (Hebrew shin with dagesh and shin dot) is a composition exclusion: NFC turns it into
  // three code points, so 32 of them are 96 characters once stored.
  std::string expands;
  for (int i = 0; i < 32; ++i) expands += "\uFB2C";
  expect_invalid(parse_guest_sign_up(json::object{{"username", json::string(expands)}}), "1 to 32");
}

TEST(DisplayNames, TokenNameClaimsFollowTheSignUpRules) {
  // An operator's identity service may mint any "name": the server applies its own rules.
  EXPECT_EQ(username_from_claim("alice"), "alice");
  EXPECT_EQ(username_from_claim("Cafe\xCC\x81"), "Caf\xC3\xA9");        // stored in NFC
  EXPECT_EQ(username_from_claim("\xE2\x80\xAEgnp.exe"), std::nullopt);  // U+202E
  EXPECT_EQ(username_from_claim("\xE2\x80\x8B"), std::nullopt);         // zero-width only
  EXPECT_EQ(username_from_claim("tab\there"), std::nullopt);
  EXPECT_EQ(username_from_claim(std::string(33, 'x')), std::nullopt);
  EXPECT_EQ(username_from_claim(""), std::nullopt);
  EXPECT_EQ(username_from_claim("\xFF\xFE"), std::nullopt);  // not UTF-8
}

}  // namespace
}  // namespace sudachi::room

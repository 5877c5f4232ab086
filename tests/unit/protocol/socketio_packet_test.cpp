#include "protocol/socketio/packet.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <string>
#include <string_view>

namespace sudachi::socketio {
namespace {

namespace json = boost::json;
using namespace std::string_view_literals;

json::value parse(std::string_view text) {
  return json::parse(text);
}

// Decodes an encoder's frame after checking and dropping its Engine.IO '4'.
Packet decode_frame(const std::string& frame) {
  Packet packet;
  EXPECT_FALSE(frame.empty());
  EXPECT_EQ(frame.front(), '4');
  EXPECT_EQ(decode(std::string_view(frame).substr(1), packet), DecodeError::none) << frame;
  return packet;
}

// ---------------------------------------------------------------- every type, decoding

TEST(SocketIoDecode, ConnectWithoutPayload) {
  Packet packet;
  ASSERT_EQ(decode("0", packet), DecodeError::none);
  EXPECT_EQ(packet.type, PacketType::connect);
  EXPECT_EQ(packet.nsp, "/");
  EXPECT_FALSE(packet.id.has_value());
  EXPECT_TRUE(packet.data.is_null());
  EXPECT_EQ(packet.attachments, 0U);
}

TEST(SocketIoDecode, ConnectWithAuthObject) {
  Packet packet;
  ASSERT_EQ(decode(R"(0{"token":"abc"})", packet), DecodeError::none);
  EXPECT_EQ(packet.type, PacketType::connect);
  EXPECT_EQ(packet.data, parse(R"({"token":"abc"})"));
}

TEST(SocketIoDecode, ConnectToNamespace) {
  Packet packet;
  ASSERT_EQ(decode("0/admin,", packet), DecodeError::none);
  EXPECT_EQ(packet.nsp, "/admin");
  EXPECT_TRUE(packet.data.is_null());
  ASSERT_EQ(decode(R"(0/admin,{"token":"x"})", packet), DecodeError::none);
  EXPECT_EQ(packet.nsp, "/admin");
  EXPECT_EQ(packet.data, parse(R"({"token":"x"})"));
}

TEST(SocketIoDecode, Disconnect) {
  Packet packet;
  ASSERT_EQ(decode("1", packet), DecodeError::none);
  EXPECT_EQ(packet.type, PacketType::disconnect);
  EXPECT_EQ(packet.nsp, "/");
  ASSERT_EQ(decode("1/admin,", packet), DecodeError::none);
  EXPECT_EQ(packet.nsp, "/admin");
}

TEST(SocketIoDecode, Event) {
  Packet packet;
  ASSERT_EQ(decode(R"(2["room:create",{"name":"r"}])", packet), DecodeError::none);
  EXPECT_EQ(packet.type, PacketType::event);
  EXPECT_EQ(packet.nsp, "/");
  EXPECT_FALSE(packet.id.has_value());
  EXPECT_EQ(packet.data, parse(R"(["room:create",{"name":"r"}])"));
}

TEST(SocketIoDecode, EventWithNamespaceAndAckId) {
  Packet packet;
  ASSERT_EQ(decode(R"(2/admin,12["hello"])", packet), DecodeError::none);
  EXPECT_EQ(packet.type, PacketType::event);
  EXPECT_EQ(packet.nsp, "/admin");
  EXPECT_EQ(packet.id, 12U);
  EXPECT_EQ(packet.data, parse(R"(["hello"])"));
}

TEST(SocketIoDecode, Ack) {
  Packet packet;
  ASSERT_EQ(decode(R"(312["ok",1])", packet), DecodeError::none);
  EXPECT_EQ(packet.type, PacketType::ack);
  EXPECT_EQ(packet.id, 12U);
  EXPECT_EQ(packet.data, parse(R"(["ok",1])"));
  ASSERT_EQ(decode("3/admin,0[]", packet), DecodeError::none);
  EXPECT_EQ(packet.nsp, "/admin");
  EXPECT_EQ(packet.id, 0U);
  EXPECT_EQ(packet.data, json::value(json::array()));
}

TEST(SocketIoDecode, ConnectError) {
  Packet packet;
  ASSERT_EQ(decode(R"(4{"message":"nope"})", packet), DecodeError::none);
  EXPECT_EQ(packet.type, PacketType::connect_error);
  EXPECT_EQ(packet.data, parse(R"({"message":"nope"})"));
}

TEST(SocketIoDecode, BinaryEventCarriesAttachmentCount) {
  Packet packet;
  ASSERT_EQ(decode(R"(51-["upload",{"_placeholder":true,"num":0}])", packet), DecodeError::none);
  EXPECT_EQ(packet.type, PacketType::binary_event);
  EXPECT_EQ(packet.attachments, 1U);
  EXPECT_EQ(packet.nsp, "/");
  EXPECT_EQ(packet.data, parse(R"(["upload",{"_placeholder":true,"num":0}])"));
}

TEST(SocketIoDecode, BinaryAckWithNamespaceAndId) {
  Packet packet;
  ASSERT_EQ(decode(R"(612-/admin,5[{"_placeholder":true,"num":0}])", packet), DecodeError::none);
  EXPECT_EQ(packet.type, PacketType::binary_ack);
  EXPECT_EQ(packet.attachments, 12U);
  EXPECT_EQ(packet.nsp, "/admin");
  EXPECT_EQ(packet.id, 5U);
}

TEST(SocketIoDecode, ErrorResetsOutput) {
  Packet packet;
  packet.type = PacketType::ack;
  packet.nsp = "/stale";
  packet.id = 9;
  packet.data = json::array{1};
  packet.attachments = 3;
  EXPECT_EQ(decode("2[", packet), DecodeError::bad_json);
  EXPECT_EQ(packet.type, PacketType::event);
  EXPECT_EQ(packet.nsp, "/");
  EXPECT_FALSE(packet.id.has_value());
  EXPECT_TRUE(packet.data.is_null());
  EXPECT_EQ(packet.attachments, 0U);
}

// ---------------------------------------------------------------- encoders

TEST(SocketIoEncode, EventFrame) {
  EXPECT_EQ(encode_event_frame("room:created", json::object{{"id", "r1"}, {"players", 2}}),
            R"(42["room:created",{"id":"r1","players":2}])");
  EXPECT_EQ(encode_event_frame("ping", nullptr), R"(42["ping"])");
  EXPECT_EQ(encode_event_frame("list", json::array{1, "two"}), R"(42["list",[1,"two"]])");
}

TEST(SocketIoEncode, EventNameIsJsonEscaped) {
  EXPECT_EQ(encode_event_frame("say \"hi\"\\\n\x01", 1), R"(42["say \"hi\"\\\n\u0001",1])");
  EXPECT_EQ(encode_event_frame("a\x1e"
                               "b",
                               nullptr),
            R"(42["a\u001eb"])");
}

TEST(SocketIoEncode, AckFrame) {
  // The transport passes the argument list; the room service passes a single reply object.
  json::array args;
  args.emplace_back(json::object{{"success", false}});
  EXPECT_EQ(encode_ack_frame(7, args), R"(437[{"success":false}])");
  EXPECT_EQ(encode_ack_frame(7, json::object{{"success", true}}), R"(437[{"success":true}])");
  EXPECT_EQ(encode_ack_frame(0, nullptr), "430[]");
  EXPECT_EQ(encode_ack_frame(1, "s"), R"(431["s"])");
  EXPECT_EQ(encode_ack_frame(18446744073709551615ULL, json::array{1, 2}),
            "4318446744073709551615[1,2]");
}

TEST(SocketIoEncode, ConnectFrame) {
  EXPECT_EQ(encode_connect_frame("abc123"), R"(40{"sid":"abc123"})");
  EXPECT_EQ(encode_connect_frame("q\""), R"(40{"sid":"q\""})");
}

TEST(SocketIoEncode, ConnectErrorFrame) {
  EXPECT_EQ(encode_connect_error_frame("/", "Invalid namespace", nullptr),
            R"(44{"message":"Invalid namespace"})");
  EXPECT_EQ(encode_connect_error_frame("/admin", "Invalid namespace", nullptr),
            R"(44/admin,{"message":"Invalid namespace"})");
  EXPECT_EQ(encode_connect_error_frame("/", "Invalid authentication token",
                                       json::object{{"code", "AUTH_FAILED"}}),
            R"(44{"message":"Invalid authentication token","data":{"code":"AUTH_FAILED"}})");
  EXPECT_EQ(encode_connect_error_frame("", "x", nullptr), R"(44{"message":"x"})");
}

TEST(SocketIoEncode, DisconnectFrame) {
  EXPECT_EQ(encode_disconnect_frame(), "41");
}

TEST(SocketIoEncode, GenericEncoderCoversEveryType) {
  Packet p;
  p.type = PacketType::connect;
  EXPECT_EQ(encode(p), "0");
  p.data = json::object{{"token", "t"}};
  EXPECT_EQ(encode(p), R"(0{"token":"t"})");
  p = Packet{};
  p.type = PacketType::disconnect;
  p.nsp = "/admin";
  EXPECT_EQ(encode(p), "1/admin,");
  p = Packet{};
  p.type = PacketType::event;
  p.id = 3;
  p.data = json::array{"e"};
  EXPECT_EQ(encode(p), R"(23["e"])");
  p.type = PacketType::ack;
  p.nsp = "/x";
  EXPECT_EQ(encode(p), R"(3/x,3["e"])");
  p = Packet{};
  p.type = PacketType::connect_error;
  p.data = json::object{{"message", "m"}};
  EXPECT_EQ(encode(p), R"(4{"message":"m"})");
  p = Packet{};
  p.type = PacketType::binary_event;
  p.attachments = 2;
  p.data = json::array{"up"};
  EXPECT_EQ(encode(p), R"(52-["up"])");
  p.type = PacketType::binary_ack;
  p.nsp = "/n";
  p.id = 4;
  EXPECT_EQ(encode(p), R"(62-/n,4["up"])");
}

// ---------------------------------------------------------------- round trips

TEST(SocketIoRoundTrip, EncodersDecodeToTheSameValues) {
  const json::value data = parse(R"({"roomId":"r1","list":[1,2.5,-3,true,null,{"k":"v"}]})");
  Packet event = decode_frame(encode_event_frame("room:update", data));
  EXPECT_EQ(event.type, PacketType::event);
  EXPECT_EQ(event.data, json::value(json::array{"room:update", data}));

  Packet ack = decode_frame(encode_ack_frame(99, data));
  EXPECT_EQ(ack.type, PacketType::ack);
  EXPECT_EQ(ack.id, 99U);
  EXPECT_EQ(ack.data, json::value(json::array{data}));

  Packet connect = decode_frame(encode_connect_frame("sid-1"));
  EXPECT_EQ(connect.type, PacketType::connect);
  EXPECT_EQ(connect.data, json::value(json::object{{"sid", "sid-1"}}));

  Packet error = decode_frame(encode_connect_error_frame("/admin", "no", nullptr));
  EXPECT_EQ(error.type, PacketType::connect_error);
  EXPECT_EQ(error.nsp, "/admin");
  EXPECT_EQ(error.data, json::value(json::object{{"message", "no"}}));

  Packet bye = decode_frame(encode_disconnect_frame());
  EXPECT_EQ(bye.type, PacketType::disconnect);
}

TEST(SocketIoRoundTrip, GenericEncodeIsTheInverseOfDecode) {
  for (const std::string_view text :
       {"0"sv, R"(0{"a":1})"sv, "0/admin,"sv, "1"sv, "1/a,"sv, R"(2["e"])"sv,
        R"(2/a,7["e",{"x":[1,2]}])"sv, "3[]"sv, R"(318446744073709551615["r"])"sv,
        R"(4/a,{"message":"m","data":{}})"sv, R"(50-["e"])"sv, R"(64294967295-/q,1[])"sv}) {
    Packet packet;
    ASSERT_EQ(decode(text, packet), DecodeError::none) << text;
    EXPECT_EQ(encode(packet), text);
  }
}

TEST(SocketIoRoundTrip, UnicodeAndEscapes) {
  // "🎮" arrives as a surrogate-pair escape and goes out as UTF-8; the value is unchanged.
  Packet packet;
  ASSERT_EQ(decode(R"(2["chat",{"text":"\ud83c\udfae \u65e5\u672c \u0000 \u2028 \"q\""}])", packet),
            DecodeError::none);
  const json::value& text = packet.data.as_array()[1].as_object().at("text");
  EXPECT_EQ(text, json::value("\xf0\x9f\x8e\xae \xe6\x97\xa5\xe6\x9c\xac \0 \xe2\x80\xa8 \"q\""sv));

  const std::string frame =
      encode_event_frame("\xe6\x97\xa5\xe6\x9c\xac", packet.data.as_array()[1]);
  EXPECT_EQ(frame,
            "42[\"\xe6\x97\xa5\xe6\x9c\xac\",{\"text\":\"\xf0\x9f\x8e\xae \xe6\x97\xa5\xe6\x9c\xac "
            "\\u0000 \xe2\x80\xa8 \\\"q\\\"\"}]");
  Packet again = decode_frame(frame);
  EXPECT_EQ(again.data.as_array()[0], json::value("\xe6\x97\xa5\xe6\x9c\xac"));
  EXPECT_EQ(again.data.as_array()[1].as_object().at("text"), text);
}

TEST(SocketIoRoundTrip, UnicodeNamespace) {
  Packet packet;
  ASSERT_EQ(decode("0/\xe9\x83\xa8\xe5\xb1\x8b,", packet), DecodeError::none);
  EXPECT_EQ(packet.nsp, "/\xe9\x83\xa8\xe5\xb1\x8b");
  EXPECT_EQ(encode_connect_error_frame(packet.nsp, "Invalid namespace", nullptr),
            "44/\xe9\x83\xa8\xe5\xb1\x8b,{\"message\":\"Invalid namespace\"}");
}

// ---------------------------------------------------------------- namespaces

TEST(SocketIoNamespace, ExplicitDefaultNamespaceIsTheDefault) {
  Packet packet;
  ASSERT_EQ(decode(R"(2/,["e"])", packet), DecodeError::none);
  EXPECT_EQ(packet.nsp, "/");
  EXPECT_EQ(encode(packet), R"(2["e"])");
}

TEST(SocketIoNamespace, EndsAtCommaOrAtTheEndOfThePacket) {
  // As socket.io-parser reads it: "40/admin" is a CONNECT to /admin without a payload, so the
  // server can answer CONNECT_ERROR instead of closing.
  Packet packet;
  ASSERT_EQ(decode("0/admin", packet), DecodeError::none);
  EXPECT_EQ(packet.type, PacketType::connect);
  EXPECT_EQ(packet.nsp, "/admin");
  EXPECT_TRUE(packet.data.is_null());
  // Without a comma the whole rest is the namespace, which leaves an EVENT without its array.
  EXPECT_EQ(decode(R"(2/admin["e"])", packet), DecodeError::bad_payload);
  EXPECT_EQ(decode("51-/admin", packet), DecodeError::bad_payload);
}

TEST(SocketIoNamespace, LengthLimitIsInclusive) {
  const std::string at_limit = "/" + std::string(127, 'n');
  Packet packet;
  ASSERT_EQ(decode("0" + at_limit + ",", packet), DecodeError::none);
  EXPECT_EQ(packet.nsp, at_limit);
  EXPECT_EQ(decode("0" + at_limit + "n,", packet), DecodeError::bad_namespace);

  DecodeLimits limits;
  limits.max_namespace_length = 4;
  EXPECT_EQ(decode("0/abc,", packet, limits), DecodeError::none);
  EXPECT_EQ(decode("0/abcd,", packet, limits), DecodeError::bad_namespace);
}

TEST(SocketIoNamespace, ControlCharactersAndBadUtf8AreRejected) {
  for (const std::string_view text :
       {"0/a\x1e"
        "b,"sv,
        "0/a\0b,"sv, "0/a\nb,"sv, "0/a\x7f,"sv, "0/\xff,"sv, "0/\xc0\xaf,"sv, "0/\xed\xa0\x80,"sv,
        "0/\xf4\x90\x80\x80,"sv, "0/\xe6\x97,"sv, "0/\xc2\x85,"sv}) {
    Packet packet;
    EXPECT_EQ(decode(text, packet), DecodeError::bad_namespace) << "size " << text.size();
  }
}

TEST(SocketIoNamespace, NamespaceMustStartWithSlash) {
  // Without a leading '/', "admin," is not a namespace: it is (invalid) JSON.
  Packet packet;
  EXPECT_EQ(decode("0admin,", packet), DecodeError::bad_json);
  EXPECT_EQ(decode("0,", packet), DecodeError::bad_json);
}

// ---------------------------------------------------------------- ack ids

TEST(SocketIoAckId, FullUint64Range) {
  Packet packet;
  ASSERT_EQ(decode(R"(218446744073709551615["e"])", packet), DecodeError::none);
  EXPECT_EQ(packet.id, 18446744073709551615ULL);
  ASSERT_EQ(decode(R"(20["e"])", packet), DecodeError::none);
  EXPECT_EQ(packet.id, 0U);
}

TEST(SocketIoAckId, OverflowIsRejected) {
  Packet packet;
  EXPECT_EQ(decode(R"(218446744073709551616["e"])", packet), DecodeError::bad_ack_id);
  EXPECT_EQ(decode(R"(299999999999999999999["e"])", packet), DecodeError::bad_ack_id);
  EXPECT_EQ(decode("3" + std::string(10000, '9') + "[]", packet), DecodeError::bad_ack_id);
  EXPECT_EQ(decode(R"(2/a,18446744073709551616["e"])", packet), DecodeError::bad_ack_id);
}

TEST(SocketIoAckId, LeadingZerosReadAsDecimal) {
  Packet packet;
  ASSERT_EQ(decode(R"(2007["e"])", packet), DecodeError::none);
  EXPECT_EQ(packet.id, 7U);
  ASSERT_EQ(decode(R"(3000000000000000000000000000001[])", packet), DecodeError::none);
  EXPECT_EQ(packet.id, 1U);
}

// ---------------------------------------------------------------- attachments

TEST(SocketIoAttachments, RequireDigitsThenDash) {
  Packet packet;
  EXPECT_EQ(decode(R"(5-["e"])", packet), DecodeError::bad_attachments);
  EXPECT_EQ(decode(R"(5["e"])", packet), DecodeError::bad_attachments);
  EXPECT_EQ(decode(R"(51["e"])", packet), DecodeError::bad_attachments);
  EXPECT_EQ(decode("5", packet), DecodeError::bad_attachments);
  EXPECT_EQ(decode("51", packet), DecodeError::bad_attachments);
  EXPECT_EQ(decode("6/a,1-[]", packet), DecodeError::bad_attachments);
  EXPECT_EQ(decode("6x-[]", packet), DecodeError::bad_attachments);
}

TEST(SocketIoAttachments, BoundedToUint32) {
  Packet packet;
  ASSERT_EQ(decode(R"(54294967295-["e"])", packet), DecodeError::none);
  EXPECT_EQ(packet.attachments, 4294967295U);
  EXPECT_EQ(decode(R"(54294967296-["e"])", packet), DecodeError::bad_attachments);
  EXPECT_EQ(decode("6" + std::string(5000, '1') + "-[]", packet), DecodeError::bad_attachments);
}

TEST(SocketIoAttachments, OnlyBinaryTypesHaveThem) {
  Packet packet;
  // In an EVENT, "1" is an ack id and "-[...]" is not JSON.
  EXPECT_EQ(decode(R"(21-["e"])", packet), DecodeError::bad_json);
  ASSERT_EQ(decode(R"(21["e"])", packet), DecodeError::none);
  EXPECT_EQ(packet.attachments, 0U);
  EXPECT_EQ(packet.id, 1U);
}

TEST(SocketIoAttachments, BinaryPayloadShapesAreChecked) {
  Packet packet;
  EXPECT_EQ(decode("51-", packet), DecodeError::bad_payload);
  EXPECT_EQ(decode("51-{}", packet), DecodeError::bad_payload);
  EXPECT_EQ(decode("61-{}", packet), DecodeError::bad_payload);
  EXPECT_EQ(decode(R"(51-["disconnect"])", packet), DecodeError::bad_payload);
}

// ---------------------------------------------------------------- JSON

TEST(SocketIoJson, MalformedJsonIsRejected) {
  for (const std::string_view text :
       {R"(2["e",])"sv, "2["sv, "2{"sv, R"(2["e"] x)"sv, R"(2["e"]["f"])"sv, R"(2["e"/*c*/])"sv,
        R"(2['e'])"sv, R"(2["e",NaN])"sv, R"(2["e",Infinity])"sv, R"(2["e",01])"sv, R"(2["\x"])"sv,
        R"(2["\ud800"])"sv, "2[\"\xff\"]"sv, "2[\"a\nb\"]"sv, "0{\"a\":1}\0"sv, "2 "sv, "3-"sv}) {
    Packet packet;
    EXPECT_EQ(decode(text, packet), DecodeError::bad_json) << text;
  }
}

TEST(SocketIoJson, NonFiniteNumbersAreRejected) {
  Packet packet;
  EXPECT_EQ(decode(R"(2["e",1e400])", packet), DecodeError::bad_json);
  EXPECT_EQ(decode(R"(2["e",{"deep":[-1e999]}])", packet), DecodeError::bad_json);
  EXPECT_EQ(decode("2[\"e\"," + std::string(400, '9') + "]", packet), DecodeError::bad_json);
  // Large but finite numbers are fine, as are underflows to zero.
  ASSERT_EQ(decode(R"(2["e",1e308,123456789012345678901234567890,1e-400])", packet),
            DecodeError::none);
  EXPECT_EQ(packet.data.as_array()[1], json::value(1e308));
}

std::string nested_event(std::size_t inner_arrays) {
  return "2[\"e\"," + std::string(inner_arrays, '[') + std::string(inner_arrays, ']') + "]";
}

TEST(SocketIoJson, DepthLimit) {
  Packet packet;
  // The outer argument array counts as one level.
  EXPECT_EQ(decode(nested_event(31), packet), DecodeError::none);
  EXPECT_EQ(decode(nested_event(32), packet), DecodeError::bad_json);
  DecodeLimits limits;
  limits.max_json_depth = 2;
  EXPECT_EQ(decode(R"(2["e",{"a":1}])", packet, limits), DecodeError::none);
  EXPECT_EQ(decode(R"(2["e",{"a":[]}])", packet, limits), DecodeError::bad_json);
}

TEST(SocketIoJson, VeryDeepNestingFailsFast) {
  Packet packet;
  EXPECT_EQ(decode("2" + std::string(1'000'000, '['), packet), DecodeError::bad_json);
  EXPECT_EQ(decode("0" + std::string(500'000, '{'), packet), DecodeError::bad_json);
}

TEST(SocketIoJson, DuplicateKeysKeepTheLast) {
  Packet packet;
  ASSERT_EQ(decode(R"(0{"token":"a","token":"b"})", packet), DecodeError::none);
  EXPECT_EQ(packet.data, json::value(json::object{{"token", "b"}}));
}

// ---------------------------------------------------------------- payload shapes

struct ShapeCase {
  std::string_view input;
  DecodeError expected;
};

class SocketIoShape : public ::testing::TestWithParam<ShapeCase> {};

TEST_P(SocketIoShape, Checked) {
  Packet packet;
  EXPECT_EQ(decode(GetParam().input, packet), GetParam().expected) << GetParam().input;
}

INSTANTIATE_TEST_SUITE_P(
    WrongShapes, SocketIoShape,
    ::testing::Values(
        ShapeCase{"0[]", DecodeError::bad_payload}, ShapeCase{R"(0"x")", DecodeError::bad_payload},
        ShapeCase{"0null", DecodeError::bad_payload}, ShapeCase{"0true", DecodeError::bad_payload},
        ShapeCase{"1{}", DecodeError::bad_payload}, ShapeCase{"1[]", DecodeError::bad_payload},
        ShapeCase{"1garbage", DecodeError::bad_payload}, ShapeCase{"2", DecodeError::bad_payload},
        ShapeCase{"2[]", DecodeError::bad_payload}, ShapeCase{"2[1]", DecodeError::bad_payload},
        ShapeCase{"2[null]", DecodeError::bad_payload},
        ShapeCase{R"(2[["e"]])", DecodeError::bad_payload},
        ShapeCase{"2{}", DecodeError::bad_payload}, ShapeCase{R"(2"e")", DecodeError::bad_payload},
        ShapeCase{"27", DecodeError::bad_payload},  // an id and no payload
        ShapeCase{R"(2["connect"])", DecodeError::bad_payload},
        ShapeCase{R"(2["connect_error"])", DecodeError::bad_payload},
        ShapeCase{R"(2["disconnect",1])", DecodeError::bad_payload},
        ShapeCase{R"(2["disconnecting"])", DecodeError::bad_payload},
        ShapeCase{R"(2["newListener"])", DecodeError::bad_payload},
        ShapeCase{R"(2["removeListener"])", DecodeError::bad_payload},
        ShapeCase{"3", DecodeError::bad_payload}, ShapeCase{"35", DecodeError::bad_payload},
        ShapeCase{"3{}", DecodeError::bad_payload}, ShapeCase{"3null", DecodeError::bad_payload},
        ShapeCase{"4", DecodeError::bad_payload}, ShapeCase{R"(4"msg")", DecodeError::bad_payload},
        ShapeCase{"4[]", DecodeError::bad_payload},
        // Near misses that are fine.
        ShapeCase{R"(2["Connect"])", DecodeError::none},
        ShapeCase{R"(2["",null])", DecodeError::none}, ShapeCase{R"(3[null])", DecodeError::none},
        ShapeCase{"0{}", DecodeError::none}, ShapeCase{" 0", DecodeError::unknown_type}));

// ---------------------------------------------------------------- hostile inputs

struct HostileCase {
  std::string_view name;
  std::string input;
  DecodeError expected;
};

class HostileSocketIo : public ::testing::TestWithParam<HostileCase> {};

TEST_P(HostileSocketIo, RejectedCleanly) {
  Packet packet;
  packet.nsp = "/stale";
  EXPECT_EQ(decode(GetParam().input, packet), GetParam().expected);
  EXPECT_EQ(packet.nsp, "/");
  EXPECT_TRUE(packet.data.is_null());
}

INSTANTIATE_TEST_SUITE_P(
    SocketIo, HostileSocketIo,
    ::testing::Values(
        HostileCase{"empty", "", DecodeError::empty},
        HostileCase{"nul", std::string(1, '\0'), DecodeError::unknown_type},
        HostileCase{"nul_after_type", std::string("2\0", 2), DecodeError::bad_json},
        HostileCase{"nul_in_string", std::string("2[\"a\0\"]", 7), DecodeError::bad_json},
        HostileCase{"type_seven", "7[\"e\"]", DecodeError::unknown_type},
        HostileCase{"type_letter", "e", DecodeError::unknown_type},
        HostileCase{"engineio_prefix_kept", "42[\"e\"]", DecodeError::bad_payload},
        HostileCase{"truncated_event", "2[\"room:cre", DecodeError::bad_json},
        HostileCase{"truncated_escape", "2[\"\\u12", DecodeError::bad_json},
        HostileCase{"truncated_namespace", "2/adm", DecodeError::bad_payload},
        HostileCase{"truncated_attachments", "512", DecodeError::bad_attachments},
        HostileCase{"huge_ack_id", "2" + std::string(100000, '7') + "[\"e\"]",
                    DecodeError::bad_ack_id},
        HostileCase{"huge_attachments", "5" + std::string(100000, '7') + "-[\"e\"]",
                    DecodeError::bad_attachments},
        HostileCase{"huge_namespace", "0/" + std::string(1 << 20, 'n') + ",",
                    DecodeError::bad_namespace},
        HostileCase{"huge_number", "2[\"e\",1" + std::string(5000, '0') + "]",
                    DecodeError::bad_json},
        HostileCase{"huge_exponent", "2[\"e\",1e99999999999999999999]", DecodeError::bad_json},
        HostileCase{"garbage", "2\xde\xad\xbe\xef", DecodeError::bad_json},
        HostileCase{"separator",
                    "2[\"e\"]\x1e"
                    "2[\"f\"]",
                    DecodeError::bad_json},
        HostileCase{"bom", "2\xef\xbb\xbf[\"e\"]", DecodeError::bad_json},
        HostileCase{"deep_objects", "0" + std::string(100, '{'), DecodeError::bad_json},
        HostileCase{"only_digits", "3" + std::string(21, '1'), DecodeError::bad_ack_id},
        HostileCase{"only_dash", "5-", DecodeError::bad_attachments},
        HostileCase{"comma_only", "2,", DecodeError::bad_json}),
    [](const auto& case_info) { return std::string(case_info.param.name); });

TEST(SocketIoErrors, EveryErrorHasAName) {
  EXPECT_EQ(to_string(DecodeError::none), "none");
  EXPECT_EQ(to_string(DecodeError::empty), "empty packet");
  EXPECT_EQ(to_string(DecodeError::unknown_type), "unknown packet type");
  EXPECT_EQ(to_string(DecodeError::bad_namespace), "invalid namespace");
  EXPECT_EQ(to_string(DecodeError::bad_ack_id), "invalid ack id");
  EXPECT_EQ(to_string(DecodeError::bad_attachments), "invalid attachments");
  EXPECT_EQ(to_string(DecodeError::bad_json), "invalid JSON");
  EXPECT_EQ(to_string(DecodeError::bad_payload), "invalid payload");
  EXPECT_EQ(to_string(static_cast<DecodeError>(99)), "unknown error");
}

}  // namespace
}  // namespace sudachi::socketio

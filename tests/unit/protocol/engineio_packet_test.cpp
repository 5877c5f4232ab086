#include "protocol/engineio/packet.hpp"

#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <vector>

namespace sudachi::engineio {
namespace {

using namespace std::string_view_literals;

// ---------------------------------------------------------------- single packets

struct TypeCase {
  PacketType type;
  std::string_view data;
  std::string_view wire;
};

class EveryPacketType : public ::testing::TestWithParam<TypeCase> {};

TEST_P(EveryPacketType, DecodesTypeAndData) {
  const auto& c = GetParam();
  Packet packet;
  ASSERT_EQ(decode_packet(c.wire, packet), DecodeError::none);
  EXPECT_EQ(packet.type, c.type);
  EXPECT_FALSE(packet.binary);
  EXPECT_EQ(packet.data, c.data);
}

TEST_P(EveryPacketType, EncodesTypeCharThenData) {
  const auto& c = GetParam();
  EXPECT_EQ(encode_packet(c.type, c.data), c.wire);
}

INSTANTIATE_TEST_SUITE_P(
    EngineIo, EveryPacketType,
    ::testing::Values(TypeCase{PacketType::open, R"({"sid":"x"})", R"(0{"sid":"x"})"},
                      TypeCase{PacketType::close, "", "1"},
                      TypeCase{PacketType::ping, "probe", "2probe"},
                      TypeCase{PacketType::pong, "probe", "3probe"},
                      TypeCase{PacketType::message, R"(2["hello"])", R"(42["hello"])"},
                      TypeCase{PacketType::upgrade, "", "5"}, TypeCase{PacketType::noop, "", "6"}));

TEST(EngineIoPacket, DataKeepsEveryByteAfterTheType) {
  Packet packet;
  ASSERT_EQ(decode_packet("4a\0b\xff"sv, packet), DecodeError::none);
  EXPECT_EQ(packet.type, PacketType::message);
  EXPECT_EQ(packet.data, "a\0b\xff"sv);
}

TEST(EngineIoPacket, EmptyIsRejected) {
  Packet packet;
  EXPECT_EQ(decode_packet("", packet), DecodeError::empty);
}

TEST(EngineIoPacket, UnknownTypesAreRejected) {
  for (const std::string_view text :
       {"7"sv, "9"sv, "/"sv, ":"sv, "x"sv, "B"sv, "\0"sv, " 4"sv, "-1"sv, "\xff"sv, "\x1e"sv}) {
    Packet packet;
    EXPECT_EQ(decode_packet(text, packet), DecodeError::unknown_type) << "input: " << text;
  }
}

TEST(EngineIoPacket, ErrorLeavesPacketDefault) {
  Packet packet{PacketType::message, true, "stale"};
  EXPECT_EQ(decode_packet("bA", packet), DecodeError::bad_base64);
  EXPECT_EQ(packet.type, PacketType::noop);
  EXPECT_FALSE(packet.binary);
  EXPECT_EQ(packet.data, "");
}

// ---------------------------------------------------------------- base64 binary

TEST(EngineIoBinary, DecodesBase64AsBinaryMessage) {
  struct Case {
    std::string_view wire;
    std::string_view bytes;
  };
  for (const Case& c : {Case{"b", ""}, Case{"bAA==", "\0"sv}, Case{"bAAA=", "\0\0"sv},
                        Case{"bAQID", "\x01\x02\x03"}, Case{"bAQIDBA==", "\x01\x02\x03\x04"},
                        Case{"b/+8=", "\xff\xef"}, Case{"baGVsbG8=", "hello"}}) {
    Packet packet;
    ASSERT_EQ(decode_packet(c.wire, packet), DecodeError::none) << c.wire;
    EXPECT_EQ(packet.type, PacketType::message);
    EXPECT_TRUE(packet.binary);
    EXPECT_EQ(packet.data, c.bytes) << c.wire;
    EXPECT_EQ(encode_binary_packet(c.bytes), c.wire);
  }
}

TEST(EngineIoBinary, EveryByteValueRoundTrips) {
  std::string bytes;
  for (int i = 0; i < 256; ++i) bytes.push_back(static_cast<char>(i));
  for (std::size_t length = 0; length <= bytes.size(); length += 37) {
    const std::string_view slice = std::string_view(bytes).substr(0, length);
    const std::string wire = encode_binary_packet(slice);
    EXPECT_EQ(wire.size(), 1 + (length + 2) / 3 * 4);
    Packet packet;
    ASSERT_EQ(decode_packet(wire, packet), DecodeError::none);
    EXPECT_EQ(packet.data, slice);
  }
}

TEST(EngineIoBinary, MalformedBase64IsRejected) {
  for (const std::string_view text : {
           "bA"sv,  // not a whole quad
           "bAQIDB"sv,
           "bAQ=D"sv,     // padding in the middle
           "bA==AQID"sv,  // padding before the last quad
           "bA==="sv,     // too much padding
           "b===="sv,
           "b=AAA"sv,
           "bAB=="sv,  // non-canonical: stray bits under the padding
           "bAAB="sv,
           "bAQ-_"sv,    // URL-safe alphabet
           "bAQID\n"sv,  // whitespace
           "bAQ ID"sv,
           "bAQ\0D"sv,
           "bAQ\xff"
           "D"sv,
       }) {
    Packet packet;
    EXPECT_EQ(decode_packet(text, packet), DecodeError::bad_base64) << "input: " << text;
  }
}

// ---------------------------------------------------------------- polling payloads

TEST(EngineIoPayload, SplitsOnRecordSeparator) {
  std::vector<Packet> packets;
  ASSERT_EQ(decode_payload("42[\"a\"]\x1e"
                           "2probe\x1e"
                           "bAQID\x1e"
                           "6",
                           packets, 10),
            DecodeError::none);
  ASSERT_EQ(packets.size(), 4U);
  EXPECT_EQ(packets[0].type, PacketType::message);
  EXPECT_EQ(packets[0].data, R"(2["a"])");
  EXPECT_EQ(packets[1].type, PacketType::ping);
  EXPECT_EQ(packets[1].data, "probe");
  EXPECT_EQ(packets[2].type, PacketType::message);
  EXPECT_TRUE(packets[2].binary);
  EXPECT_EQ(packets[2].data, "\x01\x02\x03");
  EXPECT_EQ(packets[3].type, PacketType::noop);
  EXPECT_EQ(packets[3].data, "");
}

TEST(EngineIoPayload, SinglePacketNeedsNoSeparator) {
  std::vector<Packet> packets;
  ASSERT_EQ(decode_payload("1", packets, 1), DecodeError::none);
  ASSERT_EQ(packets.size(), 1U);
  EXPECT_EQ(packets[0].type, PacketType::close);
}

TEST(EngineIoPayload, EmptySegmentsAreRejected) {
  for (const std::string_view body : {""sv, "\x1e"sv, "4a\x1e"sv,
                                      "\x1e"
                                      "4a"sv,
                                      "4a\x1e\x1e"
                                      "4b"sv,
                                      "4a\x1e\x1e"sv}) {
    std::vector<Packet> packets;
    EXPECT_EQ(decode_payload(body, packets, 10), DecodeError::empty) << "body size " << body.size();
    EXPECT_TRUE(packets.empty());
  }
}

TEST(EngineIoPayload, MaxPacketsIsInclusive) {
  std::vector<Packet> packets;
  EXPECT_EQ(decode_payload("6\x1e"
                           "6\x1e"
                           "6",
                           packets, 3),
            DecodeError::none);
  EXPECT_EQ(packets.size(), 3U);
  EXPECT_EQ(decode_payload("6\x1e"
                           "6\x1e"
                           "6\x1e"
                           "6",
                           packets, 3),
            DecodeError::too_many);
  EXPECT_TRUE(packets.empty());
  EXPECT_EQ(decode_payload("6", packets, 0), DecodeError::too_many);
}

TEST(EngineIoPayload, TooManyIsDecidedBeforeSegmentsAreParsed) {
  // A flood of separators is refused as too_many even though every segment is also empty.
  std::vector<Packet> packets;
  EXPECT_EQ(decode_payload(std::string(100000, '\x1e'), packets, 256), DecodeError::too_many);
}

TEST(EngineIoPayload, BadSegmentFailsTheWholeBodyAndClearsOutput) {
  std::vector<Packet> packets(3);
  EXPECT_EQ(decode_payload("4a\x1e"
                           "9\x1e"
                           "4b",
                           packets, 10),
            DecodeError::unknown_type);
  EXPECT_TRUE(packets.empty());
  EXPECT_EQ(decode_payload("4a\x1e"
                           "bA=\x1e"
                           "4b",
                           packets, 10),
            DecodeError::bad_base64);
  EXPECT_TRUE(packets.empty());
}

TEST(EngineIoPayload, EncodeJoinsWithSeparator) {
  EXPECT_EQ(encode_payload({}), "");
  EXPECT_EQ(encode_payload({"4a"}), "4a");
  EXPECT_EQ(encode_payload({"4a", "2", "6"}),
            "4a\x1e"
            "2\x1e"
            "6");
}

TEST(EngineIoPayload, EncodeDecodeRoundTrip) {
  const std::string message = encode_packet(PacketType::message, R"(2["x",{"y":"z"}])");
  const std::string binary = encode_binary_packet("\x00\x1e\xff"sv);
  const std::string ping = encode_packet(PacketType::ping);
  const std::string body = encode_payload({message, binary, ping});
  std::vector<Packet> packets;
  ASSERT_EQ(decode_payload(body, packets, 3), DecodeError::none);
  ASSERT_EQ(packets.size(), 3U);
  EXPECT_EQ(packets[0].data, R"(2["x",{"y":"z"}])");
  EXPECT_TRUE(packets[1].binary);
  EXPECT_EQ(packets[1].data, "\x00\x1e\xff"sv);  // a separator inside binary survives base64
  EXPECT_EQ(packets[2].type, PacketType::ping);
}

// ---------------------------------------------------------------- OPEN and HTTP errors

TEST(EngineIoOpen, ExactJsonWithUpgrade) {
  EXPECT_EQ(encode_open("lv_VI97HAXpY6yYWAAAC", true, 25000, 20000, 1000000),
            R"(0{"sid":"lv_VI97HAXpY6yYWAAAC","upgrades":["websocket"],"pingInterval":25000,)"
            R"("pingTimeout":20000,"maxPayload":1000000})");
}

TEST(EngineIoOpen, ExactJsonWithoutUpgrade) {
  EXPECT_EQ(encode_open("abc", false, 25000, 20000, 1000000),
            R"(0{"sid":"abc","upgrades":[],"pingInterval":25000,"pingTimeout":20000,)"
            R"("maxPayload":1000000})");
}

TEST(EngineIoOpen, EscapesSidAndKeepsFullNumericRange) {
  EXPECT_EQ(encode_open("a\"b\\c\n", false, 4294967295U, 0, 18446744073709551615ULL),
            R"(0{"sid":"a\"b\\c\n","upgrades":[],"pingInterval":4294967295,"pingTimeout":0,)"
            R"("maxPayload":18446744073709551615})");
}

TEST(EngineIoHttpError, ReferenceServerBodies) {
  EXPECT_EQ(encode_http_error(HttpErrorCode::unknown_transport),
            R"({"code":0,"message":"Transport unknown"})");
  EXPECT_EQ(encode_http_error(HttpErrorCode::unknown_sid),
            R"({"code":1,"message":"Session ID unknown"})");
  EXPECT_EQ(encode_http_error(HttpErrorCode::bad_handshake_method),
            R"({"code":2,"message":"Bad handshake method"})");
  EXPECT_EQ(encode_http_error(HttpErrorCode::bad_request), R"({"code":3,"message":"Bad request"})");
  EXPECT_EQ(encode_http_error(HttpErrorCode::forbidden), R"({"code":4,"message":"Forbidden"})");
  EXPECT_EQ(encode_http_error(HttpErrorCode::unsupported_protocol_version),
            R"({"code":5,"message":"Unsupported protocol version"})");
}

TEST(EngineIoHttpError, OutOfRangeCodeBecomesBadRequest) {
  EXPECT_EQ(encode_http_error(static_cast<HttpErrorCode>(42)),
            R"({"code":3,"message":"Bad request"})");
  EXPECT_EQ(encode_http_error(static_cast<HttpErrorCode>(-1)),
            R"({"code":3,"message":"Bad request"})");
}

// ---------------------------------------------------------------- hostile inputs

struct HostileCase {
  std::string_view name;
  std::string input;
  DecodeError packet_error;   // decode_packet on the whole input
  DecodeError payload_error;  // decode_payload with max_packets = 4
};

class HostileEngineIo : public ::testing::TestWithParam<HostileCase> {};

TEST_P(HostileEngineIo, RejectedCleanly) {
  const auto& c = GetParam();
  Packet packet{PacketType::message, true, "stale"};
  EXPECT_EQ(decode_packet(c.input, packet), c.packet_error);
  EXPECT_EQ(packet.data, "");
  std::vector<Packet> packets(2);
  EXPECT_EQ(decode_payload(c.input, packets, 4), c.payload_error);
  EXPECT_TRUE(packets.empty());
}

INSTANTIATE_TEST_SUITE_P(
    EngineIo, HostileEngineIo,
    ::testing::Values(
        HostileCase{"nul_only", std::string(1, '\0'), DecodeError::unknown_type,
                    DecodeError::unknown_type},
        HostileCase{"nuls", std::string(64, '\0'), DecodeError::unknown_type,
                    DecodeError::unknown_type},
        HostileCase{"high_bytes", "\xff\xfe\xfd", DecodeError::unknown_type,
                    DecodeError::unknown_type},
        HostileCase{"separator_only", "\x1e", DecodeError::unknown_type, DecodeError::empty},
        HostileCase{"five_separators", "\x1e\x1e\x1e\x1e\x1e", DecodeError::unknown_type,
                    DecodeError::too_many},
        HostileCase{"truncated_base64", "bAQI", DecodeError::bad_base64, DecodeError::bad_base64},
        HostileCase{"base64_with_nul", std::string("bAA\0A", 5), DecodeError::bad_base64,
                    DecodeError::bad_base64},
        HostileCase{"huge_garbage", std::string(1 << 20, 'z'), DecodeError::unknown_type,
                    DecodeError::unknown_type},
        HostileCase{"huge_base64_tail", "b" + std::string(1 << 20, 'A') + "AAA!",
                    DecodeError::bad_base64, DecodeError::bad_base64}),
    [](const auto& case_info) { return std::string(case_info.param.name); });

TEST(HostileEngineIoExtra, HugeNumberIsJustAClosePacket) {
  // Only the first char is the type; Engine.IO never interprets the rest as a number.
  Packet packet;
  ASSERT_EQ(decode_packet("18446744073709551616", packet), DecodeError::none);
  EXPECT_EQ(packet.type, PacketType::close);
  EXPECT_EQ(packet.data, "8446744073709551616");
}

}  // namespace
}  // namespace sudachi::engineio

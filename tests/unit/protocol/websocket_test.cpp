#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <initializer_list>
#include <limits>
#include <optional>
#include <ostream>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "protocol/websocket/frame.hpp"
#include "protocol/websocket/handshake.hpp"
#include "protocol/websocket/utf8.hpp"

namespace sudachi::websocket {
namespace {

using namespace std::string_literals;
using namespace std::string_view_literals;
using Bytes = std::vector<std::uint8_t>;
using Kind = ParseEvent::Kind;

constexpr std::array<std::uint8_t, 4> kMask = {0x37, 0xFA, 0x21, 0x3D};

// How a test frame spells its payload length: the minimal form, or a forced one.
enum class LenForm { minimal, ext16, ext64 };

struct FrameSpec {
  std::uint8_t first = 0x81;  // FIN + opcode (+ reserved bits)
  std::string_view payload;
  bool masked = true;
  LenForm len = LenForm::minimal;
  std::array<std::uint8_t, 4> mask = kMask;
};

// A client frame, masked as RFC 6455 §5.3 requires (unless the test wants otherwise).
Bytes client_frame(const FrameSpec& spec) {
  Bytes out;
  out.push_back(spec.first);
  const std::uint8_t mask_bit = spec.masked ? 0x80 : 0x00;
  const std::uint64_t n = spec.payload.size();
  LenForm form = spec.len;
  if (form == LenForm::minimal)
    form = n < 126 ? LenForm::minimal : n <= 0xFFFF ? LenForm::ext16 : LenForm::ext64;
  if (form == LenForm::minimal) {
    out.push_back(static_cast<std::uint8_t>(mask_bit | n));
  } else if (form == LenForm::ext16) {
    out.push_back(mask_bit | 126);
    out.push_back(static_cast<std::uint8_t>(n >> 8));
    out.push_back(static_cast<std::uint8_t>(n));
  } else {
    out.push_back(mask_bit | 127);
    for (int i = 7; i >= 0; --i) out.push_back(static_cast<std::uint8_t>(n >> (8 * i)));
  }
  if (spec.masked) out.insert(out.end(), spec.mask.begin(), spec.mask.end());
  for (std::size_t i = 0; i < spec.payload.size(); ++i) {
    const auto b = static_cast<std::uint8_t>(spec.payload[i]);
    out.push_back(spec.masked ? static_cast<std::uint8_t>(b ^ spec.mask[i % 4]) : b);
  }
  return out;
}

Bytes frame(std::uint8_t first, std::string_view payload) {
  return client_frame({.first = first, .payload = payload});
}

Bytes concat(std::initializer_list<Bytes> parts) {
  Bytes out;
  for (const Bytes& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

std::string close_payload(std::uint16_t code, std::string_view reason = {}) {
  std::string p;
  p.push_back(static_cast<char>(code >> 8));
  p.push_back(static_cast<char>(code & 0xFF));
  p.append(reason);
  return p;
}

// An event with its payload copied out, comparable after the input is gone.
struct Seen {
  Kind kind;
  Opcode opcode = Opcode::text;
  std::string payload;
  CloseCode code = CloseCode::normal;

  bool operator==(const Seen&) const = default;
};

std::ostream& operator<<(std::ostream& os, const Seen& s) {
  return os << "{kind " << static_cast<int>(s.kind) << ", opcode " << static_cast<int>(s.opcode)
            << ", payload '" << s.payload << "', code " << static_cast<int>(s.code) << "}";
}

Seen seen(const ParseEvent& e) {
  Seen s{e.kind};
  if (e.kind == Kind::message) s.opcode = e.opcode;
  s.payload = std::string(e.payload);
  if (e.kind == Kind::close || e.kind == Kind::error) s.code = e.close_code;
  return s;
}

// Drives a parser the way a transport does: `chunk` bytes arrive at a time into a buffer;
// after each arrival the buffer is parsed until need_more, and consumed bytes are dropped.
// Stops at the first error.
std::vector<Seen> feed(FrameParser& parser, const Bytes& wire, std::size_t chunk) {
  std::vector<Seen> events;
  Bytes buffer;
  std::size_t pos = 0;
  while (pos < wire.size()) {
    const std::size_t n = std::min(chunk, wire.size() - pos);
    buffer.insert(buffer.end(), wire.begin() + static_cast<std::ptrdiff_t>(pos),
                  wire.begin() + static_cast<std::ptrdiff_t>(pos + n));
    pos += n;
    for (int guard = 0; guard < 10'000; ++guard) {
      std::size_t consumed = 0;
      const ParseEvent e = parser.next(buffer, consumed);
      EXPECT_LE(consumed, buffer.size());
      if (e.kind != Kind::need_more) events.push_back(seen(e));  // copy before erasing
      buffer.erase(buffer.begin(), buffer.begin() + static_cast<std::ptrdiff_t>(consumed));
      if (e.kind == Kind::error) return events;
      if (e.kind == Kind::need_more) break;
    }
  }
  EXPECT_TRUE(buffer.empty()) << buffer.size() << " bytes never consumed";
  return events;
}

// The same stream whole, byte by byte and in a few odd chunk sizes must give the same events.
std::vector<Seen> feed_every_way(const Bytes& wire, std::size_t max_message = 1 << 20) {
  FrameParser whole(max_message);
  const std::vector<Seen> expected = feed(whole, wire, wire.size());
  for (const std::size_t chunk :
       {std::size_t{1}, std::size_t{2}, std::size_t{3}, std::size_t{7}, std::size_t{13}}) {
    FrameParser parser(max_message);
    EXPECT_EQ(feed(parser, wire, chunk), expected) << "chunk " << chunk;
  }
  return expected;
}

ParseEvent parse_one(FrameParser& parser, Bytes& wire, std::size_t& consumed) {
  return parser.next(wire, consumed);
}

Seen error(CloseCode code) {
  return Seen{Kind::error, Opcode::text, "", code};
}
Seen message(std::string payload, Opcode op = Opcode::text) {
  return Seen{Kind::message, op, std::move(payload)};
}

// ---------------------------------------------------------------- single frames

TEST(WebSocketParser, MaskedTextFrameIsUnmaskedInPlace) {
  FrameParser parser(1024);
  Bytes wire = frame(0x81, "Hello");
  std::size_t consumed = 99;
  const ParseEvent e = parse_one(parser, wire, consumed);
  ASSERT_EQ(e.kind, Kind::message);
  EXPECT_EQ(e.opcode, Opcode::text);
  EXPECT_EQ(e.payload, "Hello");
  EXPECT_EQ(consumed, wire.size());
  // The payload is a view of the caller's (now unmasked) buffer, not a copy.
  EXPECT_EQ(reinterpret_cast<const std::uint8_t*>(e.payload.data()), wire.data() + 6);
  EXPECT_FALSE(parser.in_fragmented_message());
}

TEST(WebSocketParser, Rfc6455MaskedHelloExample) {
  // RFC 6455 §5.7: "A single-frame masked text message".
  Bytes wire = {0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58};
  FrameParser parser(1024);
  std::size_t consumed = 0;
  const ParseEvent e = parser.next(wire, consumed);
  ASSERT_EQ(e.kind, Kind::message);
  EXPECT_EQ(e.payload, "Hello");
  EXPECT_EQ(consumed, 11U);
}

TEST(WebSocketParser, BinaryFrameKeepsEveryByte) {
  const std::string payload("\x00\xff\x80\xc0 binary \xed\xa0\x80"sv);
  EXPECT_EQ(feed_every_way(frame(0x82, payload)),
            std::vector<Seen>{message(payload, Opcode::binary)});
}

TEST(WebSocketParser, EmptyMessages) {
  EXPECT_EQ(feed_every_way(concat({frame(0x81, ""), frame(0x82, "")})),
            (std::vector<Seen>{message(""), message("", Opcode::binary)}));
}

TEST(WebSocketParser, UnmaskingOfEveryLengthAroundTheWordLoop) {
  // The unmask loop works eight bytes at a time then finishes byte by byte: every residue.
  for (std::size_t n = 0; n <= 40; ++n) {
    std::string payload;
    for (std::size_t i = 0; i < n; ++i) payload.push_back(static_cast<char>('a' + i % 26));
    FrameParser parser(1024);
    Bytes wire =
        client_frame({.first = 0x82, .payload = payload, .mask = {0xA5, 0x01, 0xFF, 0x7E}});
    std::size_t consumed = 0;
    const ParseEvent e = parser.next(wire, consumed);
    ASSERT_EQ(e.kind, Kind::message) << n;
    EXPECT_EQ(e.payload, payload) << n;
  }
}

TEST(WebSocketParser, SixteenBitLength) {
  const std::string payload(200, 'x');
  const Bytes wire = frame(0x81, payload);
  ASSERT_EQ(wire[1], 0x80 | 126);
  EXPECT_EQ(feed_every_way(wire), std::vector<Seen>{message(payload)});
}

TEST(WebSocketParser, SixteenBitLengthBoundaries) {
  for (const std::size_t n : {std::size_t{126}, std::size_t{0xFFFF}}) {
    const std::string payload(n, 'q');
    FrameParser parser(1 << 20);
    Bytes wire = frame(0x82, payload);
    ASSERT_EQ(wire[1], 0x80 | 126);
    std::size_t consumed = 0;
    const ParseEvent e = parser.next(wire, consumed);
    ASSERT_EQ(e.kind, Kind::message) << n;
    EXPECT_EQ(e.payload.size(), n);
    EXPECT_EQ(consumed, wire.size());
  }
}

TEST(WebSocketParser, SixtyFourBitLength) {
  std::string payload(70'000, 'y');
  payload[0] = 'A';
  payload.back() = 'Z';
  const Bytes wire = frame(0x82, payload);
  ASSERT_EQ(wire[1], 0x80 | 127);
  FrameParser parser(1 << 20);
  EXPECT_EQ(feed(parser, wire, wire.size()), std::vector<Seen>{message(payload, Opcode::binary)});
  FrameParser slow(1 << 20);
  EXPECT_EQ(feed(slow, wire, 4093), std::vector<Seen>{message(payload, Opcode::binary)});
}

TEST(WebSocketParser, IncompleteFrameConsumesNothingAndLeavesBytesMasked) {
  const Bytes full = frame(0x81, "Hello, world");
  for (std::size_t size = 0; size < full.size(); ++size) {
    FrameParser parser(1024);
    Bytes prefix(full.begin(), full.begin() + static_cast<std::ptrdiff_t>(size));
    const Bytes before = prefix;
    std::size_t consumed = 99;
    const ParseEvent e = parser.next(prefix, consumed);
    EXPECT_EQ(e.kind, Kind::need_more) << size;
    EXPECT_EQ(consumed, 0U) << size;
    EXPECT_EQ(prefix, before) << "a partial frame must not be unmasked: " << size;
  }
}

TEST(WebSocketParser, SeveralFramesInOneBuffer) {
  Bytes wire = concat({frame(0x81, "one"), frame(0x82, "two"), frame(0x81, "three")});
  FrameParser parser(1024);
  std::size_t offset = 0;
  std::vector<std::string> got;
  for (int i = 0; i < 3; ++i) {
    std::size_t consumed = 0;
    const ParseEvent e = parser.next(std::span(wire).subspan(offset), consumed);
    ASSERT_EQ(e.kind, Kind::message);
    got.emplace_back(e.payload);
    offset += consumed;
  }
  EXPECT_EQ(got, (std::vector<std::string>{"one", "two", "three"}));
  EXPECT_EQ(offset, wire.size());
  std::size_t consumed = 0;
  EXPECT_EQ(parser.next(std::span(wire).subspan(offset), consumed).kind, Kind::need_more);
}

// ---------------------------------------------------------------- control frames

TEST(WebSocketParser, PingAndPong) {
  EXPECT_EQ(
      feed_every_way(concat({frame(0x89, "are you there"), frame(0x8A, "yes"), frame(0x89, "")})),
      (std::vector<Seen>{{Kind::ping, Opcode::text, "are you there"},
                         {Kind::pong, Opcode::text, "yes"},
                         {Kind::ping, Opcode::text, ""}}));
}

TEST(WebSocketParser, ControlPayloadOf125IsAccepted) {
  const std::string payload(125, 'p');
  EXPECT_EQ(feed_every_way(frame(0x89, payload)),
            (std::vector<Seen>{{Kind::ping, Opcode::text, payload}}));
}

TEST(WebSocketParser, ControlFrameOver125IsProtocolError) {
  for (const std::uint8_t first : {0x88, 0x89, 0x8A}) {
    // 126 bytes needs the 16-bit form; the header alone must be enough to refuse it.
    Bytes wire = frame(first, std::string(126, 'p'));
    wire.resize(4);
    FrameParser parser(1 << 20);
    std::size_t consumed = 0;
    const ParseEvent e = parser.next(wire, consumed);
    EXPECT_EQ(e.kind, Kind::error);
    EXPECT_EQ(e.close_code, CloseCode::protocol_error);
  }
}

TEST(WebSocketParser, FragmentedControlFrameIsProtocolError) {
  for (const std::uint8_t first : {0x08, 0x09, 0x0A}) {
    EXPECT_EQ(feed_every_way(frame(first, "x")),
              std::vector<Seen>{error(CloseCode::protocol_error)})
        << static_cast<int>(first);
  }
}

TEST(WebSocketParser, CloseWithoutPayloadMeansNoStatus) {
  EXPECT_EQ(feed_every_way(frame(0x88, "")),
            (std::vector<Seen>{{Kind::close, Opcode::text, "", CloseCode::no_status}}));
}

TEST(WebSocketParser, CloseWithCodeAndReason) {
  EXPECT_EQ(
      feed_every_way(frame(0x88, close_payload(1001, "bye \xc3\xa9"))),
      (std::vector<Seen>{{Kind::close, Opcode::text, "bye \xc3\xa9", CloseCode::going_away}}));
  EXPECT_EQ(feed_every_way(frame(0x88, close_payload(4000))),
            (std::vector<Seen>{{Kind::close, Opcode::text, "", static_cast<CloseCode>(4000)}}));
}

TEST(WebSocketParser, CloseOfOneByteIsProtocolError) {
  EXPECT_EQ(feed_every_way(frame(0x88, "\x03")),
            std::vector<Seen>{error(CloseCode::protocol_error)});
}

TEST(WebSocketParser, CloseWithForbiddenCodeIsProtocolError) {
  for (const std::uint16_t code :
       {0, 999, 1004, 1005, 1006, 1012, 1015, 1016, 1100, 2000, 2999, 5000, 65535}) {
    EXPECT_EQ(feed_every_way(frame(0x88, close_payload(code))),
              std::vector<Seen>{error(CloseCode::protocol_error)})
        << code;
  }
}

TEST(WebSocketParser, CloseReasonMustBeUtf8) {
  EXPECT_EQ(feed_every_way(frame(0x88, close_payload(1000, "bad \xc0\xaf"))),
            std::vector<Seen>{error(CloseCode::invalid_payload)});
  EXPECT_EQ(feed_every_way(frame(0x88, close_payload(1000, "cut \xe2\x82"))),
            std::vector<Seen>{error(CloseCode::invalid_payload)});
}

// ---------------------------------------------------------------- fragmentation

TEST(WebSocketParser, FragmentsAreReassembled) {
  const Bytes wire = concat({frame(0x01, "Hel"), frame(0x00, "lo, "), frame(0x80, "world")});
  EXPECT_EQ(feed_every_way(wire), std::vector<Seen>{message("Hello, world")});
}

TEST(WebSocketParser, BinaryFragmentsKeepTheFirstOpcode) {
  const Bytes wire = concat({frame(0x02, "\xff\x00"sv), frame(0x80, "\xfe"sv)});
  EXPECT_EQ(feed_every_way(wire), std::vector<Seen>{message("\xff\x00\xfe"s, Opcode::binary)});
}

TEST(WebSocketParser, EmptyFragments) {
  const Bytes wire = concat({frame(0x01, ""), frame(0x00, ""), frame(0x80, "")});
  EXPECT_EQ(feed_every_way(wire), std::vector<Seen>{message("")});
}

TEST(WebSocketParser, NonFinalFragmentIsConsumedWithNeedMore) {
  FrameParser parser(1024);
  const Bytes first = frame(0x01, "abc");
  Bytes second = frame(0x80, "def");
  Bytes wire = concat({first, Bytes(second.begin(), second.begin() + 3)});
  std::size_t consumed = 0;
  ParseEvent e = parser.next(wire, consumed);
  EXPECT_EQ(e.kind, Kind::need_more);
  EXPECT_EQ(consumed, first.size());  // taken into the reassembly buffer: droppable
  EXPECT_TRUE(parser.in_fragmented_message());
  // The caller drops the consumed bytes; the rest of the second fragment arrives.
  e = parser.next(second, consumed);
  ASSERT_EQ(e.kind, Kind::message);
  EXPECT_EQ(e.payload, "abcdef");
  EXPECT_EQ(consumed, second.size());
  EXPECT_FALSE(parser.in_fragmented_message());
}

TEST(WebSocketParser, ControlFramesInterleavedWithFragments) {
  const Bytes wire = concat({frame(0x01, "frag"), frame(0x89, "ping!"), frame(0x00, "ment"),
                             frame(0x8A, "pong!"), frame(0x80, "ed"), frame(0x81, "after")});
  EXPECT_EQ(feed_every_way(wire), (std::vector<Seen>{{Kind::ping, Opcode::text, "ping!"},
                                                     {Kind::pong, Opcode::text, "pong!"},
                                                     message("fragmented"),
                                                     message("after")}));
}

TEST(WebSocketParser, PingInsideFragmentsDoesNotDisturbReassembly) {
  FrameParser parser(1024);
  Bytes wire = concat({frame(0x01, "ab"), frame(0x89, "p"), frame(0x80, "cd")});
  std::size_t consumed = 0;
  ParseEvent e = parser.next(wire, consumed);
  ASSERT_EQ(e.kind, Kind::ping);
  EXPECT_EQ(e.payload, "p");
  EXPECT_TRUE(parser.in_fragmented_message());
  std::size_t offset = consumed;
  e = parser.next(std::span(wire).subspan(offset), consumed);
  ASSERT_EQ(e.kind, Kind::message);
  EXPECT_EQ(e.payload, "abcd");
  EXPECT_EQ(offset + consumed, wire.size());
}

TEST(WebSocketParser, CloseInsideFragments) {
  const Bytes wire = concat({frame(0x01, "ab"), frame(0x88, close_payload(1000))});
  EXPECT_EQ(feed_every_way(wire),
            (std::vector<Seen>{{Kind::close, Opcode::text, "", CloseCode::normal}}));
}

TEST(WebSocketParser, ReassembledPayloadStaysValidUntilNextCall) {
  FrameParser parser(1 << 20);
  const std::string big(100'000, 'r');
  Bytes wire = concat({frame(0x02, big), frame(0x80, "!"), frame(0x81, "next")});
  std::size_t consumed = 0;
  ParseEvent e = parser.next(wire, consumed);
  ASSERT_EQ(e.kind, Kind::message);
  EXPECT_EQ(e.payload.size(), big.size() + 1);
  EXPECT_EQ(e.payload.back(), '!');
  const std::size_t offset = consumed;
  e = parser.next(std::span(wire).subspan(offset), consumed);
  ASSERT_EQ(e.kind, Kind::message);
  EXPECT_EQ(e.payload, "next");
  // And a second fragmented message after the first starts from an empty buffer.
  Bytes again = concat({frame(0x01, "x"), frame(0x80, "y")});
  e = parser.next(again, consumed);
  ASSERT_EQ(e.kind, Kind::message);
  EXPECT_EQ(e.payload, "xy");
}

TEST(WebSocketParser, ContinuationWithoutMessageIsProtocolError) {
  EXPECT_EQ(feed_every_way(frame(0x80, "x")), std::vector<Seen>{error(CloseCode::protocol_error)});
  EXPECT_EQ(feed_every_way(frame(0x00, "x")), std::vector<Seen>{error(CloseCode::protocol_error)});
  // ... also right after a complete fragmented message.
  EXPECT_EQ(feed_every_way(concat({frame(0x01, "a"), frame(0x80, "b"), frame(0x80, "c")})),
            (std::vector<Seen>{message("ab"), error(CloseCode::protocol_error)}));
}

TEST(WebSocketParser, NewMessageInsideFragmentedOneIsProtocolError) {
  for (const std::uint8_t first : {0x81, 0x82, 0x01, 0x02}) {
    EXPECT_EQ(feed_every_way(concat({frame(0x01, "a"), frame(first, "b")})),
              std::vector<Seen>{error(CloseCode::protocol_error)})
        << static_cast<int>(first);
  }
}

// ---------------------------------------------------------------- header violations

TEST(WebSocketParser, UnmaskedClientFrameIsProtocolError) {
  const Bytes wire = client_frame({.first = 0x81, .payload = "hi", .masked = false});
  EXPECT_EQ(feed_every_way(wire), std::vector<Seen>{error(CloseCode::protocol_error)});
  // Found from the first two bytes.
  FrameParser parser(1024);
  Bytes two(wire.begin(), wire.begin() + 2);
  std::size_t consumed = 0;
  EXPECT_EQ(parser.next(two, consumed).kind, Kind::error);
}

TEST(WebSocketParser, ReservedBitsAreProtocolError) {
  for (const std::uint8_t rsv : {0x40, 0x20, 0x10, 0x70}) {
    EXPECT_EQ(feed_every_way(frame(static_cast<std::uint8_t>(0x81 | rsv), "x")),
              std::vector<Seen>{error(CloseCode::protocol_error)})
        << static_cast<int>(rsv);
  }
}

TEST(WebSocketParser, ReservedOpcodesAreProtocolError) {
  for (const std::uint8_t op : {0x3, 0x4, 0x5, 0x6, 0x7, 0xB, 0xC, 0xD, 0xE, 0xF}) {
    EXPECT_EQ(feed_every_way(frame(static_cast<std::uint8_t>(0x80 | op), "")),
              std::vector<Seen>{error(CloseCode::protocol_error)})
        << static_cast<int>(op);
  }
}

TEST(WebSocketParser, NonMinimalLengthsAreProtocolError) {
  // 16-bit form for < 126 bytes, 64-bit form for <= 0xFFFF bytes.
  EXPECT_EQ(
      feed_every_way(client_frame({.first = 0x81, .payload = "short", .len = LenForm::ext16})),
      std::vector<Seen>{error(CloseCode::protocol_error)});
  EXPECT_EQ(
      feed_every_way(client_frame({.first = 0x81, .payload = "short", .len = LenForm::ext64})),
      std::vector<Seen>{error(CloseCode::protocol_error)});
  const std::string k64(0xFFFF, 'k');
  EXPECT_EQ(feed_every_way(client_frame({.first = 0x82, .payload = k64, .len = LenForm::ext64})),
            std::vector<Seen>{error(CloseCode::protocol_error)});
  // The smallest lengths of each form are minimal.
  const std::string k126(126, 'k');
  EXPECT_EQ(feed_every_way(client_frame({.first = 0x82, .payload = k126, .len = LenForm::ext16})),
            std::vector<Seen>{message(k126, Opcode::binary)});
  const std::string k65536(65536, 'k');
  FrameParser parser(1 << 20);
  EXPECT_EQ(feed(parser, client_frame({.first = 0x82, .payload = k65536, .len = LenForm::ext64}),
                 1 << 20),
            std::vector<Seen>{message(k65536, Opcode::binary)});
}

TEST(WebSocketParser, SixtyFourBitLengthWithTopBitIsProtocolError) {
  Bytes wire = {0x82, 0x80 | 127, 0x80, 0, 0, 0, 0, 0, 0, 1};
  FrameParser parser(std::numeric_limits<std::size_t>::max());
  std::size_t consumed = 0;
  const ParseEvent e = parser.next(wire, consumed);
  EXPECT_EQ(e.kind, Kind::error);
  EXPECT_EQ(e.close_code, CloseCode::protocol_error);
}

// ---------------------------------------------------------------- sizes

TEST(WebSocketParser, MessageOfExactlyTheLimitIsAccepted) {
  const std::string payload(300, 'm');
  EXPECT_EQ(feed_every_way(frame(0x81, payload), 300), std::vector<Seen>{message(payload)});
  EXPECT_EQ(
      feed_every_way(
          concat({frame(0x01, payload.substr(0, 100)), frame(0x80, payload.substr(100))}), 300),
      std::vector<Seen>{message(payload)});
}

TEST(WebSocketParser, TooBigFrameIsRefusedFromItsHeader) {
  Bytes wire = frame(0x82, std::string(301, 'm'));
  wire.resize(4);  // only the header's length: the payload never needs to arrive
  FrameParser parser(300);
  std::size_t consumed = 0;
  const ParseEvent e = parser.next(wire, consumed);
  EXPECT_EQ(e.kind, Kind::error);
  EXPECT_EQ(e.close_code, CloseCode::message_too_big);
  // A 64-bit length of a terabyte is refused the same way.
  Bytes huge = {0x82, 0x80 | 127, 0, 0, 1, 0, 0, 0, 0, 0};
  FrameParser other(300);
  EXPECT_EQ(other.next(huge, consumed).close_code, CloseCode::message_too_big);
}

TEST(WebSocketParser, TooBigReassembledMessageIsRefused) {
  const Bytes wire = concat(
      {frame(0x01, std::string(200, 'a')), frame(0x00, std::string(100, 'b')), frame(0x80, "c")});
  EXPECT_EQ(feed_every_way(wire, 300), std::vector<Seen>{error(CloseCode::message_too_big)});
}

TEST(WebSocketParser, ControlFramesDoNotCountTowardsTheMessageLimit) {
  const Bytes wire = concat(
      {frame(0x01, std::string(10, 'a')), frame(0x89, std::string(20, 'p')), frame(0x80, "b")});
  EXPECT_EQ(feed_every_way(wire, 11),
            (std::vector<Seen>{{Kind::ping, Opcode::text, std::string(20, 'p')},
                               message(std::string(10, 'a') + "b")}));
}

// ---------------------------------------------------------------- UTF-8 in text messages

TEST(WebSocketParser, TextMustBeUtf8) {
  EXPECT_EQ(feed_every_way(frame(0x81, "ok \xce\xba\xe1\xbd\xb9")),
            std::vector<Seen>{message("ok \xce\xba\xe1\xbd\xb9")});
  EXPECT_EQ(feed_every_way(frame(0x81, "bad \xed\xa0\x80 surrogate")),
            std::vector<Seen>{error(CloseCode::invalid_payload)});
}

TEST(WebSocketParser, Utf8IsCheckedOnTheWholeReassembledMessage) {
  // A character split between fragments is valid...
  EXPECT_EQ(feed_every_way(concat({frame(0x01, "\xf0\x9f"), frame(0x80, "\x98\x80")})),
            std::vector<Seen>{message("\xf0\x9f\x98\x80")});
  // ... a character cut at the end of the message is not.
  EXPECT_EQ(feed_every_way(concat({frame(0x01, "ok"), frame(0x80, "\xf0\x9f\x98")})),
            std::vector<Seen>{error(CloseCode::invalid_payload)});
}

TEST(WebSocketParser, BinaryIsNotUtf8Checked) {
  EXPECT_EQ(feed_every_way(concat({frame(0x02, "\xff"), frame(0x80, "\xc0")})),
            std::vector<Seen>{message("\xff\xc0", Opcode::binary)});
}

// ---------------------------------------------------------------- failure is final

TEST(WebSocketParser, ErrorIsSticky) {
  FrameParser parser(1024);
  Bytes bad = concat({frame(0x01, "partial"), frame(0x83, "")});
  std::size_t consumed = 0;
  ParseEvent e = parser.next(bad, consumed);
  ASSERT_EQ(e.kind, Kind::error);
  EXPECT_EQ(e.close_code, CloseCode::protocol_error);
  EXPECT_STRNE(e.reason, "");
  const std::string reason = e.reason;
  EXPECT_FALSE(parser.in_fragmented_message());
  // A perfectly good frame afterwards is still refused, with the same code and reason.
  Bytes good = frame(0x81, "fine");
  e = parser.next(good, consumed);
  EXPECT_EQ(e.kind, Kind::error);
  EXPECT_EQ(e.close_code, CloseCode::protocol_error);
  EXPECT_EQ(std::string(e.reason), reason);
  EXPECT_EQ(consumed, 0U);
}

TEST(WebSocketParser, StickyErrorKeepsItsCloseCode) {
  FrameParser parser(10);
  Bytes big = frame(0x81, std::string(11, 'b'));
  std::size_t consumed = 0;
  EXPECT_EQ(parser.next(big, consumed).close_code, CloseCode::message_too_big);
  Bytes good = frame(0x81, "ok");
  const ParseEvent e = parser.next(good, consumed);
  EXPECT_EQ(e.kind, Kind::error);
  EXPECT_EQ(e.close_code, CloseCode::message_too_big);
}

// ---------------------------------------------------------------- bytes_wanted

TEST(WebSocketParser, BytesWanted) {
  const FrameParser parser(1 << 20);
  const Bytes small = frame(0x81, "Hello");  // 6-byte header
  EXPECT_EQ(parser.bytes_wanted(std::span(small).first(0)), 0U);
  EXPECT_EQ(parser.bytes_wanted(std::span(small).first(1)), 0U);
  EXPECT_EQ(parser.bytes_wanted(std::span(small).first(2)), small.size() - 2);
  EXPECT_EQ(parser.bytes_wanted(std::span(small).first(7)), small.size() - 7);
  EXPECT_EQ(parser.bytes_wanted(small), 0U);

  const Bytes mid = frame(0x82, std::string(1000, 'm'));  // 8-byte header
  // The extended length is not there yet: at least the rest of the header.
  EXPECT_EQ(parser.bytes_wanted(std::span(mid).first(2)), 8U - 2);
  EXPECT_EQ(parser.bytes_wanted(std::span(mid).first(4)), mid.size() - 4);
  EXPECT_EQ(parser.bytes_wanted(std::span(mid).first(500)), mid.size() - 500);

  const Bytes large = frame(0x82, std::string(70'000, 'l'));  // 14-byte header
  EXPECT_EQ(parser.bytes_wanted(std::span(large).first(3)), 14U - 3);
  EXPECT_EQ(parser.bytes_wanted(std::span(large).first(10)), large.size() - 10);

  // A frame the parser will refuse asks for nothing.
  const FrameParser strict(100);
  EXPECT_EQ(strict.bytes_wanted(std::span(mid).first(4)), 0U);
}

// ---------------------------------------------------------------- encoder

std::vector<std::uint8_t> header(Opcode op, std::size_t size) {
  std::array<std::uint8_t, kMaxHeaderSize> out{};
  const std::size_t n = encode_header(op, size, out);
  return {out.begin(), out.begin() + static_cast<std::ptrdiff_t>(n)};
}

TEST(WebSocketEncoder, HeaderLengthForms) {
  EXPECT_EQ(header(Opcode::text, 0), (Bytes{0x81, 0}));
  EXPECT_EQ(header(Opcode::text, 125), (Bytes{0x81, 125}));
  EXPECT_EQ(header(Opcode::binary, 126), (Bytes{0x82, 126, 0, 126}));
  EXPECT_EQ(header(Opcode::binary, 0xFFFF), (Bytes{0x82, 126, 0xFF, 0xFF}));
  EXPECT_EQ(header(Opcode::binary, 0x10000), (Bytes{0x82, 127, 0, 0, 0, 0, 0, 1, 0, 0}));
  EXPECT_EQ(header(Opcode::text, 0x0102030405ULL),
            (Bytes{0x81, 127, 0, 0, 0, 0x01, 0x02, 0x03, 0x04, 0x05}));
  EXPECT_EQ(header(Opcode::ping, 5), (Bytes{0x89, 5}));
  EXPECT_EQ(header(Opcode::pong, 0), (Bytes{0x8A, 0}));
  EXPECT_EQ(header(Opcode::close, 2), (Bytes{0x88, 2}));
}

TEST(WebSocketEncoder, ServerFrameParsesOnceMasked) {
  // The encoder's header with a mask added is what the parser accepts: the forms agree.
  for (const std::size_t n : {std::size_t{0}, std::size_t{125}, std::size_t{126},
                              std::size_t{0xFFFF}, std::size_t{0x10000}}) {
    Bytes wire = header(Opcode::binary, n);
    wire[1] |= 0x80;
    wire.insert(wire.end(), {0, 0, 0, 0});  // zero mask: payload unchanged
    wire.resize(wire.size() + n, 'z');
    FrameParser parser(1 << 20);
    std::size_t consumed = 0;
    const ParseEvent e = parser.next(wire, consumed);
    ASSERT_EQ(e.kind, Kind::message) << n;
    EXPECT_EQ(e.payload.size(), n);
    EXPECT_EQ(consumed, wire.size());
  }
}

TEST(WebSocketEncoder, CloseFrame) {
  EXPECT_EQ(encode_close(CloseCode::normal), "\x88\x02\x03\xe8"s);
  EXPECT_EQ(encode_close(CloseCode::protocol_error, "bad"),
            "\x88\x05\x03\xea"
            "bad"s);
  EXPECT_EQ(encode_close(static_cast<CloseCode>(4001), ""), "\x88\x02\x0f\xa1"s);
}

TEST(WebSocketEncoder, CloseReasonIsCutToFit) {
  const std::string ascii(200, 'r');
  const std::string wire = encode_close(CloseCode::going_away, ascii);
  ASSERT_EQ(wire.size(), 2U + 125U);
  EXPECT_EQ(static_cast<std::uint8_t>(wire[1]), 125);
  EXPECT_EQ(wire.substr(4), std::string(123, 'r'));
  EXPECT_EQ(encode_close(CloseCode::going_away, std::string(123, 'r')).size(), 127U);
}

TEST(WebSocketEncoder, CloseReasonIsCutAtACharacterBoundary) {
  // 122 ASCII bytes, then a 3-byte character straddling the 123-byte limit.
  for (std::size_t lead = 119; lead <= 123; ++lead) {
    const std::string reason = std::string(lead, 'r') + "\xe2\x82\xac" + "tail";
    const std::string encoded = encode_close(CloseCode::normal, reason);
    const std::string_view kept = std::string_view(encoded).substr(4);
    EXPECT_LE(encoded.size(), 127U);
    EXPECT_EQ(static_cast<std::size_t>(static_cast<std::uint8_t>(encoded[1])), encoded.size() - 2);
    EXPECT_TRUE(is_valid_utf8(kept)) << lead;
    EXPECT_TRUE(std::string_view(reason).starts_with(kept));
    // What the parser makes of it: the code and a valid reason.
    Bytes wire(encoded.begin(), encoded.end());
    wire[1] |= 0x80;
    wire.insert(wire.begin() + 2, {0, 0, 0, 0});
    FrameParser parser(1024);
    std::size_t consumed = 0;
    const ParseEvent e = parser.next(wire, consumed);
    ASSERT_EQ(e.kind, Kind::close) << lead;
    EXPECT_EQ(e.close_code, CloseCode::normal);
    EXPECT_EQ(e.payload, kept);
  }
}

TEST(WebSocketCloseCode, Validity) {
  for (const std::uint16_t ok :
       {1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 3000, 3999, 4000, 4999}) {
    EXPECT_TRUE(is_valid_close_code(ok)) << ok;
  }
  for (const std::uint16_t bad :
       {0, 1, 999, 1004, 1005, 1006, 1012, 1013, 1014, 1015, 1016, 2000, 2999, 5000, 65535}) {
    EXPECT_FALSE(is_valid_close_code(bad)) << bad;
  }
}

// ---------------------------------------------------------------- handshake

TEST(WebSocketHandshake, AcceptKeyRfcExample) {
  // RFC 6455 §1.3 (and §4.2.2): the sample nonce's accept value.
  EXPECT_EQ(accept_key("dGhlIHNhbXBsZSBub25jZQ=="), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
}

TEST(WebSocketHandshake, AcceptKeyIgnoresSurroundingWhitespace) {
  EXPECT_EQ(accept_key(" \tdGhlIHNhbXBsZSBub25jZQ== \t"), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
}

TEST(WebSocketHandshake, AcceptKeyOfOtherKeys) {
  // Another fixed vector, computed independently:
  // base64(sha1("x3JJHMbDL1EzLkh9GBhXDw==258EAFA5-E914-47DA-95CA-C5AB0DC85B11")).
  EXPECT_EQ(accept_key("x3JJHMbDL1EzLkh9GBhXDw=="), "HSmrc0sMlYUkAGmm5OPpG2HaGWk=");
  // Every kind of base64 character is accepted (the hash is of the key text as sent).
  EXPECT_EQ(accept_key("abcXYZ0189+/abcXYZ018A=="), "49XJIBEbQZOEgACWQztCKfHP3v4=");
  const auto a = accept_key("AAAAAAAAAAAAAAAAAAAAAA==");
  ASSERT_TRUE(a.has_value());
  EXPECT_EQ(a->size(), 28U);
  EXPECT_EQ(a->back(), '=');
}

TEST(WebSocketHandshake, AcceptKeyRefusesWhatIsNotSixteenBytesOfBase64) {
  for (const std::string_view key : {
           ""sv,
           "dGhlIHNhbXBsZSBub25jZQ"sv,        // no padding
           "dGhlIHNhbXBsZSBub25jZQ="sv,       // 23 characters
           "dGhlIHNhbXBsZSBub25jZQ==="sv,     // 25
           "dGhlIHNhbXBsZSBub25jZSE="sv,      // 17 bytes
           "dGhlIHNhbXBsZSBub25jZSEh"sv,      // 18 bytes
           "dGhlIHNhbXBsZSBub25j!Q=="sv,      // not base64
           "dGhlIHNhbXBsZ Bub25jZQ=="sv,      // inner space
           "dGhlIHNhbXBsZ-Bub25jZQ=="sv,      // base64url is not base64
           "AAAAAAAAAAAAAAAAAAAA===="sv,      // 15 bytes, over-padded
           "AAAAAAAAAAAAAAAAAAAAA==="sv,      // 15.75 bytes, over-padded
           "AAAA=AAAAAAAAAAAAAAAAA=="sv,      // padding inside
           "dGhlIHNhbXBsZSBub25jZQ==\r\n"sv,  // stray CRLF is not whitespace here
           "this is not a key at all"sv,
       }) {
    EXPECT_FALSE(accept_key(key).has_value()) << key;
  }
}

TEST(WebSocketHandshake, HeaderHasToken) {
  EXPECT_TRUE(header_has_token("Upgrade", "upgrade"));
  EXPECT_TRUE(header_has_token("upgrade", "Upgrade"));
  EXPECT_TRUE(header_has_token("keep-alive, Upgrade", "upgrade"));
  EXPECT_TRUE(header_has_token("keep-alive,Upgrade", "upgrade"));
  EXPECT_TRUE(header_has_token(" Upgrade ,keep-alive", "upgrade"));
  EXPECT_TRUE(header_has_token("a,\tWEBSOCKET\t,b", "websocket"));
  EXPECT_TRUE(header_has_token(",,upgrade,,", "upgrade"));
  EXPECT_FALSE(header_has_token("", "upgrade"));
  EXPECT_FALSE(header_has_token("keep-alive", "upgrade"));
  EXPECT_FALSE(header_has_token("upgraded", "upgrade"));
  EXPECT_FALSE(header_has_token("no-upgrade", "upgrade"));
  EXPECT_FALSE(header_has_token("up grade", "upgrade"));
  EXPECT_FALSE(header_has_token("websocket/13", "websocket"));
}

TEST(WebSocketHandshake, SwitchingProtocolsResponse) {
  EXPECT_EQ(switching_protocols_response("s3pPLMBiTxaQ9kYGzzhZRbK+xOo="),
            "HTTP/1.1 101 Switching Protocols\r\n"
            "Upgrade: websocket\r\n"
            "Connection: Upgrade\r\n"
            "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n");
}

// ---------------------------------------------------------------- UTF-8

TEST(Utf8, Valid) {
  for (const std::string_view text : {
           ""sv,
           "plain ascii"sv,
           "\x00\x7f"sv,
           "\xc2\x80"sv,
           "\xdf\xbf"sv,                                      // U+0080, U+07FF
           "\xe0\xa0\x80"sv,                                  // U+0800
           "\xed\x9f\xbf"sv,                                  // U+D7FF
           "\xee\x80\x80"sv,                                  // U+E000
           "\xef\xbf\xbf"sv,                                  // U+FFFF
           "\xf0\x90\x80\x80"sv,                              // U+10000
           "\xf4\x8f\xbf\xbf"sv,                              // U+10FFFF
           "\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5"sv,  // Autobahn 6.2.1
           "0123456789abcdef\xe2\x82\xac"
           "0123456789abcdef"sv,
       }) {
    EXPECT_TRUE(is_valid_utf8(text)) << testing::PrintToString(text);
  }
}

TEST(Utf8, Invalid) {
  for (const std::string_view text : {
           "\x80"sv,
           "\xbf"sv,
           "a\x80z"sv,  // lone continuation
           "\xc0\x80"sv,
           "\xc1\xbf"sv,  // overlong 2-byte
           "\xe0\x80\x80"sv,
           "\xe0\x9f\xbf"sv,  // overlong 3-byte
           "\xf0\x80\x80\x80"sv,
           "\xf0\x8f\xbf\xbf"sv,  // overlong 4-byte
           "\xed\xa0\x80"sv,
           "\xed\xbf\xbf"sv,
           "\xed\xad\xbf"sv,  // surrogates
           "\xf4\x90\x80\x80"sv,
           "\xf7\xbf\xbf\xbf"sv,  // above U+10FFFF
           "\xf5\x80\x80\x80"sv,
           "\xf8\x88\x80\x80\x80"sv,
           "\xfe"sv,
           "\xff"sv,
           "\xc2"sv,
           "\xe2\x82"sv,
           "\xf0\x9f\x98"sv,  // truncated at the end
           "\xc2z"sv,
           "\xe2\x82z"sv,
           "\xf0\x9f\x98z"sv,  // truncated in the middle
           "\xe2z\xac"sv,
           "\xf0\x9fz\x80"sv,  // bad later byte
           "\xc2\xc2\x80"sv,
           // After an 8-byte ASCII run and at every word boundary offset.
           "01234567\x80"sv,
           "0123456789abcde\xc0\xaf"sv,
           "01234567\xed\xa0\x80"sv,
       }) {
    EXPECT_FALSE(is_valid_utf8(text)) << testing::PrintToString(text);
  }
}

TEST(Utf8, InvalidByteAtEveryOffsetOfALongString) {
  for (std::size_t at = 0; at < 40; ++at) {
    std::string text(40, 'a');
    text[at] = '\xff';
    EXPECT_FALSE(is_valid_utf8(text)) << at;
    text[at] = '\x7f';
    EXPECT_TRUE(is_valid_utf8(text)) << at;
  }
}

// A plain decoder written from RFC 3629's table: the validator must agree with it.
bool reference_valid(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<std::uint8_t>(s[i]);
    std::size_t len;
    std::uint32_t cp;
    if (c < 0x80) {
      ++i;
      continue;
    } else if ((c & 0xE0) == 0xC0) {
      len = 2;
      cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      len = 3;
      cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      len = 4;
      cp = c & 0x07;
    } else {
      return false;
    }
    if (i + len > s.size()) return false;
    for (std::size_t k = 1; k < len; ++k) {
      const auto b = static_cast<std::uint8_t>(s[i + k]);
      if ((b & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (b & 0x3F);
    }
    const std::uint32_t min = len == 2 ? 0x80 : len == 3 ? 0x800 : 0x10000;
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    i += len;
  }
  return true;
}

TEST(Utf8, AgreesWithAReferenceDecoderOnEveryShortSequence) {
  std::size_t disagreements = 0;
  std::string s;
  // Every 1- and 2-byte string.
  for (int a = 0; a < 256; ++a) {
    s.assign(1, static_cast<char>(a));
    disagreements += is_valid_utf8(s) != reference_valid(s);
    for (int b = 0; b < 256; ++b) {
      s.assign({static_cast<char>(a), static_cast<char>(b)});
      disagreements += is_valid_utf8(s) != reference_valid(s);
    }
  }
  // Every 3-byte string with a multi-byte lead, and 4-byte ones with two varying bytes.
  for (int a = 0xC0; a < 256; ++a) {
    for (int b = 0; b < 256; ++b) {
      for (int c = 0; c < 256; ++c) {
        s.assign({static_cast<char>(a), static_cast<char>(b), static_cast<char>(c)});
        disagreements += is_valid_utf8(s) != reference_valid(s);
      }
      for (const int c : {0x00, 0x80, 0xBF, 0xC0}) {
        s.assign({static_cast<char>(a), static_cast<char>(b), static_cast<char>(c), '\x80'});
        disagreements += is_valid_utf8(s) != reference_valid(s);
      }
    }
  }
  EXPECT_EQ(disagreements, 0U);
}

}  // namespace
}  // namespace sudachi::websocket

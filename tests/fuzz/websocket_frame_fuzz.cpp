// The RFC 6455 frame parser (protocol/websocket/frame.hpp) fuzzed as a byte stream that
// arrives in pieces. The stream is parsed the way WsConnection::process does it (bytes the
// parser consumed are dropped, the rest waits for more), three times: in one piece, in chunks
// whose sizes come from the input, and a byte at a time. The three must yield the same events
// and the same final state. In every run:
// - no message is larger than the limit, a text message and a close reason are UTF-8 (by a
//   reference decoder written here, not the parser's own), control payloads fit 125 bytes;
// - an error carries 1002, 1007 or 1009, and then every call repeats it;
// - consumed never passes the input; need_more with bytes consumed means fragments were taken;
// - bytes_wanted() after need_more neither over-asks (the frame is not complete a byte
//   earlier) nor under-asks (with that many more bytes the parser gets further), and says 0
//   only below 2 bytes or for a frame over the limit;
// - what the encoder makes of an event parses back to it (server frames, masked as a client's).
// The input: a setup byte (limit, mode), chunk sizes, then either raw wire bytes or a script
// of frames built here, so that masks and length forms are right and deep states are reached.
#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_support.hpp"
#include "protocol/websocket/frame.hpp"
#include "protocol/websocket/utf8.hpp"

namespace sudachi::fuzz {
namespace {

namespace ws = websocket;
using Kind = ws::ParseEvent::Kind;
using Bytes = std::vector<std::uint8_t>;

constexpr const char* kTarget = "websocket_frame";
constexpr std::size_t kMaxStream = 128 * 1024;
constexpr std::size_t kMaxLength = 70'000;           // a script frame's payload
constexpr std::size_t kByteAtATimeUpTo = 16 * 1024;  // a longer stream skips that run
constexpr int kWantedChecks = 64;                    // each copies the parser: bounded per input
constexpr std::array<std::size_t, 8> kLimits = {0, 3, 125, 126, 300, 4096, 65'535, 70'000};

// RFC 3629 by decoding code points, independent of the parser's table-driven check.
bool reference_utf8(std::string_view s) {
  constexpr std::uint32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
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
    if (s.size() - i < len) return false;
    for (std::size_t k = 1; k < len; ++k) {
      const auto cc = static_cast<std::uint8_t>(s[i + k]);
      if ((cc & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (cc & 0x3F);
    }
    if (cp < kMin[len] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    i += len;
  }
  return true;
}

struct Event {
  Kind kind = Kind::need_more;
  ws::Opcode opcode = ws::Opcode::text;
  std::string payload;
  ws::CloseCode code = ws::CloseCode::normal;
  bool operator==(const Event&) const = default;
};

struct Outcome {
  std::vector<Event> events;
  std::size_t leftover = 0;  // bytes the parser did not consume at the end
  bool fragmented = false;
  bool operator==(const Outcome&) const = default;
};

// The payload, masked with `mask` eight bytes at a time: streams reach 128 KiB, and each
// byte-wise step is instrumented by libFuzzer.
void append_masked(Bytes& out, std::string_view payload, std::array<std::uint8_t, 4> mask) {
  const std::size_t at = out.size();
  const std::size_t n = payload.size();
  out.insert(out.end(), payload.begin(), payload.end());
  const std::uint8_t k[8] = {mask[0], mask[1], mask[2], mask[3],
                             mask[0], mask[1], mask[2], mask[3]};
  std::uint64_t key8;
  std::memcpy(&key8, k, 8);
  std::size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    std::uint64_t word;
    std::memcpy(&word, out.data() + at + i, 8);
    word ^= key8;
    std::memcpy(out.data() + at + i, &word, 8);
  }
  for (; i < n; ++i) out[at + i] ^= mask[i % 4];
}

// A client frame: masked (unless told), in the length form asked for.
void append_frame(Bytes& out, std::uint8_t first, std::string_view payload, bool masked, int form,
                  std::array<std::uint8_t, 4> mask) {
  const std::uint64_t n = payload.size();
  if (form == 0) form = n < 126 ? 0 : n <= 0xFFFF ? 1 : 2;
  out.push_back(first);
  const std::uint8_t m = masked ? 0x80 : 0x00;
  if (form == 0) {
    out.push_back(static_cast<std::uint8_t>(m | (n & 0x7F)));
  } else if (form == 1) {
    out.push_back(m | 126);
    out.push_back(static_cast<std::uint8_t>(n >> 8));
    out.push_back(static_cast<std::uint8_t>(n));
  } else {
    out.push_back(m | 127);
    for (int i = 7; i >= 0; --i) out.push_back(static_cast<std::uint8_t>(n >> (8 * i)));
  }
  if (!masked) {
    out.insert(out.end(), payload.begin(), payload.end());
    return;
  }
  out.insert(out.end(), mask.begin(), mask.end());
  append_masked(out, payload, mask);
}

// The stream of script mode: each step is raw bytes or one frame described by
// op (FIN, reserved bits, opcode: the first byte), flags, length, mask and payload.
Bytes build_stream(Script& script) {
  Bytes out;
  while (!script.done() && out.size() < kMaxStream) {
    const std::uint8_t op = script.byte();
    if (op == 0xFF) {  // raw bytes: lies about lengths, truncations, garbage
      const auto raw = script.bytes(script.byte());
      out.insert(out.end(), raw.begin(), raw.end());
      continue;
    }
    const std::uint8_t flags = script.byte();
    // Reserved bits only when asked: otherwise nearly every frame would be refused at once.
    const auto first = static_cast<std::uint8_t>((flags & 0x08) != 0 ? op : op & 0x8F);
    std::size_t length = script.byte();
    if ((flags & 0x20) != 0) length = (length << 8) | script.byte();
    if ((flags & 0x40) != 0) length *= 64;
    length = std::min(length, kMaxLength);
    const std::uint8_t m = script.byte();
    const std::array<std::uint8_t, 4> mask = {m, static_cast<std::uint8_t>(m ^ 0x5A),
                                              static_cast<std::uint8_t>(m + 1),
                                              static_cast<std::uint8_t>(~m)};
    std::string payload;
    if ((flags & 0x10) != 0) {
      payload.assign(length, static_cast<char>(script.byte()));
    } else {
      const auto bytes = script.bytes(length);
      payload.assign(bytes.begin(), bytes.end());
      payload.resize(length, 'a');
    }
    append_frame(out, first, payload, (flags & 0x01) == 0, (flags >> 1) & 3, mask);
  }
  if (out.size() > kMaxStream) out.resize(kMaxStream);
  return out;
}

struct Checker {
  const std::uint8_t* data;  // the input, for SUDACHI_FUZZ_CHECK's report
  std::size_t size;
  std::size_t limit;
  int wanted_checks = 0;

  void check_event(const ws::ParseEvent& e, const ws::FrameParser& parser) {
    switch (e.kind) {
      case Kind::message:
        SUDACHI_FUZZ_CHECK(e.opcode == ws::Opcode::text || e.opcode == ws::Opcode::binary);
        SUDACHI_FUZZ_CHECK(e.payload.size() <= limit);
        if (e.opcode == ws::Opcode::text) SUDACHI_FUZZ_CHECK(reference_utf8(e.payload));
        SUDACHI_FUZZ_CHECK(ws::is_valid_utf8(e.payload) == reference_utf8(e.payload));
        SUDACHI_FUZZ_CHECK(!parser.in_fragmented_message());
        break;
      case Kind::ping:
      case Kind::pong:
        SUDACHI_FUZZ_CHECK(e.payload.size() <= ws::kMaxControlPayload);
        break;
      case Kind::close: {
        const auto code = static_cast<std::uint16_t>(e.close_code);
        if (e.close_code == ws::CloseCode::no_status) {
          SUDACHI_FUZZ_CHECK(e.payload.empty());
        } else {
          SUDACHI_FUZZ_CHECK(ws::is_valid_close_code(code));
          SUDACHI_FUZZ_CHECK(e.payload.size() <= ws::kMaxControlPayload - 2);
          SUDACHI_FUZZ_CHECK(reference_utf8(e.payload));
        }
        break;
      }
      case Kind::error:
        SUDACHI_FUZZ_CHECK(e.close_code == ws::CloseCode::protocol_error ||
                           e.close_code == ws::CloseCode::invalid_payload ||
                           e.close_code == ws::CloseCode::message_too_big);
        SUDACHI_FUZZ_CHECK(e.reason != nullptr && e.reason[0] != '\0');
        SUDACHI_FUZZ_CHECK(!parser.in_fragmented_message());
        break;
      case Kind::need_more:
        break;
    }
  }

  // The frame at the front of `rest` (the unconsumed bytes, at a frame boundary) is incomplete;
  // `ahead` is everything the stream still holds from there, fed or not.
  void check_wanted(const ws::FrameParser& parser, std::span<const std::uint8_t> rest,
                    std::span<const std::uint8_t> ahead) {
    const std::size_t wanted = parser.bytes_wanted(rest);
    if (rest.size() < 2) {
      SUDACHI_FUZZ_CHECK(wanted == 0);
      return;
    }
    if (wanted == 0) {
      // Only a frame over the limit, whose length is known then.
      const std::uint8_t len7 = rest[1] & 0x7F;
      const std::size_t ext = len7 == 126 ? 2 : len7 == 127 ? 8 : 0;
      SUDACHI_FUZZ_CHECK(rest.size() >= 2 + ext);
      std::uint64_t length = len7;
      if (ext != 0) {
        length = 0;
        for (std::size_t i = 0; i < ext; ++i) length = (length << 8) | rest[2 + i];
      }
      SUDACHI_FUZZ_CHECK(length > limit);
      return;
    }
    if (wanted_checks >= kWantedChecks || rest.size() + wanted > ahead.size() ||
        rest.size() + wanted > 8192) {
      return;
    }
    ++wanted_checks;
    // A byte short of what it asked for, the frame is still incomplete (or refused).
    {
      ws::FrameParser copy = parser;
      Bytes shorter(ahead.begin(),
                    ahead.begin() + static_cast<std::ptrdiff_t>(rest.size() + wanted - 1));
      std::size_t consumed = 0;
      const ws::ParseEvent e = copy.next(shorter, consumed);
      SUDACHI_FUZZ_CHECK((e.kind == Kind::need_more && consumed == 0) || e.kind == Kind::error);
    }
    // With all of it, the parser gets further: a frame, an error, or a header it now knows
    // enough of to ask for more.
    {
      ws::FrameParser copy = parser;
      Bytes enough(ahead.begin(),
                   ahead.begin() + static_cast<std::ptrdiff_t>(rest.size() + wanted));
      const Bytes unmasked_copy = enough;
      std::size_t consumed = 0;
      const ws::ParseEvent e = copy.next(enough, consumed);
      if (e.kind == Kind::need_more && consumed == 0) {
        SUDACHI_FUZZ_CHECK(copy.bytes_wanted(unmasked_copy) > 0);
      }
    }
  }

  // Parses `stream` fed in chunks (sizes cycled from `chunks`; empty: all at once) as
  // WsConnection::process does.
  Outcome run(std::span<const std::uint8_t> stream, std::span<const std::size_t> chunks,
              bool check_wanted_bytes) {
    ws::FrameParser parser(limit);
    Outcome out;
    Bytes pending;
    std::size_t fed = 0;    // bytes of the stream appended to `pending` so far
    std::size_t front = 0;  // the stream offset of pending[0]
    std::size_t chunk = 0;
    bool failed = false;
    while (fed < stream.size() && !failed) {
      std::size_t n = stream.size() - fed;
      if (!chunks.empty()) n = std::min(n, chunks[chunk++ % chunks.size()]);
      pending.insert(pending.end(), stream.begin() + static_cast<std::ptrdiff_t>(fed),
                     stream.begin() + static_cast<std::ptrdiff_t>(fed + n));
      fed += n;
      std::size_t offset = 0;
      while (offset < pending.size()) {
        const std::span<std::uint8_t> input(pending.data() + offset, pending.size() - offset);
        std::size_t consumed = 0;
        const ws::ParseEvent e = parser.next(input, consumed);
        SUDACHI_FUZZ_CHECK(consumed <= input.size());
        offset += consumed;
        check_event(e, parser);
        if (e.kind == Kind::need_more) {
          if (consumed > 0) SUDACHI_FUZZ_CHECK(parser.in_fragmented_message());
          if (check_wanted_bytes) {
            check_wanted(parser, std::span<const std::uint8_t>(pending).subspan(offset),
                         stream.subspan(front + offset));
          }
          break;
        }
        out.events.push_back(Event{e.kind, e.opcode, std::string(e.payload), e.close_code});
        if (e.kind == Kind::error) {
          // The connection must close: the parser stays failed, with the same code.
          std::size_t again = 1;
          const ws::ParseEvent sticky = parser.next(input.subspan(consumed), again);
          SUDACHI_FUZZ_CHECK(sticky.kind == Kind::error && sticky.close_code == e.close_code);
          SUDACHI_FUZZ_CHECK(again == 0);
          failed = true;
          break;
        }
      }
      pending.erase(pending.begin(), pending.begin() + static_cast<std::ptrdiff_t>(offset));
      front += offset;
    }
    out.leftover = failed ? 0 : pending.size();
    out.fragmented = parser.in_fragmented_message();
    return out;
  }

  // What the encoder makes of an event, masked as a client would, parses back to it.
  void check_round_trip(const Event& e) {
    Bytes frame;
    if (e.kind == Kind::close && e.code != ws::CloseCode::no_status) {
      const std::string encoded = ws::encode_close(e.code, e.payload);
      SUDACHI_FUZZ_CHECK(encoded.size() == 4 + e.payload.size());  // it fits: no cut
      append_frame(frame, static_cast<std::uint8_t>(encoded[0]),
                   std::string_view(encoded).substr(2), true, 0, {1, 2, 3, 4});
    } else if (e.kind == Kind::message || e.kind == Kind::ping || e.kind == Kind::pong) {
      const ws::Opcode opcode = e.kind == Kind::message ? e.opcode
                                : e.kind == Kind::ping  ? ws::Opcode::ping
                                                        : ws::Opcode::pong;
      std::array<std::uint8_t, ws::kMaxHeaderSize> header{};
      const std::size_t n = ws::encode_header(opcode, e.payload.size(), header);
      SUDACHI_FUZZ_CHECK(n == (e.payload.size() < 126 ? 2 : e.payload.size() <= 0xFFFF ? 4 : 10));
      frame.assign(header.begin(), header.begin() + static_cast<std::ptrdiff_t>(n));
      frame[1] |= 0x80;  // as a client's: masked with the key that follows
      const std::array<std::uint8_t, 4> key = {0xA5, 0x00, 0xFF, 0x3C};
      frame.insert(frame.end(), key.begin(), key.end());
      append_masked(frame, e.payload, key);
    } else {
      return;
    }
    ws::FrameParser parser(limit);
    std::size_t consumed = 0;
    const ws::ParseEvent back = parser.next(frame, consumed);
    SUDACHI_FUZZ_CHECK(consumed == frame.size());
    SUDACHI_FUZZ_CHECK(back.kind == e.kind && back.payload == e.payload);
    if (e.kind == Kind::message) SUDACHI_FUZZ_CHECK(back.opcode == e.opcode);
    if (e.kind == Kind::close) SUDACHI_FUZZ_CHECK(back.close_code == e.code);
  }
};

}  // namespace

int websocket_frame_one_input(const std::uint8_t* data, std::size_t size) {
  Script script(data, size);
  const std::uint8_t setup = script.byte();
  Checker checker{data, size, kLimits[setup & 7]};
  std::vector<std::size_t> chunks;
  const std::size_t chunk_count = 1 + script.byte() % 16;
  for (std::size_t i = 0; i < chunk_count; ++i) {
    const std::uint8_t b = script.byte();
    chunks.push_back(b < 0xF0 ? 1 + b : (b - 0xEF) * std::size_t{512});
  }
  Bytes stream;
  if ((setup & 0x08) != 0) {
    stream = build_stream(script);
  } else {
    const auto rest = script.bytes(kMaxStream);
    stream.assign(rest.begin(), rest.end());
  }
  // The parser's UTF-8 check agrees with the reference on anything, not only on what it lets by.
  const std::string_view as_text(reinterpret_cast<const char*>(stream.data()), stream.size());
  SUDACHI_FUZZ_CHECK(ws::is_valid_utf8(as_text) == reference_utf8(as_text));

  const Outcome whole = checker.run(stream, {}, false);
  const Outcome chunked = checker.run(stream, chunks, true);
  SUDACHI_FUZZ_CHECK(chunked == whole);
  if (stream.size() <= kByteAtATimeUpTo) {
    const std::array<std::size_t, 1> one = {1};
    SUDACHI_FUZZ_CHECK(checker.run(stream, one, false) == whole);
  }
  for (const Event& e : whole.events) checker.check_round_trip(e);
  return 0;
}

}  // namespace sudachi::fuzz

#ifndef SUDACHI_FUZZ_NO_ENTRY_POINT
extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  return sudachi::fuzz::websocket_frame_one_input(data, size);
}
#endif

#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

// RFC 6455 framing for the server side: an incremental parser of client frames and the
// encoder of server frames. No I/O, no allocation per frame (only fragmented messages are
// reassembled, into one buffer the parser keeps). Every input is hostile: the parser never
// reads past its input, bounds what it buffers, and reports each violation with the close
// code RFC 6455 §7.4.1 names for it.
namespace sudachi::websocket {

enum class Opcode : std::uint8_t {
  continuation = 0x0,
  text = 0x1,
  binary = 0x2,
  close = 0x8,
  ping = 0x9,
  pong = 0xA,
};

enum class CloseCode : std::uint16_t {
  normal = 1000,
  going_away = 1001,
  protocol_error = 1002,
  unsupported_data = 1003,
  no_status = 1005,  // never sent: what a close frame without a code means
  invalid_payload = 1007,
  policy_violation = 1008,
  message_too_big = 1009,
  internal_error = 1011,
};

// The largest server frame header: 2 bytes + 8 bytes of extended length (no mask).
inline constexpr std::size_t kMaxHeaderSize = 10;
// Control frames carry at most 125 bytes (RFC 6455 §5.5).
inline constexpr std::size_t kMaxControlPayload = 125;

struct ParseEvent {
  enum class Kind {
    need_more,  // no complete frame in the input: read more, then call again
    message,    // a whole text or binary message
    ping,
    pong,
    close,  // the peer's close frame; `close_code` and `payload` (the reason) are set
    error,  // a violation: close the connection with `close_code`
  };
  Kind kind = Kind::need_more;
  Opcode opcode = Opcode::text;  // text or binary, for `message`
  // For message/ping/pong/close: valid until the next call to next() or until the input
  // bytes it points into are discarded.
  std::string_view payload;
  CloseCode close_code = CloseCode::normal;  // for `close` (the peer's code) and `error`
  const char* reason = "";                   // for `error`: what was wrong, for logs
};

class FrameParser {
 public:
  // `max_message`: the largest message (after reassembly) accepted; larger ones are an error
  // with 1009, found from the frame header, before their payload is read.
  explicit FrameParser(std::size_t max_message) : max_message_(max_message) {}

  // Parses frames from the front of `input` until one yields an event, and says how many
  // bytes it used (`consumed`). need_more may come with consumed > 0: non-final fragments were
  // taken into the reassembly buffer, and those bytes can be dropped. Masked payloads are unmasked
  // in place, which is why the input is mutable; an unfragmented message's payload points into
  // `input`. After an error the parser stays failed: the connection must close.
  ParseEvent next(std::span<std::uint8_t> input, std::size_t& consumed);

  // Bytes a frame needs beyond what `input` holds, when next() said need_more: lets the caller
  // size its read buffer once instead of growing it step by step. 0 below 2 bytes (length unknown)
  // or when the frame is over the limit.
  std::size_t bytes_wanted(std::span<const std::uint8_t> input) const;

  bool in_fragmented_message() const { return fragmented_; }

 private:
  ParseEvent fail(CloseCode code, const char* reason);

  std::size_t max_message_;
  bool failed_ = false;
  CloseCode failed_code_ = CloseCode::protocol_error;
  const char* failed_reason_ = "";
  bool fragmented_ = false;            // a text/binary message started without FIN
  bool delivered_reassembly_ = false;  // the last message pointed into reassembly_
  Opcode fragment_opcode_ = Opcode::text;
  std::string reassembly_;  // the fragments so far
};

// Writes the header of one unmasked, final server frame carrying `payload_size` bytes into
// `out`; returns the header's length (2, 4 or 10).
std::size_t encode_header(Opcode opcode, std::size_t payload_size,
                          std::span<std::uint8_t, kMaxHeaderSize> out);

// A whole close frame (header, code, reason truncated to fit 125 bytes).
std::string encode_close(CloseCode code, std::string_view reason = {});

// Whether a close code may appear on the wire (RFC 6455 §7.4: 1000-1003, 1007-1011, 3000-4999).
bool is_valid_close_code(std::uint16_t code);

}  // namespace sudachi::websocket

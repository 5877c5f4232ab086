#include "protocol/websocket/frame.hpp"

#include <algorithm>

#include "protocol/websocket/utf8.hpp"

namespace sudachi::websocket {

namespace {

constexpr std::size_t kMaskSize = 4;

std::uint64_t read_be(const std::uint8_t* p, int bytes) {
  std::uint64_t v = 0;
  for (int i = 0; i < bytes; ++i) v = (v << 8) | p[i];
  return v;
}

// XORs `payload` with the 4-byte key, eight bytes at a time where it can.
void unmask(std::uint8_t* payload, std::size_t size, const std::uint8_t* key) {
  std::uint64_t key8;
  std::uint8_t k[8] = {key[0], key[1], key[2], key[3], key[0], key[1], key[2], key[3]};
  __builtin_memcpy(&key8, k, 8);
  std::size_t i = 0;
  for (; i + 8 <= size; i += 8) {
    std::uint64_t word;
    __builtin_memcpy(&word, payload + i, 8);
    word ^= key8;
    __builtin_memcpy(payload + i, &word, 8);
  }
  for (; i < size; ++i) payload[i] ^= key[i % kMaskSize];
}

bool is_control(Opcode op) {
  return (static_cast<std::uint8_t>(op) & 0x8) != 0;
}

bool is_known(std::uint8_t op) {
  return op <= 0x2 || (op >= 0x8 && op <= 0xA);
}

struct Header {
  bool fin = false;
  Opcode opcode = Opcode::text;
  std::size_t size = 0;       // header bytes, mask included
  std::uint64_t payload = 0;  // payload bytes
};

}  // namespace

bool is_valid_close_code(std::uint16_t code) {
  return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1011) ||
         (code >= 3000 && code <= 4999);
}

ParseEvent FrameParser::fail(CloseCode code, const char* reason) {
  failed_ = true;
  fragmented_ = false;
  reassembly_.clear();
  reassembly_.shrink_to_fit();
  ParseEvent e;
  e.kind = ParseEvent::Kind::error;
  e.close_code = code;
  e.reason = reason;
  failed_code_ = code;
  failed_reason_ = reason;
  return e;
}

std::size_t FrameParser::bytes_wanted(std::span<const std::uint8_t> input) const {
  if (input.size() < 2) return 0;
  const std::uint8_t len7 = input[1] & 0x7F;
  const std::size_t ext = len7 == 126 ? 2 : len7 == 127 ? 8 : 0;
  const std::size_t header = 2 + ext + kMaskSize;
  if (input.size() < 2 + ext) return header - input.size();
  const std::uint64_t payload = ext == 0 ? len7 : read_be(input.data() + 2, static_cast<int>(ext));
  if (payload > max_message_) return 0;  // next() refuses it
  const std::uint64_t total = header + payload;
  return total > input.size() ? static_cast<std::size_t>(total - input.size()) : 0;
}

ParseEvent FrameParser::next(std::span<std::uint8_t> input, std::size_t& consumed) {
  consumed = 0;
  if (failed_) {
    ParseEvent e;
    e.kind = ParseEvent::Kind::error;
    e.close_code = failed_code_;
    e.reason = failed_reason_;
    return e;
  }
  if (delivered_reassembly_) {
    delivered_reassembly_ = false;
    reassembly_.clear();
    // A burst of large fragmented messages must not pin their largest size for the life of
    // the connection.
    if (reassembly_.capacity() > 64 * 1024) reassembly_.shrink_to_fit();
  }

  for (;;) {
    std::span<std::uint8_t> rest = input.subspan(consumed);
    if (rest.size() < 2) return ParseEvent{};
    Header h;
    h.fin = (rest[0] & 0x80) != 0;
    if ((rest[0] & 0x70) != 0) return fail(CloseCode::protocol_error, "reserved bits set");
    if (!is_known(rest[0] & 0x0F)) return fail(CloseCode::protocol_error, "unknown opcode");
    h.opcode = static_cast<Opcode>(rest[0] & 0x0F);
    if ((rest[1] & 0x80) == 0) return fail(CloseCode::protocol_error, "unmasked client frame");
    const std::uint8_t len7 = rest[1] & 0x7F;
    const int ext = len7 == 126 ? 2 : len7 == 127 ? 8 : 0;
    h.size = 2 + static_cast<std::size_t>(ext) + kMaskSize;
    if (rest.size() < 2 + static_cast<std::size_t>(ext)) return ParseEvent{};
    h.payload = ext == 0 ? len7 : read_be(rest.data() + 2, ext);
    // RFC 6455 §5.2: the minimal length encoding MUST be used, and the 64-bit form has its
    // top bit clear.
    if ((ext == 2 && h.payload < 126) || (ext == 8 && h.payload <= 0xFFFF) ||
        (ext == 8 && (h.payload >> 63) != 0)) {
      return fail(CloseCode::protocol_error, "non-minimal payload length");
    }

    if (is_control(h.opcode)) {
      if (!h.fin) return fail(CloseCode::protocol_error, "fragmented control frame");
      if (h.payload > kMaxControlPayload)
        return fail(CloseCode::protocol_error, "control frame over 125 bytes");
    } else if (h.opcode == Opcode::continuation) {
      if (!fragmented_) return fail(CloseCode::protocol_error, "continuation without a message");
    } else if (fragmented_) {
      return fail(CloseCode::protocol_error, "new message inside a fragmented one");
    }
    if (!is_control(h.opcode)) {
      const std::uint64_t total = (fragmented_ ? reassembly_.size() : 0) + h.payload;
      if (total > max_message_) return fail(CloseCode::message_too_big, "message too big");
    }
    if (rest.size() < h.size + h.payload) return ParseEvent{};

    std::uint8_t* payload = rest.data() + h.size;
    const auto n = static_cast<std::size_t>(h.payload);
    unmask(payload, n, rest.data() + h.size - kMaskSize);
    const std::string_view view(reinterpret_cast<const char*>(payload), n);
    consumed += h.size + n;

    ParseEvent e;
    switch (h.opcode) {
      case Opcode::ping:
        e.kind = ParseEvent::Kind::ping;
        e.payload = view;
        return e;
      case Opcode::pong:
        e.kind = ParseEvent::Kind::pong;
        e.payload = view;
        return e;
      case Opcode::close: {
        e.kind = ParseEvent::Kind::close;
        if (n == 0) {
          e.close_code = CloseCode::no_status;
          return e;
        }
        if (n == 1) return fail(CloseCode::protocol_error, "close frame of 1 byte");
        const auto code = static_cast<std::uint16_t>(read_be(payload, 2));
        if (!is_valid_close_code(code)) return fail(CloseCode::protocol_error, "bad close code");
        e.payload = view.substr(2);
        if (!is_valid_utf8(e.payload))
          return fail(CloseCode::invalid_payload, "close reason not UTF-8");
        e.close_code = static_cast<CloseCode>(code);
        return e;
      }
      case Opcode::text:
      case Opcode::binary:
        if (!h.fin) {
          fragmented_ = true;
          fragment_opcode_ = h.opcode;
          reassembly_.assign(view);
          continue;  // the rest of the message is in later frames
        }
        if (h.opcode == Opcode::text && !is_valid_utf8(view))
          return fail(CloseCode::invalid_payload, "text message not UTF-8");
        e.kind = ParseEvent::Kind::message;
        e.opcode = h.opcode;
        e.payload = view;
        return e;
      case Opcode::continuation:
        reassembly_.append(view);
        if (!h.fin) continue;
        fragmented_ = false;
        if (fragment_opcode_ == Opcode::text && !is_valid_utf8(reassembly_))
          return fail(CloseCode::invalid_payload, "text message not UTF-8");
        delivered_reassembly_ = true;
        e.kind = ParseEvent::Kind::message;
        e.opcode = fragment_opcode_;
        e.payload = reassembly_;
        return e;
    }
    return fail(CloseCode::protocol_error, "unknown opcode");
  }
}

std::size_t encode_header(Opcode opcode, std::size_t payload_size,
                          std::span<std::uint8_t, kMaxHeaderSize> out) {
  out[0] = static_cast<std::uint8_t>(0x80 | static_cast<std::uint8_t>(opcode));
  if (payload_size < 126) {
    out[1] = static_cast<std::uint8_t>(payload_size);
    return 2;
  }
  if (payload_size <= 0xFFFF) {
    out[1] = 126;
    out[2] = static_cast<std::uint8_t>(payload_size >> 8);
    out[3] = static_cast<std::uint8_t>(payload_size);
    return 4;
  }
  out[1] = 127;
  const auto size = static_cast<std::uint64_t>(payload_size);
  for (int i = 0; i < 8; ++i) out[2 + i] = static_cast<std::uint8_t>(size >> (56 - 8 * i));
  return 10;
}

std::string encode_close(CloseCode code, std::string_view reason) {
  // 125 bytes of payload: the 2-byte code and at most 123 bytes of reason, cut at a character
  // boundary so that the peer's UTF-8 check passes.
  std::size_t keep = std::min<std::size_t>(reason.size(), kMaxControlPayload - 2);
  while (keep > 0 && keep < reason.size() &&
         (static_cast<std::uint8_t>(reason[keep]) & 0xC0) == 0x80) {
    --keep;
  }
  std::string frame(2, '\0');
  frame[0] = static_cast<char>(0x80 | static_cast<std::uint8_t>(Opcode::close));
  frame[1] = static_cast<char>(2 + keep);
  const auto c = static_cast<std::uint16_t>(code);
  frame.push_back(static_cast<char>(c >> 8));
  frame.push_back(static_cast<char>(c & 0xFF));
  frame.append(reason.substr(0, keep));
  return frame;
}

}  // namespace sudachi::websocket

// Socket.IO codec fuzz target. Decoding must never crash; a decoded packet must satisfy the
// shape guarantees the transport relies on, and encoding it must decode to the same packet.
#include <boost/json.hpp>

#include <cmath>
#include <limits>
#include <string>
#include <string_view>

#include "fuzz_support.hpp"
#include "protocol/socketio/packet.hpp"

namespace sudachi::fuzz {
namespace {

namespace json = boost::json;
namespace sio = socketio;

constexpr const char* kTarget = "socketio";

std::string_view view(const json::string& s) {
  return {s.data(), s.size()};
}

// Boost.JSON 1.81 parses some decimal numbers one unit in the last place away from the
// nearest double (its precise mode came in 1.83), while it prints the shortest text that reads
// back as the double it has. So a number may move by an ulp on each round trip: doubles are
// equal here when within a few ulps; everything else exactly.
bool same_json(const json::value& a, const json::value& b) {
  if (a.is_double() && b.is_double()) {
    const double x = a.get_double(), y = b.get_double();
    return x == y || std::fabs(x - y) <= 4 * std::numeric_limits<double>::epsilon() * std::fabs(x);
  }
  if (a.is_array() && b.is_array()) {
    const auto &xa = a.get_array(), &ya = b.get_array();
    if (xa.size() != ya.size()) return false;
    for (std::size_t i = 0; i < xa.size(); ++i) {
      if (!same_json(xa[i], ya[i])) return false;
    }
    return true;
  }
  if (a.is_object() && b.is_object()) {
    const auto &xo = a.get_object(), &yo = b.get_object();
    if (xo.size() != yo.size()) return false;
    for (const auto& [key, value] : xo) {
      const json::value* other = yo.if_contains(key);
      if (other == nullptr || !same_json(value, *other)) return false;
    }
    return true;
  }
  return a == b;
}

bool same_packet(const sio::Packet& a, const sio::Packet& b) {
  return a.type == b.type && a.nsp == b.nsp && a.id == b.id && same_json(a.data, b.data) &&
         a.attachments == b.attachments;
}

bool is_binary(sio::PacketType type) {
  return type == sio::PacketType::binary_event || type == sio::PacketType::binary_ack;
}

// What the rest of the server assumes about any packet decode() accepted.
void check_guarantees(const std::uint8_t* data, std::size_t size, const sio::Packet& packet,
                      const sio::DecodeLimits& limits) {
  SUDACHI_FUZZ_CHECK(!packet.nsp.empty() && packet.nsp.front() == '/');
  SUDACHI_FUZZ_CHECK(packet.nsp.size() <= limits.max_namespace_length || packet.nsp == "/");
  SUDACHI_FUZZ_CHECK(packet.nsp.find(',') == std::string::npos);
  SUDACHI_FUZZ_CHECK(packet.nsp.find('\x1e') == std::string::npos);
  SUDACHI_FUZZ_CHECK(is_binary(packet.type) || packet.attachments == 0);
  switch (packet.type) {
    case sio::PacketType::connect:
      SUDACHI_FUZZ_CHECK(packet.data.is_null() || packet.data.is_object());
      break;
    case sio::PacketType::disconnect:
      SUDACHI_FUZZ_CHECK(packet.data.is_null());
      break;
    case sio::PacketType::event:
    case sio::PacketType::binary_event:
      SUDACHI_FUZZ_CHECK(packet.data.is_array() && !packet.data.get_array().empty() &&
                         packet.data.get_array().front().is_string());
      break;
    case sio::PacketType::ack:
    case sio::PacketType::binary_ack:
      SUDACHI_FUZZ_CHECK(packet.data.is_array());
      break;
    case sio::PacketType::connect_error:
      SUDACHI_FUZZ_CHECK(packet.data.is_object());
      break;
  }
}

// decode(encode(p)) == p, and encoding is then stable.
void check_generic_round_trip(const std::uint8_t* data, std::size_t size, const sio::Packet& packet,
                              const sio::DecodeLimits& limits) {
  const std::string text = sio::encode(packet);
  sio::Packet again;
  SUDACHI_FUZZ_CHECK(sio::decode(text, again, limits) == sio::DecodeError::none);
  SUDACHI_FUZZ_CHECK(same_packet(packet, again));
  // Re-encoding what was decoded stays decodable and the same, give or take those ulps.
  const std::string again_text = sio::encode(again);
  sio::Packet third;
  SUDACHI_FUZZ_CHECK(sio::decode(again_text, third, limits) == sio::DecodeError::none);
  SUDACHI_FUZZ_CHECK(same_packet(again, third));
}

// The frame encoders the server uses, fed with what a client sent.
void check_frame_encoders(const std::uint8_t* data, std::size_t size, const sio::Packet& packet) {
  sio::Packet again;
  if (packet.type == sio::PacketType::event) {
    const json::array& args = packet.data.get_array();
    const std::string_view name = view(args.front().get_string());
    const json::value& arg = args.size() > 1 ? args[1] : json::value();
    const std::string frame = sio::encode_event_frame(name, arg);
    SUDACHI_FUZZ_CHECK(frame.rfind("42[", 0) == 0);
    SUDACHI_FUZZ_CHECK(sio::decode(std::string_view(frame).substr(1), again) ==
                       sio::DecodeError::none);
    const json::array& out = again.data.get_array();
    SUDACHI_FUZZ_CHECK(view(out.front().get_string()) == name);
    SUDACHI_FUZZ_CHECK(out.size() == (arg.is_null() ? 1U : 2U));
    SUDACHI_FUZZ_CHECK(arg.is_null() || same_json(out[1], arg));

    const std::string ack = sio::encode_ack_frame(packet.id.value_or(0), packet.data);
    SUDACHI_FUZZ_CHECK(sio::decode(std::string_view(ack).substr(1), again) ==
                       sio::DecodeError::none);
    SUDACHI_FUZZ_CHECK(again.type == sio::PacketType::ack && same_json(again.data, packet.data));
    SUDACHI_FUZZ_CHECK(again.id == packet.id.value_or(0));
  }
  if (packet.type == sio::PacketType::connect_error) {
    const json::object& body = packet.data.get_object();
    const json::value* message = body.if_contains("message");
    if (message != nullptr && message->is_string()) {
      const json::value* extra = body.if_contains("data");
      const json::value& extra_value = extra != nullptr ? *extra : json::value();
      const std::string frame =
          sio::encode_connect_error_frame(packet.nsp, view(message->get_string()), extra_value);
      SUDACHI_FUZZ_CHECK(sio::decode(std::string_view(frame).substr(1), again) ==
                         sio::DecodeError::none);
      SUDACHI_FUZZ_CHECK(again.type == sio::PacketType::connect_error);
      SUDACHI_FUZZ_CHECK(again.nsp == packet.nsp);
      SUDACHI_FUZZ_CHECK(again.data.get_object().at("message") == *message);
    }
  }
}

// Raw input as an event name and a sid: escaping must hold for any bytes. Invalid UTF-8 passes
// through the serializer unchanged and is then refused by the strict parser, which is fine;
// anything that does decode must carry the input back unchanged.
void check_escaping(const std::uint8_t* data, std::size_t size, std::string_view input) {
  sio::Packet again;
  const std::string frame = sio::encode_event_frame(input, nullptr);
  const sio::DecodeError error = sio::decode(std::string_view(frame).substr(1), again);
  SUDACHI_FUZZ_CHECK(error == sio::DecodeError::none || error == sio::DecodeError::bad_json ||
                     error == sio::DecodeError::bad_payload);  // a reserved name
  if (error == sio::DecodeError::none) {
    SUDACHI_FUZZ_CHECK(view(again.data.get_array().front().get_string()) == input);
  }
  const std::string connect = sio::encode_connect_frame(input);
  if (sio::decode(std::string_view(connect).substr(1), again) == sio::DecodeError::none) {
    SUDACHI_FUZZ_CHECK(view(again.data.get_object().at("sid").get_string()) == input);
  }
}

void check_with_limits(const std::uint8_t* data, std::size_t size, std::string_view input,
                       const sio::DecodeLimits& limits) {
  sio::Packet packet;
  const sio::DecodeError error = sio::decode(input, packet, limits);
  SUDACHI_FUZZ_CHECK((error == sio::DecodeError::empty) == input.empty());
  SUDACHI_FUZZ_CHECK(sio::to_string(error) != "unknown error");
  if (error != sio::DecodeError::none) {
    SUDACHI_FUZZ_CHECK(same_packet(packet, sio::Packet{}));
    return;
  }
  check_guarantees(data, size, packet, limits);
  check_generic_round_trip(data, size, packet, limits);
  check_frame_encoders(data, size, packet);
}

}  // namespace

int socketio_one_input(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  check_with_limits(data, size, input, sio::DecodeLimits{});
  sio::DecodeLimits tight;
  tight.max_json_depth = 3;
  tight.max_namespace_length = 6;
  check_with_limits(data, size, input, tight);
  check_escaping(data, size, input);
  return 0;
}

}  // namespace sudachi::fuzz

#ifndef SUDACHI_FUZZ_NO_ENTRY_POINT
extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  return sudachi::fuzz::socketio_one_input(data, size);
}
#endif

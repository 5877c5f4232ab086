// Engine.IO codec fuzz target. Decoding must never crash, and whatever decodes must encode
// back to exactly the same bytes (the codec accepts only canonical forms, base64 included).
#include <boost/json.hpp>

#include <algorithm>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_support.hpp"
#include "protocol/engineio/packet.hpp"

namespace sudachi::fuzz {
namespace {

namespace eio = engineio;

constexpr const char* kTarget = "engineio";
constexpr std::size_t kMaxPackets = 16;

std::string reencode(const eio::Packet& packet) {
  return packet.binary ? eio::encode_binary_packet(packet.data)
                       : eio::encode_packet(packet.type, packet.data);
}

void check_single_packet(const std::uint8_t* data, std::size_t size, std::string_view input) {
  eio::Packet packet;
  const eio::DecodeError error = eio::decode_packet(input, packet);
  SUDACHI_FUZZ_CHECK((error == eio::DecodeError::empty) == input.empty());
  SUDACHI_FUZZ_CHECK(error != eio::DecodeError::too_many);
  if (error != eio::DecodeError::none) {
    SUDACHI_FUZZ_CHECK(packet.data.empty() && !packet.binary);
    return;
  }
  SUDACHI_FUZZ_CHECK(packet.data.size() < input.size());
  SUDACHI_FUZZ_CHECK(!packet.binary || packet.type == eio::PacketType::message);
  SUDACHI_FUZZ_CHECK(reencode(packet) == input);
}

void check_payload(const std::uint8_t* data, std::size_t size, std::string_view input,
                   std::size_t max_packets) {
  std::vector<eio::Packet> packets;
  const eio::DecodeError error = eio::decode_payload(input, packets, max_packets);
  const auto segments =
      static_cast<std::size_t>(std::count(input.begin(), input.end(), '\x1e')) + 1;
  SUDACHI_FUZZ_CHECK((error == eio::DecodeError::too_many) == (segments > max_packets));
  if (error != eio::DecodeError::none) {
    SUDACHI_FUZZ_CHECK(packets.empty());
    return;
  }
  SUDACHI_FUZZ_CHECK(packets.size() == segments);
  std::size_t total = 0;
  std::vector<std::string> encoded;
  for (const auto& packet : packets) {
    total += packet.data.size();
    encoded.push_back(reencode(packet));
  }
  SUDACHI_FUZZ_CHECK(total <= input.size());
  const std::vector<std::string_view> views(encoded.begin(), encoded.end());
  SUDACHI_FUZZ_CHECK(eio::encode_payload(views) == input);
}

void check_encoders(const std::uint8_t* data, std::size_t size, std::string_view input) {
  // Any bytes survive base64, including separators and NULs.
  eio::Packet packet;
  SUDACHI_FUZZ_CHECK(eio::decode_packet(eio::encode_binary_packet(input), packet) ==
                     eio::DecodeError::none);
  SUDACHI_FUZZ_CHECK(packet.binary && packet.data == input);

  // The sid is escaped: when the OPEN JSON parses (it cannot if the input is not UTF-8), the
  // sid reads back unchanged and nothing else was injected.
  const std::string open = eio::encode_open(input, (size & 1) != 0, 25000, 20000, size);
  SUDACHI_FUZZ_CHECK(open.front() == '0');
  boost::system::error_code ec;
  const boost::json::value parsed = boost::json::parse(std::string_view(open).substr(1), ec);
  if (!ec) {
    const boost::json::object& object = parsed.as_object();
    SUDACHI_FUZZ_CHECK(object.size() == 5);
    SUDACHI_FUZZ_CHECK(object.at("sid").as_string() == input);
    SUDACHI_FUZZ_CHECK(object.at("maxPayload").to_number<std::uint64_t>() == size);
  }
}

}  // namespace

int engineio_one_input(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  check_single_packet(data, size, input);
  check_payload(data, size, input, kMaxPackets);
  check_payload(data, size, input, std::numeric_limits<std::size_t>::max());
  check_encoders(data, size, input);
  return 0;
}

}  // namespace sudachi::fuzz

#ifndef SUDACHI_FUZZ_NO_ENTRY_POINT
extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  return sudachi::fuzz::engineio_one_input(data, size);
}
#endif

#include "client/signaling/engineio_client.hpp"

#include <utility>

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include "protocol/engineio/packet.hpp"

namespace sudachi::client {
namespace json = boost::json;
using engineio::PacketType;

std::string_view to_string(EngineCloseReason reason) {
  switch (reason) {
    case EngineCloseReason::client_close:
      return "client close";
    case EngineCloseReason::server_close:
      return "server close";
    case EngineCloseReason::transport_close:
      return "transport close";
    case EngineCloseReason::ping_timeout:
      return "ping timeout";
    case EngineCloseReason::open_timeout:
      return "open timeout";
    case EngineCloseReason::protocol_error:
      return "protocol error";
  }
  return "unknown";
}

EngineIoClient::EngineIoClient(const Config& config, std::int64_t now_ms)
    : config_(config), deadline_ms_(now_ms + config.open_timeout_ms) {}

void EngineIoClient::on_text(std::string_view text, std::int64_t now_ms) {
  if (state_ == State::closed) return;
  engineio::Packet packet;
  if (engineio::decode_packet(text, packet) != engineio::DecodeError::none) {
    return fail("undecodable Engine.IO packet");
  }
  if (packet.binary) return fail("binary message");  // "b..." is a polling form, never on WS
  if (state_ == State::opening) {
    if (packet.type != PacketType::open) return fail("first packet is not OPEN");
    return on_open(packet.data, now_ms);
  }
  switch (packet.type) {
    case PacketType::ping:
      // The heartbeat: answer with the same data, and expect the next ping within one more
      // interval plus the grace the server allows us.
      effects_.frames.push_back(engineio::encode_packet(PacketType::pong, packet.data));
      deadline_ms_ = now_ms + handshake_.ping_interval_ms + handshake_.ping_timeout_ms;
      return;
    case PacketType::message:
      effects_.messages.push_back(std::move(packet.data));
      return;
    case PacketType::close:
      return end(EngineCloseReason::server_close);
    case PacketType::noop:
      return;
    case PacketType::open:
    case PacketType::pong:
    case PacketType::upgrade:
      return fail("unexpected packet type");
  }
}

void EngineIoClient::on_open(std::string_view text, std::int64_t now_ms) {
  boost::system::error_code ec;
  json::parse_options options;
  options.max_depth = 4;
  const json::value v = json::parse(text, ec, {}, options);
  const json::object* o = ec ? nullptr : v.if_object();
  if (o == nullptr) return fail("OPEN is not a JSON object");
  const json::value* sid = o->if_contains("sid");
  const json::value* interval = o->if_contains("pingInterval");
  const json::value* timeout = o->if_contains("pingTimeout");
  const json::value* max_payload = o->if_contains("maxPayload");
  auto in_range = [this](const json::value* n) {
    return n != nullptr && n->is_int64() && n->as_int64() >= config_.min_ping_ms &&
           n->as_int64() <= config_.max_ping_ms;
  };
  if (sid == nullptr || !sid->is_string() || sid->as_string().empty() ||
      sid->as_string().size() > 128)
    return fail("OPEN without a valid sid");
  if (!in_range(interval) || !in_range(timeout)) return fail("OPEN with bad ping timings");
  handshake_.sid = std::string(sid->as_string());
  handshake_.ping_interval_ms = static_cast<std::uint32_t>(interval->as_int64());
  handshake_.ping_timeout_ms = static_cast<std::uint32_t>(timeout->as_int64());
  // maxPayload is optional in practice (older servers); without it, assume the reference
  // default of 1 MB. A value below one small packet is nonsense.
  handshake_.max_payload = 1'000'000;
  if (max_payload != nullptr) {
    if (!max_payload->is_int64() || max_payload->as_int64() < 64) {
      return fail("OPEN with a bad maxPayload");
    }
    handshake_.max_payload = static_cast<std::uint64_t>(max_payload->as_int64());
  }
  state_ = State::open;
  deadline_ms_ = now_ms + handshake_.ping_interval_ms + handshake_.ping_timeout_ms;
  effects_.opened = true;
}

void EngineIoClient::on_binary(std::string_view, std::int64_t) {
  if (state_ != State::closed) fail("binary frame");
}

void EngineIoClient::on_transport_closed() {
  if (state_ != State::closed) end(EngineCloseReason::transport_close);
}

void EngineIoClient::on_timer(std::int64_t now_ms) {
  if (state_ == State::closed || now_ms < deadline_ms_) return;
  end(state_ == State::opening ? EngineCloseReason::open_timeout : EngineCloseReason::ping_timeout);
}

bool EngineIoClient::send_message(std::string_view text) {
  if (state_ != State::open) return false;
  if (text.size() + 1 > handshake_.max_payload) return false;
  effects_.frames.push_back(engineio::encode_packet(PacketType::message, text));
  return true;
}

void EngineIoClient::close() {
  if (state_ == State::closed) return;
  if (state_ == State::open) effects_.frames.push_back(engineio::encode_packet(PacketType::close));
  end(EngineCloseReason::client_close);
}

std::optional<std::int64_t> EngineIoClient::next_deadline() const {
  if (state_ == State::closed) return std::nullopt;
  return deadline_ms_;
}

void EngineIoClient::take_effects(Effects& out) {
  out = std::move(effects_);
  effects_ = Effects{};
}

void EngineIoClient::fail(std::string why) {
  protocol_error_ = std::move(why);
  end(EngineCloseReason::protocol_error);
}

void EngineIoClient::end(EngineCloseReason reason) {
  state_ = State::closed;
  effects_.closed = reason;
}

}  // namespace sudachi::client

#include "client/signaling/socketio_client.hpp"

#include <utility>

#include <boost/json.hpp>

#include "protocol/socketio/packet.hpp"

namespace sudachi::client {
namespace json = boost::json;
using socketio::PacketType;

SocketIoClient::SocketIoClient(std::uint32_t connect_timeout_ms)
    : connect_timeout_ms_(connect_timeout_ms) {}

void SocketIoClient::start(const json::value& auth, std::int64_t now_ms) {
  if (state_ != State::idle) return;
  socketio::Packet connect;
  connect.type = PacketType::connect;
  connect.data = auth;
  effects_.frames.push_back(socketio::encode(connect));
  state_ = State::connecting;
  connect_deadline_ms_ = now_ms + connect_timeout_ms_;
}

void SocketIoClient::on_message(std::string_view text, std::int64_t) {
  if (state_ == State::closed || state_ == State::idle) return;
  socketio::Packet packet;
  const auto error = socketio::decode(text, packet);
  if (error != socketio::DecodeError::none) {
    return fail("undecodable Socket.IO packet: " + std::string(socketio::to_string(error)));
  }
  if (packet.nsp != "/") return fail("packet for another namespace");
  switch (packet.type) {
    case PacketType::connect: {
      if (state_ != State::connecting) return fail("unexpected CONNECT");
      const json::object* o = packet.data.if_object();
      const json::value* sid = o != nullptr ? o->if_contains("sid") : nullptr;
      if (sid == nullptr || !sid->is_string()) return fail("CONNECT without a sid");
      sid_ = std::string(sid->as_string());
      state_ = State::connected;
      effects_.connected = true;
      return;
    }
    case PacketType::connect_error:
      if (state_ != State::connecting) return fail("unexpected CONNECT_ERROR");
      state_ = State::closed;
      effects_.ended = true;
      effects_.connect_error = std::move(packet.data);
      return;
    case PacketType::disconnect:
      state_ = State::closed;
      effects_.ended = true;
      effects_.server_disconnect = true;
      fail_pending();
      return;
    case PacketType::event: {
      if (state_ != State::connected) return fail("EVENT before CONNECT");
      // decode guarantees a non-empty array starting with a string. The server never asks us
      // for acks; an id on its event is ignored rather than answered.
      json::array& args = packet.data.as_array();
      ServerEvent event;
      event.name = std::string(args[0].as_string());
      if (args.size() > 1) event.payload = std::move(args[1]);
      effects_.events.push_back(std::move(event));
      return;
    }
    case PacketType::ack: {
      if (state_ != State::connected || !packet.id) return fail("unexpected ACK");
      const auto it = pending_.find(*packet.id);
      // An ack whose call already timed out is late, not hostile: drop it. Ids never issued
      // are a protocol error.
      if (it == pending_.end()) {
        if (*packet.id >= next_id_) return fail("ACK for an id never sent");
        return;
      }
      pending_.erase(it);
      json::array& args = packet.data.as_array();
      AckResult result;
      result.id = *packet.id;
      result.payload = args.empty() ? json::value() : std::move(args[0]);
      effects_.acks.push_back(std::move(result));
      return;
    }
    case PacketType::binary_event:
    case PacketType::binary_ack:
      return fail("binary packet");
  }
}

void SocketIoClient::on_timer(std::int64_t now_ms) {
  if (state_ == State::connecting && now_ms >= connect_deadline_ms_) {
    state_ = State::closed;
    effects_.ended = true;
    effects_.connect_timeout = true;
    return;
  }
  for (auto it = pending_.begin(); it != pending_.end();) {
    if (now_ms < it->second) {
      ++it;
      continue;
    }
    AckResult result;
    result.id = it->first;
    result.timed_out = true;
    effects_.acks.push_back(std::move(result));
    it = pending_.erase(it);
  }
}

void SocketIoClient::on_closed() {
  if (state_ != State::closed) {
    state_ = State::closed;
    effects_.ended = true;
  }
  fail_pending();
}

std::optional<std::uint64_t> SocketIoClient::emit(std::string_view name, const json::value& payload,
                                                  std::int64_t now_ms, std::uint32_t timeout_ms) {
  if (state_ != State::connected) return std::nullopt;
  socketio::Packet packet;
  packet.type = PacketType::event;
  packet.id = next_id_++;
  json::array args;
  args.emplace_back(json::string(name));
  if (!payload.is_null()) args.push_back(payload);
  packet.data = std::move(args);
  effects_.frames.push_back(socketio::encode(packet));
  pending_.emplace(*packet.id, now_ms + timeout_ms);
  return packet.id;
}

void SocketIoClient::disconnect() {
  if (state_ == State::closed) return;
  if (state_ == State::connected || state_ == State::connecting) {
    socketio::Packet packet;
    packet.type = PacketType::disconnect;
    effects_.frames.push_back(socketio::encode(packet));
  }
  state_ = State::closed;
  effects_.ended = true;
  fail_pending();
}

std::optional<std::int64_t> SocketIoClient::next_deadline() const {
  std::optional<std::int64_t> next;
  if (state_ == State::connecting) next = connect_deadline_ms_;
  for (const auto& [id, deadline] : pending_) {
    if (!next || deadline < *next) next = deadline;
  }
  return next;
}

void SocketIoClient::take_effects(Effects& out) {
  out = std::move(effects_);
  effects_ = Effects{};
}

void SocketIoClient::fail(std::string why) {
  state_ = State::closed;
  effects_.ended = true;
  effects_.protocol_error = std::move(why);
  fail_pending();
}

void SocketIoClient::fail_pending() {
  for (const auto& [id, deadline] : pending_) {
    AckResult result;
    result.id = id;
    effects_.acks.push_back(std::move(result));
  }
  pending_.clear();
}

}  // namespace sudachi::client

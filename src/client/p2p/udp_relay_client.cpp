#include "client/p2p/udp_relay_client.hpp"

#include <algorithm>
#include <cstring>

namespace sudachi::client::p2p {

namespace wire = relay::wire;

UdpRelayClient::UdpRelayClient(std::string token, std::uint16_t main_port, Config config,
                               Host& host)
    : token_(std::move(token)), main_port_(main_port), config_(config), host_(host) {}

void UdpRelayClient::write_data_header(std::span<std::uint8_t, kDataHeaderSize> out) {
  out[0] = static_cast<std::uint8_t>(wire::Type::data);
  out[1] = out[2] = out[3] = 0;
}

void UdpRelayClient::start(std::int64_t now_ms) {
  begin_handshake(State::handshaking, main_port_, now_ms);
}

void UdpRelayClient::begin_handshake(State state, std::uint16_t port, std::int64_t now_ms) {
  state_ = state;
  hello_port_ = port;
  cookie_ = 0;
  cookie_rounds_ = 0;
  handshake_started_ms_ = now_ms;
  retransmit_ms_ = config_.first_retransmit_ms;
  send_hello(now_ms);
}

void UdpRelayClient::send_hello(std::int64_t now_ms) {
  const std::uint64_t rebind = state_ == State::rebinding ? rebind_key_ : 0;
  const std::size_t n = wire::encode_udp_hello(buffer_, token_, rebind, cookie_);
  if (n == 0) {
    fail("relay token too long", false);
    return;
  }
  host_.relay_send(hello_port_, {buffer_, n});
  next_hello_ms_ = now_ms + retransmit_ms_;
}

void UdpRelayClient::rebind(std::int64_t now_ms) {
  if (state_ == State::bound) begin_handshake(State::rebinding, data_port_, now_ms);
}

void UdpRelayClient::fail(std::string_view reason, bool use_tcp) {
  if (state_ == State::done) return;
  state_ = State::done;
  host_.relay_failed(reason, use_tcp);
}

void UdpRelayClient::on_datagram(std::uint16_t from_port, std::span<const std::uint8_t> b,
                                 std::int64_t now_ms) {
  if (state_ == State::done || b.empty() || !wire::is_relay_type(b[0])) return;
  switch (static_cast<wire::Type>(b[0])) {
    case wire::Type::hello_reply: {
      wire::HelloReply reply;
      if (wire::parse_hello_reply(b, reply)) on_reply(from_port, reply, now_ms);
      return;
    }
    case wire::Type::data:
      // Only from the bound data port: a datagram from another relay port is not our session.
      if (state_ == State::handshaking || from_port != data_port_) return;
      if (b.size() < wire::kHeaderSize) return;
      host_.relay_data(b.subspan(wire::kHeaderSize));
      return;
    case wire::Type::keepalive_ack:
      if (from_port != data_port_ || b.size() != 12 || !keepalive_outstanding_) return;
      if (wire::get_u64(&b[4]) != keepalive_nonce_) return;
      keepalive_outstanding_ = false;
      keepalive_misses_ = 0;
      keepalive_rtt_ms_ = now_ms - keepalive_sent_ms_;
      return;
    case wire::Type::event: {
      wire::Event event{};
      std::uint8_t reason = 0;
      if (from_port != data_port_ || !wire::parse_event(b, event, reason)) return;
      if (event == wire::Event::peer_joined) {
        if (!peer_bound_) {
          peer_bound_ = true;
          host_.relay_peer_joined();
        }
      } else {
        fail("relay session closed (reason " + std::to_string(reason) + ")", false);
      }
      return;
    }
    default:
      return;  // HELLO, KEEPALIVE, BYE are never sent to a client; unknown types: dropped
  }
}

void UdpRelayClient::on_reply(std::uint16_t from_port, const wire::HelloReply& r,
                              std::int64_t now_ms) {
  if (state_ == State::bound && r.status == wire::Status::ok) return;  // a late duplicate
  if (state_ != State::handshaking && state_ != State::rebinding) return;
  // Replies only count from the port the HELLO went to (or, on REDIRECT, the main port).
  if (from_port != hello_port_) return;
  any_reply_ = true;
  switch (r.status) {
    case wire::Status::ok: {
      const bool was_rebinding = state_ == State::rebinding;
      state_ = State::bound;
      data_port_ = r.data_port != 0 ? r.data_port : from_port;
      rebind_key_ = r.rebind_key;
      if (r.idle_timeout_s > 0) {
        config_.keepalive_interval_ms =
            std::min(config_.keepalive_interval_ms, r.idle_timeout_s * 1000 / 4);
      }
      config_.keepalive_interval_ms = std::max(config_.keepalive_interval_ms, 250);
      keepalive_misses_ = 0;
      keepalive_outstanding_ = false;
      next_keepalive_ms_ = now_ms + config_.keepalive_interval_ms;
      const bool newly_joined = r.peer_bound && !peer_bound_;
      peer_bound_ = peer_bound_ || r.peer_bound;
      if (!was_rebinding || newly_joined) host_.relay_bound(peer_bound_);
      return;
    }
    case wire::Status::redirect:
      if (r.data_port == 0 || hello_port_ != main_port_) {
        fail("relay sent a bad REDIRECT", false);
        return;
      }
      hello_port_ = r.data_port;
      cookie_ = 0;
      retransmit_ms_ = config_.first_retransmit_ms;
      send_hello(now_ms);
      return;
    case wire::Status::cookie:
      // Bounded: a relay that keeps asking for cookies is broken, not slow.
      if (++cookie_rounds_ > 4 || r.rebind_key == 0) {
        fail("relay cookie exchange did not converge", false);
        return;
      }
      cookie_ = r.rebind_key;
      retransmit_ms_ = config_.first_retransmit_ms;
      send_hello(now_ms);
      return;
    case wire::Status::over_capacity:
    case wire::Status::rate_limited: {
      const std::int64_t retry_at = now_ms + std::max<std::int64_t>(r.retry_after_s, 1) * 1000;
      if (retry_at - handshake_started_ms_ > config_.handshake_timeout_ms) {
        fail(std::string("relay refused: ") + std::string(wire::to_string(r.status)), false);
        return;
      }
      next_hello_ms_ = retry_at;
      return;
    }
    case wire::Status::protocol_mismatch:
      fail("relay session runs over TCP", true);
      return;
    default:
      fail(std::string("relay refused: ") + std::string(wire::to_string(r.status)), false);
      return;
  }
}

std::int64_t UdpRelayClient::tick(std::int64_t now_ms) {
  if (state_ == State::done) return now_ms + 60'000;
  if (state_ == State::handshaking || state_ == State::rebinding) {
    const std::int64_t elapsed = now_ms - handshake_started_ms_;
    if (state_ == State::handshaking && !any_reply_ && elapsed >= config_.silence_to_tcp_ms) {
      fail("relay did not answer over UDP", true);
      return now_ms + 60'000;
    }
    if (elapsed >= config_.handshake_timeout_ms) {
      fail(state_ == State::rebinding ? "relay re-bind timed out" : "relay handshake timed out",
           false);
      return now_ms + 60'000;
    }
    if (now_ms >= next_hello_ms_) {
      retransmit_ms_ = std::min(retransmit_ms_ * 2, config_.max_retransmit_ms);
      send_hello(now_ms);
    }
    std::int64_t next = next_hello_ms_;
    if (state_ == State::handshaking && !any_reply_) {
      next = std::min(next, handshake_started_ms_ + config_.silence_to_tcp_ms);
    }
    return std::min(next, handshake_started_ms_ + config_.handshake_timeout_ms);
  }
  // Bound: one keepalive per interval; a run of unanswered ones means our NAT mapping (or the
  // network) changed under us, so re-bind from wherever we are now.
  if (now_ms >= next_keepalive_ms_) {
    if (keepalive_outstanding_ && ++keepalive_misses_ >= config_.keepalive_misses_before_rebind) {
      rebind(now_ms);
      return next_hello_ms_;
    }
    std::uint8_t ka[12] = {static_cast<std::uint8_t>(wire::Type::keepalive), 0, 0, 0};
    wire::put_u64(ka + 4, ++keepalive_nonce_);
    keepalive_outstanding_ = true;
    keepalive_sent_ms_ = now_ms;
    host_.relay_send(data_port_, ka);
    next_keepalive_ms_ = now_ms + config_.keepalive_interval_ms;
  }
  return next_keepalive_ms_;
}

bool UdpRelayClient::send_data(std::span<const std::uint8_t> payload) {
  if (state_ != State::bound && state_ != State::rebinding) return false;
  if (payload.size() > wire::kMaxDatagram - wire::kHeaderSize) return false;
  write_data_header(std::span<std::uint8_t, kDataHeaderSize>(buffer_, kDataHeaderSize));
  std::memcpy(buffer_ + kDataHeaderSize, payload.data(), payload.size());
  host_.relay_send(data_port_, {buffer_, kDataHeaderSize + payload.size()});
  return true;
}

void UdpRelayClient::close() {
  if (state_ == State::bound || state_ == State::rebinding) {
    const std::uint8_t bye[4] = {static_cast<std::uint8_t>(wire::Type::bye), 0, 0, 0};
    host_.relay_send(data_port_, bye);
  }
  state_ = State::done;
}

}  // namespace sudachi::client::p2p

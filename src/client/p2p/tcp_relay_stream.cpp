#include "client/p2p/tcp_relay_stream.hpp"

#include <algorithm>
#include <cstring>

namespace sudachi::client::p2p {

namespace wire = relay::wire;

void TcpRelayReader::fail(std::string_view reason, bool use_udp) {
  if (state_ == State::failed) return;
  state_ = State::failed;
  host_.tcp_relay_failed(reason, use_udp);
}

void TcpRelayReader::feed(std::span<const std::uint8_t> bytes) {
  while (!bytes.empty() && state_ != State::failed) {
    switch (state_) {
      case State::reply: {
        const std::size_t n = std::min(bytes.size(), reply_.size() - have_);
        std::memcpy(reply_.data() + have_, bytes.data(), n);
        have_ += n;
        bytes = bytes.subspan(n);
        if (have_ < reply_.size()) return;
        have_ = 0;
        wire::HelloReply reply;
        if (!wire::parse_hello_reply(reply_, reply)) {
          fail("relay sent a malformed HELLO_REPLY", false);
          return;
        }
        if (reply.status != wire::Status::ok) {
          fail(std::string("relay refused: ") + std::string(wire::to_string(reply.status)),
               reply.status == wire::Status::protocol_mismatch);
          return;
        }
        state_ = State::marker;
        host_.tcp_relay_bound();
        break;
      }
      case State::marker: {
        const std::uint8_t marker = bytes[0];
        bytes = bytes.subspan(1);
        if (marker == static_cast<std::uint8_t>(wire::TcpMarker::paired)) {
          state_ = State::paired;
          host_.tcp_relay_paired();
        } else if (marker == static_cast<std::uint8_t>(wire::TcpMarker::pairing_timeout)) {
          fail("the peer never reached the relay (pairing timeout)", false);
        } else if (marker == static_cast<std::uint8_t>(wire::TcpMarker::draining)) {
          fail("relay is draining", false);
        } else {
          fail("relay sent an unknown marker", false);
        }
        break;
      }
      case State::paired: {
        // Length first, then exactly that many bytes; a frame is delivered whole.
        if (have_ < kTcpLengthSize) {
          const std::size_t n = std::min(bytes.size(), kTcpLengthSize - have_);
          std::memcpy(frame_.data() + have_, bytes.data(), n);
          have_ += n;
          bytes = bytes.subspan(n);
          if (have_ < kTcpLengthSize) return;
          const std::size_t length = wire::get_u16(frame_.data());
          if (length == 0 || length > kMaxTcpFrame) {
            fail("peer sent a bad frame length on the TCP relay", false);
            return;
          }
        }
        const std::size_t length = wire::get_u16(frame_.data());
        const std::size_t want = kTcpLengthSize + length - have_;
        const std::size_t n = std::min(bytes.size(), want);
        std::memcpy(frame_.data() + have_, bytes.data(), n);
        have_ += n;
        bytes = bytes.subspan(n);
        if (have_ == kTcpLengthSize + length) {
          have_ = 0;
          host_.tcp_relay_frame({frame_.data() + kTcpLengthSize, length});
        }
        break;
      }
      case State::failed:
        return;
    }
  }
}

std::size_t encode_tcp_relay_hello(std::span<std::uint8_t> out, std::string_view token) {
  return wire::encode_tcp_hello(out, token);
}

bool write_tcp_frame_length(std::span<std::uint8_t, kTcpLengthSize> out, std::size_t size) {
  if (size == 0 || size > kMaxTcpFrame) return false;
  wire::put_u16(out.data(), static_cast<std::uint16_t>(size));
  return true;
}

}  // namespace sudachi::client::p2p

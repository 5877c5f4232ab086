#include "transport/ws_connection.hpp"

#include <algorithm>
#include <array>
#include <cstring>

#include <boost/asio/buffer.hpp>
#include <boost/asio/write.hpp>

#include <spdlog/spdlog.h>

#include "transport/engine_session.hpp"
#include "transport/session_context.hpp"

namespace sudachi::transport {
namespace asio = boost::asio;
namespace ws = websocket;
using engineio::CloseReason;
using engineio::Frame;

namespace {

// One read buffer per event loop, shared by its connections: a connection's bytes are parsed
// (and every view into them consumed) before the loop runs another handler, so an idle
// connection needs no buffer of its own.
constexpr std::size_t kScratchSize = 64 * 1024;
std::uint8_t* scratch() {
  thread_local std::unique_ptr<std::uint8_t[]> buffer(new std::uint8_t[kScratchSize]);
  return buffer.get();
}

// Reads per readiness notification before yielding to other connections.
constexpr int kReadsPerWakeup = 4;

}  // namespace

WsConnection::WsConnection(asio::ip::tcp::socket socket, SessionContext& ctx,
                           ConnectionTracker::Ticket ticket)
    : socket_(std::move(socket)),
      ctx_(ctx),
      ticket_(std::move(ticket)),
      parser_(ctx.config.max_payload) {
  ctx_.live_websockets.fetch_add(1);
  boost::system::error_code ignored;
  socket_.non_blocking(true, ignored);
}

WsConnection::~WsConnection() {
  ctx_.live_websockets.fetch_sub(1);
}

void WsConnection::start(std::string handshake_response, std::string leftover,
                         std::shared_ptr<EngineSession> session, engineio::Link role) {
  session_ = std::move(session);
  role_ = role;
  raw_out_ = std::move(handshake_response);
  start_write();
  if (!leftover.empty()) {
    // A client may send its first frames right behind the handshake request.
    keep_leftover(reinterpret_cast<const std::uint8_t*>(leftover.data()), leftover.size());
    const std::size_t used = process(partial_.data(), partial_.size());
    partial_.erase(partial_.begin(), partial_.begin() + static_cast<std::ptrdiff_t>(used));
  }
  do_read();
}

void WsConnection::refuse(std::string response) {
  refusing_ = true;
  state_ = State::closing;
  raw_out_ = std::move(response);
  arm_close_timer();
  start_write();
}

// ------------------------------------------------------------------ reading

void WsConnection::do_read() {
  if (reading_ || state_ == State::closed) return;
  reading_ = true;
  socket_.async_wait(asio::socket_base::wait_read,
                     [self = shared_from_this()](const boost::system::error_code& ec) {
                       self->reading_ = false;
                       self->on_readable(ec);
                     });
}

void WsConnection::on_readable(const boost::system::error_code& ec) {
  if (state_ == State::closed) return;
  if (ec) {
    detach(CloseReason::transport_close);
    shut();
    return;
  }
  for (int i = 0; i < kReadsPerWakeup && state_ != State::closed; ++i) {
    // A frame in pieces is completed in its own buffer, sized once from its header; anything
    // else is read into the loop's scratch buffer and parsed in place.
    const bool own = !partial_.empty();
    std::uint8_t* buf;
    std::size_t room;
    std::size_t old_size = 0;
    if (own) {
      old_size = partial_.size();
      // Grown by what arrives, not by what the header claims: a peer announcing a 1 MB
      // frame and sending it slowly must not make every connection hold 1 MB up front.
      const std::size_t want =
          std::clamp<std::size_t>(parser_.bytes_wanted(partial_), 4096, kScratchSize);
      partial_.resize(old_size + want);
      buf = partial_.data() + old_size;
      room = want;
    } else {
      buf = scratch();
      room = kScratchSize;
    }
    boost::system::error_code rec;
    const std::size_t n = socket_.read_some(asio::buffer(buf, room), rec);
    if (own) partial_.resize(old_size + n);
    if (rec == asio::error::would_block || rec == asio::error::try_again) break;
    if (rec) {
      // EOF or reset: the peer is gone. A closing connection has finished its handshake.
      detach(CloseReason::transport_close);
      shut();
      return;
    }
    if (state_ == State::closing) {
      if (own) partial_.clear();
      continue;  // draining what the peer still sends, so that closing does not reset
    }
    if (own) {
      const std::size_t used = process(partial_.data(), partial_.size());
      partial_.erase(partial_.begin(), partial_.begin() + static_cast<std::ptrdiff_t>(used));
      if (partial_.empty()) std::vector<std::uint8_t>().swap(partial_);  // give it back
    } else {
      const std::size_t used = process(buf, n);
      if (used < n && state_ == State::open) keep_leftover(buf + used, n - used);
    }
    if (n < room) break;  // the socket is drained
  }
  do_read();
}

void WsConnection::keep_leftover(const std::uint8_t* data, std::size_t size) {
  partial_.insert(partial_.end(), data, data + size);
}

std::size_t WsConnection::process(std::uint8_t* data, std::size_t size) {
  std::size_t offset = 0;
  while (offset < size && state_ == State::open) {
    std::size_t consumed = 0;
    const ws::ParseEvent e = parser_.next({data + offset, size - offset}, consumed);
    offset += consumed;
    switch (e.kind) {
      case ws::ParseEvent::Kind::need_more:
        return offset;
      case ws::ParseEvent::Kind::message:
        on_message(e.opcode, e.payload);
        break;
      case ws::ParseEvent::Kind::ping:
        // Only the latest ping needs its pong (RFC 6455 §5.5.3): a ping flood queues one frame.
        pong_.resize(ws::kMaxHeaderSize);
        pong_.resize(ws::encode_header(
            ws::Opcode::pong, e.payload.size(),
            std::span<std::uint8_t, ws::kMaxHeaderSize>(
                reinterpret_cast<std::uint8_t*>(pong_.data()), ws::kMaxHeaderSize)));
        pong_.append(e.payload);
        if (!writing_) start_write();
        break;
      case ws::ParseEvent::Kind::pong:
        break;
      case ws::ParseEvent::Kind::close:
        on_peer_close(e.close_code);
        break;
      case ws::ParseEvent::Kind::error:
        on_violation(e.close_code, e.reason);
        break;
    }
  }
  return offset;
}

void WsConnection::on_message(ws::Opcode opcode, std::string_view payload) {
  if (!session_) return;
  session_->on_ws_message(this, opcode == ws::Opcode::binary, payload);
}

void WsConnection::on_peer_close(ws::CloseCode code) {
  detach(CloseReason::transport_close);
  // Echo the code (RFC 6455 §5.5.1); a close without one is answered with 1000.
  close(code == ws::CloseCode::no_status ? ws::CloseCode::normal : code, {}, false);
}

void WsConnection::on_violation(ws::CloseCode code, const char* reason) {
  ctx_.metrics.protocol_errors.inc();
  if (code == ws::CloseCode::message_too_big) ctx_.metrics.refused(Refusal::payload_too_large);
  spdlog::debug("websocket closed with {}: {}", static_cast<int>(code), reason);
  detach(code == ws::CloseCode::message_too_big ? CloseReason::payload_too_large
                                                : CloseReason::transport_error);
  close(code, {}, false);
}

// Tells the session that this connection is gone for it, once.
void WsConnection::detach(CloseReason why) {
  if (auto session = std::move(session_)) session->on_ws_closed(this, why);
}

// ------------------------------------------------------------------ writing

void WsConnection::kick() {
  if (!writing_ && state_ != State::closed) start_write();
}

void WsConnection::write_frames(std::vector<Frame> frames) {
  if (state_ != State::open) return;
  direct_.insert(direct_.end(), std::make_move_iterator(frames.begin()),
                 std::make_move_iterator(frames.end()));
  kick();
}

void WsConnection::close(ws::CloseCode code, std::vector<Frame> final_frames, bool abort) {
  if (state_ != State::open) return;
  session_.reset();  // whoever closes, the session is done with this connection
  if (abort) {
    shut();
    return;
  }
  state_ = State::closing;
  final_ = std::move(final_frames);
  close_code_ = code;
  close_queued_ = true;
  arm_close_timer();
  kick();
}

void WsConnection::start_write() {
  if (writing_ || state_ == State::closed) return;
  batch_.clear();
  batch_raw_.clear();
  batch_control_.clear();
  if (!raw_out_.empty()) batch_raw_.swap(raw_out_);
  if (!pong_.empty() && !close_sent_) batch_control_.swap(pong_);
  if (state_ == State::open) {
    batch_.swap(direct_);
    if (session_ && role_ == engineio::Link::primary) session_->take_ws_frames(this, batch_);
  } else if (!final_.empty()) {
    batch_.swap(final_);
  }
  const bool send_close = close_queued_ && !close_sent_ && batch_.empty() && final_.empty();
  if (send_close) {
    batch_control_.append(ws::encode_close(close_code_));
    close_sent_ = true;
  }
  if (batch_raw_.empty() && batch_control_.empty() && batch_.empty()) return;

  headers_.resize(batch_.size() * ws::kMaxHeaderSize);
  std::vector<asio::const_buffer>& buffers = iov_;
  buffers.clear();
  if (!batch_raw_.empty()) buffers.emplace_back(asio::buffer(batch_raw_));
  for (std::size_t i = 0; i < batch_.size(); ++i) {
    std::uint8_t* h = headers_.data() + i * ws::kMaxHeaderSize;
    const std::size_t n =
        ws::encode_header(ws::Opcode::text, batch_[i]->size(),
                          std::span<std::uint8_t, ws::kMaxHeaderSize>(h, ws::kMaxHeaderSize));
    buffers.emplace_back(h, n);
    buffers.emplace_back(asio::buffer(*batch_[i]));
  }
  ctx_.metrics.frames_out.inc(static_cast<double>(batch_.size()));
  if (!batch_control_.empty()) buffers.emplace_back(asio::buffer(batch_control_));
  writing_ = true;
  asio::async_write(socket_, buffers,
                    [self = shared_from_this()](const boost::system::error_code& ec, std::size_t) {
                      self->on_written(ec);
                    });
}

void WsConnection::on_written(const boost::system::error_code& ec) {
  writing_ = false;
  batch_.clear();
  if (state_ == State::closed) return;
  if (ec) {
    detach(CloseReason::transport_close);
    shut();
    return;
  }
  if (refusing_) {
    shut();
    return;
  }
  if (close_sent_) {
    // Our close frame is out. The server closes the TCP connection first (RFC 6455 §7.1.1);
    // half-closing lets the peer's close frame and any bytes in flight still arrive, so that
    // the close does not turn into a reset.
    boost::system::error_code ignored;
    socket_.shutdown(asio::ip::tcp::socket::shutdown_send, ignored);
    do_read();
    return;
  }
  start_write();
}

void WsConnection::arm_close_timer() {
  if (close_timer_) return;
  close_timer_ = std::make_unique<asio::steady_timer>(socket_.get_executor());
  close_timer_->expires_after(std::chrono::milliseconds(ctx_.config.ws_close_timeout_ms));
  close_timer_->async_wait([weak = weak_from_this()](const boost::system::error_code& ec) {
    if (auto self = weak.lock(); self && !ec) self->shut();
  });
}

void WsConnection::shut() {
  if (state_ == State::closed) return;
  state_ = State::closed;
  session_.reset();
  boost::system::error_code ignored;
  socket_.close(ignored);  // cancels the pending wait and write; their handlers see aborted
  if (close_timer_) close_timer_->cancel();
  std::vector<std::uint8_t>().swap(partial_);
}

}  // namespace sudachi::transport

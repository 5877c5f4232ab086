#include "transport/websocket_session.hpp"

#include <boost/asio/post.hpp>
#include <boost/beast/websocket.hpp>

#include <spdlog/spdlog.h>

#include "common/random_id.hpp"
#include "transport/session_context.hpp"

namespace sudachi::transport {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;

WebSocketSession::WebSocketSession(asio::ip::tcp::socket socket, EngineSession::Executor executor,
                                   SessionContext& ctx, std::string remote_ip)
    : ws_(std::move(socket)), executor_(executor), ctx_(ctx), remote_ip_(std::move(remote_ip)) {
  ctx_.live_websockets.fetch_add(1);
}

WebSocketSession::~WebSocketSession() {
  ctx_.live_websockets.fetch_sub(1);
}

void WebSocketSession::run(Request request, std::shared_ptr<EngineSession> upgrading) {
  engine_ = std::move(upgrading);
  request_ = std::move(request);
  ws_.set_option(websocket::stream_base::timeout::suggested(beast::role_type::server));
  ws_.read_message_max(ctx_.config.max_payload);
  ws_.async_accept(
      request_, [self = shared_from_this()](boost::system::error_code ec) { self->on_accept(ec); });
}

void WebSocketSession::on_accept(boost::system::error_code ec) {
  request_ = {};
  if (ec) {
    SPDLOG_DEBUG("websocket accept from {} failed: {}", remote_ip_, ec.message());
    engine_.reset();
    return;
  }
  if (engine_) {
    if (!engine_->begin_upgrade(shared_from_this())) {
      engine_.reset();
      closing_ = true;
      do_close();
      return;
    }
  } else {
    engine_ = std::make_shared<EngineSession>(executor_, random_token(15), remote_ip_,
                                              EngineSession::Transport::websocket, ctx_);
    ctx_.registry.add(engine_->sid(), engine_);
    engine_->start(shared_from_this());
  }
  do_read();
}

void WebSocketSession::do_read() {
  ws_.async_read(buffer_, [self = shared_from_this()](boost::system::error_code ec, std::size_t n) {
    self->on_read(ec, n);
  });
}

void WebSocketSession::on_read(boost::system::error_code ec, std::size_t) {
  if (ec) {
    // Closed by the peer, timed out, or a frame over read_message_max (maxPayload).
    if (ec == websocket::error::message_too_big)
      ctx_.metrics.refused.with({"payload_too_large"}).inc();
    detach();
    return;
  }
  if (engine_) {
    const auto data = buffer_.cdata();
    std::string_view text(static_cast<const char*>(data.data()), data.size());
    if (ws_.got_text()) {
      engine_->handle_ws_text(this, text);
    } else {
      engine_->handle_ws_binary(this);
    }
  }
  buffer_.consume(buffer_.size());
  if (!engine_ || closing_) return;
  do_read();
}

void WebSocketSession::send(room::SharedFrame frame) {
  if (closing_) return;
  queued_bytes_ += frame->size();
  queue_.push_back(std::move(frame));
  if (queue_.size() > ctx_.config.max_queued_frames ||
      queued_bytes_ > ctx_.config.max_queued_bytes) {
    // The peer does not read: give up on it instead of buffering without bound.
    queue_.clear();
    queued_bytes_ = 0;
    auto engine = engine_;
    if (engine) engine->close("slow consumer");
    return;
  }
  if (!writing_) do_write();
}

void WebSocketSession::do_write() {
  if (queue_.empty()) {
    writing_ = false;
    if (closing_) do_close();
    return;
  }
  writing_ = true;
  ws_.text(true);
  ws_.async_write(asio::buffer(*queue_.front()),
                  [self = shared_from_this()](boost::system::error_code ec, std::size_t n) {
                    self->on_write(ec, n);
                  });
}

void WebSocketSession::on_write(boost::system::error_code ec, std::size_t) {
  if (ec) {
    writing_ = false;
    queue_.clear();
    queued_bytes_ = 0;
    detach();
    return;
  }
  queued_bytes_ -= queue_.front()->size();
  queue_.pop_front();
  do_write();
}

void WebSocketSession::close() {
  if (closing_) return;
  closing_ = true;
  engine_.reset();  // the session is the one closing us: no need to tell it
  if (!writing_) do_close();
}

void WebSocketSession::do_close() {
  if (close_sent_) return;
  close_sent_ = true;
  ws_.async_close(websocket::close_code::going_away,
                  [self = shared_from_this()](boost::system::error_code) {
                    beast::error_code ignored;
                    beast::get_lowest_layer(self->ws_).socket().shutdown(
                        asio::ip::tcp::socket::shutdown_both, ignored);
                  });
}

void WebSocketSession::detach() {
  closing_ = true;
  if (auto engine = std::move(engine_)) engine->handle_ws_closed(this);
}

}  // namespace sudachi::transport

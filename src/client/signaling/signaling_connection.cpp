#include "client/signaling/signaling_connection.hpp"

#include <utility>

#include <boost/json.hpp>

namespace sudachi::client {
namespace json = boost::json;
using Clock = std::chrono::steady_clock;

std::shared_ptr<SignalingConnection> SignalingConnection::create(
    boost::asio::io_context& io, std::shared_ptr<boost::asio::ssl::context> tls, ServerUrl url,
    std::string token, Options options, Handlers handlers) {
  return std::shared_ptr<SignalingConnection>(new SignalingConnection(
      io, std::move(tls), std::move(url), std::move(token), options, std::move(handlers)));
}

SignalingConnection::SignalingConnection(boost::asio::io_context& io,
                                         std::shared_ptr<boost::asio::ssl::context> tls,
                                         ServerUrl url, std::string token, Options options,
                                         Handlers handlers)
    : io_(io),
      tls_(std::move(tls)),
      url_(std::move(url)),
      token_(std::move(token)),
      options_(options),
      handlers_(std::move(handlers)),
      socketio_(static_cast<std::uint32_t>(options.connect_timeout.count())),
      timer_(io) {}

SignalingConnection::~SignalingConnection() {
  if (link_) link_->abort();
}

std::int64_t SignalingConnection::now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now().time_since_epoch())
      .count();
}

void SignalingConnection::start() {
  connect_deadline_ms_ = now_ms() + options_.connect_timeout.count();
  std::weak_ptr<SignalingConnection> weak = weak_from_this();
  WsLink::Options link_options;
  link_options.connect_timeout = options_.connect_timeout;
  link_options.max_message = options_.max_message;
  link_ = WsLink::create(io_, tls_, url_, link_options,
                         WsLink::Handlers{[weak] {
                                            if (auto self = weak.lock()) self->on_link_open();
                                          },
                                          [weak](std::string_view data, bool binary) {
                                            if (auto self = weak.lock())
                                              self->on_link_message(data, binary);
                                          },
                                          [weak](const mp::Error& error) {
                                            if (auto self = weak.lock())
                                              self->on_link_closed(error);
                                          }});
  link_->start();
  arm_timer();
}

void SignalingConnection::on_link_open() {
  EngineIoClient::Config config;
  config.open_timeout_ms =
      static_cast<std::uint32_t>(std::max<std::int64_t>(1, connect_deadline_ms_ - now_ms()));
  engine_.emplace(config, now_ms());
  pump();
}

void SignalingConnection::on_link_message(std::string_view data, bool binary) {
  if (!engine_) return;
  if (binary) {
    engine_->on_binary(data, now_ms());
  } else {
    engine_->on_text(data, now_ms());
  }
  pump();
}

void SignalingConnection::on_link_closed(const mp::Error& error) {
  link_.reset();
  if (!end_error_) {
    // The link ended on its own: before the handshakes finished it is the server we could not
    // reach (the link's error says why), after it the connection we lost.
    if (error) {
      end_error_ = connected_ ? mp::Error{mp::ErrorCode::disconnected, error.message, 0} : error;
    } else {
      end_error_ = mp::Error{};
    }
  }
  if (engine_) engine_->on_transport_closed();
  socketio_.on_closed();
  pump();
  finish();
}

void SignalingConnection::on_timer() {
  const std::int64_t now = now_ms();
  if (engine_) engine_->on_timer(now);
  socketio_.on_timer(now);
  if (!connected_ && !ending_ && now >= connect_deadline_ms_) {
    end({mp::ErrorCode::unreachable, url_.to_string() + ": timed out connecting", 0}, false);
  }
  pump();
}

bool SignalingConnection::emit(std::string_view event, const json::value& payload,
                               std::chrono::milliseconds timeout, ReplyFn done) {
  if (!connected_ || ending_) return false;
  const auto id =
      socketio_.emit(event, payload, now_ms(),
                     static_cast<std::uint32_t>(std::max<std::int64_t>(1, timeout.count())));
  if (!id) return false;
  replies_.emplace(*id, std::move(done));
  pump();
  return true;
}

void SignalingConnection::close() {
  end(mp::Error{}, true);
}

void SignalingConnection::end(mp::Error error, bool graceful) {
  if (ending_) return;
  ending_ = true;
  if (!end_error_) end_error_ = std::move(error);
  // DISCONNECT and CLOSE go out first (pump writes them), then the link closes.
  socketio_.disconnect();
  close_engine_ = true;
  link_action_ = graceful ? LinkAction::close : LinkAction::abort;
  pump();
}

void SignalingConnection::pump() {
  if (pumping_) return;  // the outer loop picks up what a handler added
  pumping_ = true;
  auto self = shared_from_this();  // handlers may drop the owner's pointer
  const std::int64_t now = now_ms();
  for (int round = 0; round < 64; ++round) {
    bool progress = false;
    if (engine_) {
      EngineIoClient::Effects ee;
      engine_->take_effects(ee);
      for (auto& frame : ee.frames) {
        if (link_) link_->send(std::move(frame));
      }
      if (ee.opened) {
        socketio_.start(json::object{{"token", token_}}, now);
        progress = true;
      }
      for (const auto& message : ee.messages) {
        socketio_.on_message(message, now);
        progress = true;
      }
      if (ee.closed && !ending_) {
        std::string why = std::string(to_string(*ee.closed));
        if (*ee.closed == EngineCloseReason::protocol_error)
          why += ": " + engine_->protocol_error();
        const mp::ErrorCode code = connected_ ? mp::ErrorCode::disconnected
                                   : *ee.closed == EngineCloseReason::protocol_error
                                       ? mp::ErrorCode::protocol_error
                                       : mp::ErrorCode::unreachable;
        end_error_ = mp::Error{code, url_.to_string() + ": " + why, 0};
        socketio_.on_closed();
        progress = true;
        ending_ = true;
        // The server said goodbye (CLOSE): the WebSocket can close cleanly; otherwise it is
        // dead or hostile and goes at once.
        link_action_ =
            *ee.closed == EngineCloseReason::server_close ? LinkAction::close : LinkAction::abort;
      }
    }
    SocketIoClient::Effects se;
    socketio_.take_effects(se);
    if (!se.frames.empty() || se.connected || !se.events.empty() || !se.acks.empty() || se.ended)
      progress = true;
    for (const auto& frame : se.frames) {
      // A frame the server would refuse as too large fails its call now rather than later.
      if (engine_ && !engine_->send_message(frame) && !ending_) {
        end({mp::ErrorCode::invalid_argument, "message too large for the server", 0}, true);
      }
    }
    if (close_engine_ && engine_) {
      close_engine_ = false;
      engine_->close();
      progress = true;
    }
    handle_socketio(se);
    if (!progress) break;
  }
  pumping_ = false;
  if (link_action_ != LinkAction::none && link_) {
    const LinkAction action = std::exchange(link_action_, LinkAction::none);
    if (action == LinkAction::close) {
      link_->close();
    } else {
      link_->abort();
    }
  }
  if (!finished_) arm_timer();
}

void SignalingConnection::handle_socketio(SocketIoClient::Effects& se) {
  for (auto& event : se.events) {
    if (ending_) break;
    if (!connected_) {
      // The server's first event tells who we are; nothing else may come before it.
      if (event.name != "connected") continue;
      const auto info = read_connected(event.payload);
      if (!info) {
        end({mp::ErrorCode::protocol_error, url_.to_string() + ": malformed `connected` event", 0},
            false);
        break;
      }
      connected_ = true;
      if (handlers_.on_connected) handlers_.on_connected(*info);
      continue;
    }
    if (handlers_.on_event) handlers_.on_event(std::move(event));
  }
  for (auto& ack : se.acks) {
    const auto it = replies_.find(ack.id);
    if (it == replies_.end()) continue;
    ReplyFn done = std::move(it->second);
    replies_.erase(it);
    Reply reply;
    if (ack.payload) {
      reply.payload = std::move(*ack.payload);
    } else if (ack.timed_out) {
      reply.error = {mp::ErrorCode::timeout, "no answer from the server in time", 0};
    } else {
      reply.error = {mp::ErrorCode::disconnected, "the connection to the server was lost", 0};
    }
    if (done) done(std::move(reply));
  }
  if (se.ended && !ending_) {
    mp::Error error;
    if (se.connect_error) {
      const json::object* o = se.connect_error->if_object();
      const json::value* data = o != nullptr ? o->if_contains("data") : nullptr;
      const json::object* d = data != nullptr ? data->if_object() : nullptr;
      const auto code = d != nullptr ? string_field(*d, "code", 64) : std::nullopt;
      const auto message = o != nullptr ? string_field(*o, "message", 512) : std::nullopt;
      error.code = code ? error_code_from_string(*code) : mp::ErrorCode::unreachable;
      if (error.code == mp::ErrorCode::unknown) error.code = mp::ErrorCode::unreachable;
      error.message = url_.to_string() + ": " + message.value_or("connection refused");
    } else if (se.server_disconnect) {
      error = {mp::ErrorCode::disconnected, url_.to_string() + ": the server disconnected us", 0};
    } else if (se.connect_timeout) {
      error = {mp::ErrorCode::unreachable, url_.to_string() + ": timed out connecting", 0};
    } else {
      error = {connected_ ? mp::ErrorCode::disconnected : mp::ErrorCode::protocol_error,
               url_.to_string() + ": " + se.protocol_error, 0};
    }
    end(std::move(error), true);
  }
}

void SignalingConnection::finish() {
  if (finished_) return;
  finished_ = true;
  timer_.cancel();
  // Replies never answered (the session ended without Socket.IO telling) fail now.
  auto replies = std::move(replies_);
  replies_.clear();
  for (auto& [id, done] : replies) {
    if (done)
      done(Reply{{mp::ErrorCode::disconnected, "the connection to the server was lost", 0}, {}});
  }
  auto on_closed = std::move(handlers_.on_closed);
  handlers_ = {};
  if (on_closed) on_closed(end_error_.value_or(mp::Error{}));
}

void SignalingConnection::arm_timer() {
  std::optional<std::int64_t> next;
  auto consider = [&next](std::optional<std::int64_t> t) {
    if (t && (!next || *t < *next)) next = t;
  };
  if (engine_) consider(engine_->next_deadline());
  consider(socketio_.next_deadline());
  if (!connected_ && !ending_) consider(connect_deadline_ms_);
  if (!next) return;
  const auto wait = std::chrono::milliseconds(std::max<std::int64_t>(0, *next - now_ms()));
  timer_.expires_after(wait);
  std::weak_ptr<SignalingConnection> weak = weak_from_this();
  timer_.async_wait([weak](const boost::system::error_code& ec) {
    if (ec) return;
    if (auto self = weak.lock()) self->on_timer();
  });
}

}  // namespace sudachi::client

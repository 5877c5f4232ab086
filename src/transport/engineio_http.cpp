// The Engine.IO side of HttpSession: handshakes, polling requests and WebSocket hand-off.
#include <unistd.h>

#include <boost/asio/post.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket/rfc6455.hpp>
#include <boost/url/parse.hpp>

#include <spdlog/spdlog.h>

#include "common/random_id.hpp"
#include "protocol/engineio/packet.hpp"
#include "transport/http_session.hpp"
#include "transport/session_context.hpp"
#include "transport/websocket_session.hpp"

namespace sudachi::transport {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace eio = engineio;

namespace {

struct EngineQuery {
  std::string eio;
  std::string transport;
  std::string sid;
};

bool parse_query(std::string_view target, EngineQuery& out) {
  auto url = boost::urls::parse_origin_form(target);
  if (!url) return false;
  for (auto param : url->params()) {
    if (param.key == "EIO")
      out.eio = param.value;
    else if (param.key == "transport")
      out.transport = param.value;
    else if (param.key == "sid")
      out.sid = param.value;
  }
  return true;
}

}  // namespace

void HttpSession::respond_engineio_error(unsigned status, int code) {
  ctx_.metrics.refused.with({"engineio_error_" + std::to_string(code)}).inc();
  respond(status, "application/json",
          eio::encode_http_error(static_cast<eio::HttpErrorCode>(code)));
}

void HttpSession::respond_poll(const PollReply& reply) {
  respond(static_cast<unsigned>(reply.status), reply.content_type, reply.body,
          {{"Cache-Control", "no-store"}});
}

void HttpSession::handle_engineio() {
  EngineQuery query;
  if (!parse_query(request_.target(), query)) {
    respond_engineio_error(400, static_cast<int>(eio::HttpErrorCode::bad_request));
    return;
  }
  if (query.eio != "4") {
    respond_engineio_error(400, static_cast<int>(eio::HttpErrorCode::unsupported_protocol_version));
    return;
  }
  const bool is_upgrade = beast::websocket::is_upgrade(request_);
  if (query.transport != "polling" && query.transport != "websocket") {
    respond_engineio_error(400, static_cast<int>(eio::HttpErrorCode::unknown_transport));
    return;
  }
  if (request_.method() == http::verb::options) {
    respond(204, "text/plain", "");
    return;
  }

  if (query.sid.empty()) {
    if (query.transport == "websocket") {
      if (!is_upgrade) {
        respond_engineio_error(400, static_cast<int>(eio::HttpErrorCode::bad_request));
        return;
      }
      handshake_websocket();
      return;
    }
    if (request_.method() != http::verb::get) {
      respond_engineio_error(400, static_cast<int>(eio::HttpErrorCode::bad_handshake_method));
      return;
    }
    handshake_polling();
    return;
  }

  auto session = ctx_.registry.find(query.sid);
  if (!session) {
    respond_engineio_error(400, static_cast<int>(eio::HttpErrorCode::unknown_sid));
    return;
  }
  if (query.transport == "websocket") {
    if (!is_upgrade) {
      respond_engineio_error(400, static_cast<int>(eio::HttpErrorCode::bad_request));
      return;
    }
    hand_over_websocket(std::move(session));
    return;
  }

  // Polling on an existing session: the session lives on its own loop; hop there and back.
  auto reply_here = [self = shared_from_this()](PollReply reply) {
    self->on_own_loop([r = std::move(reply)](HttpSession& s) { s.respond_poll(r); });
  };
  if (request_.method() == http::verb::get) {
    asio::post(session->executor(), [session, reply_here]() mutable {
      session->handle_poll_get(std::move(reply_here));
    });
  } else if (request_.method() == http::verb::post) {
    asio::post(session->executor(),
               [session, reply_here, body = std::move(request_.body())]() mutable {
                 session->handle_poll_post(body, std::move(reply_here));
               });
  } else {
    respond_engineio_error(400, static_cast<int>(eio::HttpErrorCode::bad_request));
  }
}

void HttpSession::handshake_polling() {
  if (ctx_.draining.load()) {
    ctx_.metrics.refused.with({"draining"}).inc();
    respond(503, "application/json", R"({"code":4,"message":"Server is shutting down"})",
            {{"Retry-After", "5"}});
    return;
  }
  ctx_.connection_limiter.consume(
      "conn:" + remote_ip_, [self = shared_from_this()](room::RateDecision d) {
        self->on_own_loop([d](HttpSession& s) {
          if (!d.allowed) {
            s.ctx_.metrics.refused.with({"rate_limited"}).inc();
            s.respond(429, "application/json", R"({"code":4,"message":"Too many connections"})",
                      {{"Retry-After", std::to_string(d.retry_after_seconds)}});
            return;
          }
          auto session =
              std::make_shared<EngineSession>(s.executor_, random_token(15), s.remote_ip_,
                                              EngineSession::Transport::polling, s.ctx_);
          s.ctx_.registry.add(session->sid(), session);
          session->start(nullptr);
          s.respond(200, "text/plain; charset=UTF-8", session->open_packet(),
                    {{"Cache-Control", "no-store"}});
        });
      });
}

void HttpSession::handshake_websocket() {
  if (ctx_.draining.load()) {
    ctx_.metrics.refused.with({"draining"}).inc();
    respond(503, "application/json", R"({"code":4,"message":"Server is shutting down"})",
            {{"Retry-After", "5"}, {"Connection", "close"}});
    return;
  }
  ctx_.connection_limiter.consume(
      "conn:" + remote_ip_, [self = shared_from_this()](room::RateDecision d) {
        self->on_own_loop([d](HttpSession& s) {
          if (!d.allowed) {
            s.ctx_.metrics.refused.with({"rate_limited"}).inc();
            s.respond(
                429, "application/json", R"({"code":4,"message":"Too many connections"})",
                {{"Retry-After", std::to_string(d.retry_after_seconds)}, {"Connection", "close"}});
            return;
          }
          s.stream_.expires_never();
          auto ws = std::make_shared<WebSocketSession>(s.stream_.release_socket(), s.executor_,
                                                       s.ctx_, s.remote_ip_);
          ws->run(std::move(s.request_), nullptr);
        });
      });
}

// The upgrade WebSocket must live on the loop of the session it upgrades, so that every
// frame of that session is handled on one thread without locks. The socket's file descriptor
// moves to that loop; nothing is buffered past the request (a client sends no frames before
// the 101 answer), so no bytes are lost.
void HttpSession::hand_over_websocket(std::shared_ptr<EngineSession> upgrading) {
  stream_.expires_never();
  if (buffer_.size() != 0) {
    respond_engineio_error(400, static_cast<int>(eio::HttpErrorCode::bad_request));
    return;
  }
  asio::ip::tcp::socket socket = stream_.release_socket();
  boost::system::error_code ec;
  const auto protocol = socket.local_endpoint(ec).protocol();
  if (ec) return;
  const int fd = socket.release(ec);
  if (ec) return;
  asio::post(upgrading->executor(), [fd, protocol, upgrading, ctx = &ctx_, ip = remote_ip_,
                                     request = std::move(request_)]() mutable {
    boost::system::error_code error;
    asio::ip::tcp::socket moved(upgrading->executor());
    moved.assign(protocol, fd, error);
    if (error) {
      ::close(fd);
      return;
    }
    auto ws = std::make_shared<WebSocketSession>(std::move(moved), upgrading->executor(), *ctx, ip);
    ws->run(std::move(request), upgrading);
  });
}

}  // namespace sudachi::transport

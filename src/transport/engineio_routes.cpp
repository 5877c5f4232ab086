// The Engine.IO side of HttpConnection: handshakes, polling requests, and the hand-off of
// WebSocket connections to the event loop of their session.
#include <unistd.h>

#include <boost/asio/post.hpp>
#include <boost/beast/http/field.hpp>
#include <boost/url/parse.hpp>

#include "common/random_id.hpp"
#include "protocol/engineio/packet.hpp"
#include "protocol/websocket/handshake.hpp"
#include "transport/engine_session.hpp"
#include "transport/http_connection.hpp"
#include "transport/session_context.hpp"
#include "transport/ws_connection.hpp"

namespace sudachi::transport {
namespace asio = boost::asio;
namespace http = boost::beast::http;
namespace eio = engineio;

// An Engine.IO POST's claim on its session from header to handling: a second POST on the
// same session meanwhile is refused (Engine.IO: overlapping POSTs are a 400 and close).
struct PollPostGuard {
  explicit PollPostGuard(std::shared_ptr<EngineSession> s) : session(std::move(s)) {}
  PollPostGuard(const PollPostGuard&) = delete;
  PollPostGuard& operator=(const PollPostGuard&) = delete;
  ~PollPostGuard() {
    if (session) session->end_post();
  }
  std::shared_ptr<EngineSession> session;
};

namespace {

std::string engineio_error(eio::HttpErrorCode code) {
  return eio::encode_http_error(code);
}

Refusal refusal_for(eio::HttpErrorCode code) {
  switch (code) {
    case eio::HttpErrorCode::unknown_transport:
      return Refusal::unknown_transport;
    case eio::HttpErrorCode::unknown_sid:
      return Refusal::unknown_sid;
    case eio::HttpErrorCode::bad_handshake_method:
      return Refusal::bad_handshake_method;
    case eio::HttpErrorCode::unsupported_protocol_version:
      return Refusal::unsupported_protocol_version;
    case eio::HttpErrorCode::forbidden:
      return Refusal::origin_not_allowed;
    default:
      return Refusal::bad_request;
  }
}

bool is_websocket_upgrade(const http::request<http::string_body>& r) {
  return websocket::header_has_token(r[http::field::connection], "upgrade") &&
         websocket::header_has_token(r[http::field::upgrade], "websocket");
}

}  // namespace

bool HttpConnection::check_engineio_header() {
  eio_version_.clear();
  eio_transport_.clear();
  eio_sid_.clear();
  const auto& h = parser_->get();
  auto url = boost::urls::parse_origin_form(h.target());
  if (!url) {
    refuse(400, Refusal::bad_request, engineio_error(eio::HttpErrorCode::bad_request), true);
    return false;
  }
  for (auto param : url->params()) {
    if (param.key == "EIO") {
      eio_version_ = param.value;
    } else if (param.key == "transport") {
      eio_transport_ = param.value;
    } else if (param.key == "sid") {
      eio_sid_ = param.value;
    }
  }
  if (h.method() != http::verb::post || eio_sid_.empty()) return true;
  auto session = ctx_.registry.find(eio_sid_);
  if (!session) return true;  // answered "unknown sid" once the request is read
  if (!session->begin_post()) {
    asio::post(session->executor(),
               [session] { session->close(eio::CloseReason::overlapping_poll); });
    refuse(400, Refusal::bad_request, engineio_error(eio::HttpErrorCode::bad_request), true);
    return false;
  }
  post_guard_ = std::make_shared<PollPostGuard>(std::move(session));
  return true;
}

void HttpConnection::post_guard_close_session() {
  if (!post_guard_) return;
  auto session = post_guard_->session;
  asio::post(session->executor(),
             [session] { session->close(eio::CloseReason::payload_too_large); });
  post_guard_.reset();
}

void HttpConnection::handle_engineio() {
  auto fail = [this](eio::HttpErrorCode code, int status = 400) {
    refuse(status, refusal_for(code), engineio_error(code));
  };
  if (eio_version_ != "4") return fail(eio::HttpErrorCode::unsupported_protocol_version);
  if (eio_transport_ != "polling" && eio_transport_ != "websocket") {
    return fail(eio::HttpErrorCode::unknown_transport);
  }
  // A browser page from an origin the operator did not allow may neither poll nor open the
  // WebSocket (browsers enforce CORS on neither the handshake GET's side effects nor
  // WebSockets). Native clients send no Origin.
  if (!origin_.empty() && !origin_allowed()) return fail(eio::HttpErrorCode::forbidden, 403);
  const bool upgrade = is_websocket_upgrade(request_);

  if (eio_sid_.empty()) {
    if (eio_transport_ == "websocket") {
      if (!upgrade) return fail(eio::HttpErrorCode::bad_request);
      return handshake_websocket();
    }
    if (request_.method() != http::verb::get) return fail(eio::HttpErrorCode::bad_handshake_method);
    return handshake_polling();
  }
  auto session = post_guard_ ? post_guard_->session : ctx_.registry.find(eio_sid_);
  if (!session) return fail(eio::HttpErrorCode::unknown_sid);
  if (eio_transport_ == "websocket") {
    if (!upgrade) return fail(eio::HttpErrorCode::bad_request);
    return upgrade_websocket(std::move(session));
  }
  if (upgrade) return fail(eio::HttpErrorCode::bad_request);
  poll(std::move(session));
}

void HttpConnection::poll(std::shared_ptr<EngineSession> session) {
  auto reply_here = [self = shared_from_this()](PollReply reply) {
    self->respond_from_anywhere(HttpResponse{reply.status,
                                             std::move(reply.content_type),
                                             std::move(reply.body),
                                             {{"Cache-Control", "no-store"}},
                                             false});
  };
  if (request_.method() == http::verb::get) {
    asio::post(session->executor(), [session, reply_here]() mutable {
      session->handle_poll_get(std::move(reply_here));
    });
  } else if (request_.method() == http::verb::post && post_guard_) {
    // The POST is in progress until answered: the guard goes before the answer does, or the
    // client's next POST (sent on that answer, handled on another loop) could find it held.
    auto answer = [guard = std::move(post_guard_), reply_here](PollReply reply) mutable {
      guard.reset();
      reply_here(std::move(reply));
    };
    asio::post(session->executor(),
               [session, answer = std::move(answer), body = std::move(request_.body())]() mutable {
                 session->handle_poll_post(std::move(body), std::move(answer));
               });
  } else {
    refuse(400, Refusal::bad_request, engineio_error(eio::HttpErrorCode::bad_request));
  }
}

void HttpConnection::handshake_polling() {
  if (ctx_.draining.load()) {
    return refuse(503, Refusal::draining, R"({"code":4,"message":"Server is shutting down"})",
                  false, {{"Retry-After", "5"}});
  }
  ctx_.connection_limiter.consume(
      "conn:" + client_ip_, [self = shared_from_this()](room::RateDecision d) {
        asio::post(self->executor_, [self, d] {
          if (!d.allowed) {
            return self->refuse(429, Refusal::rate_limited,
                                R"({"code":4,"message":"Too many connections"})", false,
                                {{"Retry-After", std::to_string(d.retry_after_seconds)}});
          }
          auto session =
              std::make_shared<EngineSession>(self->executor_, random_token(15), self->client_ip_,
                                              eio::Transport::polling, self->ctx_);
          self->ctx_.registry.add(session->sid(), session);
          session->start(nullptr);
          self->respond(HttpResponse{200,
                                     "text/plain; charset=UTF-8",
                                     session->open_packet(),
                                     {{"Cache-Control", "no-store"}},
                                     false});
        });
      });
}

std::optional<std::string> HttpConnection::websocket_accept() {
  const auto fail = [this](int status, std::string_view message,
                           std::vector<std::pair<std::string, std::string>> headers = {}) {
    refuse(status, Refusal::bad_websocket_handshake,
           R"({"code":3,"message":")" + std::string(message) + R"("})", true, std::move(headers));
  };
  if (request_.method() != http::verb::get || request_.version() != 11) {
    fail(400, "WebSocket handshake must be an HTTP/1.1 GET");
    return std::nullopt;
  }
  if (request_[http::field::sec_websocket_version] != "13") {
    fail(426, "Unsupported WebSocket version", {{"Sec-WebSocket-Version", "13"}});
    return std::nullopt;
  }
  auto accept = websocket::accept_key(request_[http::field::sec_websocket_key]);
  if (!accept || !request_.body().empty()) {
    fail(400, "Bad WebSocket handshake");
    return std::nullopt;
  }
  return accept;
}

void HttpConnection::handshake_websocket() {
  if (ctx_.draining.load()) {
    return refuse(503, Refusal::draining, R"({"code":4,"message":"Server is shutting down"})", true,
                  {{"Retry-After", "5"}});
  }
  auto accept = websocket_accept();
  if (!accept) return;
  ctx_.connection_limiter.consume(
      "conn:" + client_ip_,
      [self = shared_from_this(), accept = std::move(*accept)](room::RateDecision d) {
        asio::post(self->executor_, [self, d, accept] {
          if (self->phase_ != Phase::handling) return;
          if (!d.allowed) {
            return self->refuse(429, Refusal::rate_limited,
                                R"({"code":4,"message":"Too many connections"})", true,
                                {{"Retry-After", std::to_string(d.retry_after_seconds)}});
          }
          auto conn = std::make_shared<WsConnection>(std::move(self->socket_), self->ctx_,
                                                     std::move(self->ticket_));
          self->phase_ = Phase::closed;  // the socket is the WebSocket's now
          auto session =
              std::make_shared<EngineSession>(self->executor_, random_token(15), self->client_ip_,
                                              eio::Transport::websocket, self->ctx_);
          self->ctx_.registry.add(session->sid(), session);
          session->start(conn);
          conn->start(websocket::switching_protocols_response(accept), std::move(self->in_),
                      session, eio::Link::primary);
        });
      });
}

// The upgrade WebSocket must live on the loop of the session it upgrades, so that every
// frame of that session is handled on one thread without locks: the socket's descriptor
// moves there, with the bytes already read past the request.
void HttpConnection::upgrade_websocket(std::shared_ptr<EngineSession> session) {
  auto accept = websocket_accept();
  if (!accept) return;
  boost::system::error_code ec;
  const auto protocol = socket_.local_endpoint(ec).protocol();
  if (ec) return close();
  const int fd = socket_.release(ec);
  if (ec) return close();
  phase_ = Phase::closed;
  asio::post(session->executor(), [fd, protocol, session, ctx = &ctx_, ticket = std::move(ticket_),
                                   leftover = std::move(in_),
                                   accept = std::move(*accept)]() mutable {
    boost::system::error_code error;
    asio::ip::tcp::socket moved(session->executor());
    moved.assign(protocol, fd, error);
    if (error) {
      ::close(fd);
      return;
    }
    auto conn = std::make_shared<WsConnection>(std::move(moved), *ctx, std::move(ticket));
    if (!session->attach_probe(conn)) {
      ctx->metrics.refused(Refusal::bad_request);
      conn->refuse(serialize(HttpResponse{400,
                                          "application/json",
                                          eio::encode_http_error(eio::HttpErrorCode::bad_request),
                                          {},
                                          true},
                             ResponseFraming{}));
      return;
    }
    conn->start(websocket::switching_protocols_response(accept), std::move(leftover), session,
                eio::Link::probe);
  });
}

}  // namespace sudachi::transport

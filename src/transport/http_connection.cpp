#include "transport/http_connection.hpp"

#include <algorithm>
#include <charconv>
#include <limits>

#include <boost/asio/buffer.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/field.hpp>
#include <boost/url/parse.hpp>

#include <spdlog/spdlog.h>

#include "transport/http_api.hpp"
#include "transport/security_log.hpp"
#include "transport/session_context.hpp"

namespace sudachi::transport {
namespace asio = boost::asio;
namespace http = boost::beast::http;

namespace {

constexpr std::size_t kReadChunk = 8 * 1024;
// After a response that closes the connection, unread request bytes are drained for this long
// (or this many bytes) before the socket closes: closing with unread data makes the kernel send
// a reset, which can destroy the response before the client reads it.
constexpr std::uint32_t kLingerMs = 2'000;
constexpr std::size_t kLingerBytes = 1 << 20;

std::string json_error(std::string_view code, std::string_view message) {
  std::string body = R"({"error":{"code":")";
  body.append(code);
  body.append(R"(","message":")");
  body.append(message);
  body.append(R"("}})");
  return body;
}

}  // namespace

HttpConnection::HttpConnection(asio::ip::tcp::socket socket, Executor executor, SessionContext& ctx,
                               IpAddress peer, ConnectionTracker::Ticket ticket)
    : socket_(std::move(socket)),
      executor_(executor),
      ctx_(ctx),
      peer_(peer),
      client_ip_(peer.to_string()),
      ticket_(std::move(ticket)),
      timer_(executor) {
  ctx_.metrics.tcp_connections.inc();
}

HttpConnection::~HttpConnection() {
  ctx_.metrics.tcp_connections.dec();
}

void HttpConnection::run() {
  start_request();
}

// ------------------------------------------------------------------ reading

void HttpConnection::start_request() {
  phase_ = Phase::reading;
  parser_.emplace();
  parser_->header_limit(static_cast<std::uint32_t>(ctx_.config.max_http_header_bytes));
  // The route's own limit is set once the target is known; until then the larger of the two,
  // so that Beast's 1 MB default never cuts a maxPayload the server announced.
  // No body limit until the route is known: on_header() sets the route's own and checks the
  // Content-Length against it there, where an Engine.IO POST can still close its session.
  parser_->body_limit(std::numeric_limits<std::uint64_t>::max());
  parser_->eager(false);  // stop after the header: the checks come before the body
  header_done_ = false;
  header_bytes_ = 0;
  close_after_write_ = false;
  post_guard_.reset();
  route_ = Route::other;
  got_first_byte_ = !in_.empty();
  arm_timer(got_first_byte_ ? ctx_.config.http_header_timeout_ms
                            : ctx_.config.http_idle_timeout_ms);
  parse_buffered();
}

void HttpConnection::read_more() {
  const std::size_t old = in_.size();
  in_.resize(old + kReadChunk);
  socket_.async_read_some(
      asio::buffer(in_.data() + old, kReadChunk),
      [self = shared_from_this(), old](const boost::system::error_code& ec, std::size_t n) {
        self->in_.resize(old + n);
        self->on_read(ec, n);
      });
}

void HttpConnection::on_read(const boost::system::error_code& ec, std::size_t) {
  if (phase_ == Phase::closed) return;
  if (phase_ == Phase::lingering) {
    lingered_bytes_ += in_.size();
    in_.clear();
    if (ec || lingered_bytes_ > kLingerBytes) {
      close();
    } else {
      read_more();
    }
    return;
  }
  if (ec) {
    close();  // EOF between requests, or the peer went away mid-request
    return;
  }
  if (!got_first_byte_) {
    // The keep-alive wait is over; the whole request must now arrive in the header timeout.
    got_first_byte_ = true;
    arm_timer(ctx_.config.http_header_timeout_ms);
  }
  parse_buffered();
}

void HttpConnection::parse_buffered() {
  while (phase_ == Phase::reading) {
    if (in_.empty()) {
      read_more();
      return;
    }
    boost::system::error_code ec;
    const std::size_t used = parser_->put(asio::buffer(in_), ec);
    in_.erase(0, used);
    if (!header_done_) {
      // Beast checks its header limit against what one put() sees, and fields it has parsed
      // are gone from `in_`: the total across reads is ours to bound.
      header_bytes_ += used;
      const std::size_t pending = parser_->is_header_done() ? 0 : in_.size();
      if (header_bytes_ + pending > ctx_.config.max_http_header_bytes) {
        refuse(431, Refusal::header_too_large,
               json_error("INVALID_REQUEST", "Request header too large"), true);
        return;
      }
    }
    if (ec == http::error::need_more) {
      read_more();
      return;
    }
    if (ec == http::error::header_limit) {
      refuse(431, Refusal::header_too_large,
             json_error("INVALID_REQUEST", "Request header too large"), true);
      return;
    }
    if (ec == http::error::body_limit) {
      if (post_guard_) post_guard_close_session();
      refuse(413, Refusal::payload_too_large, json_error("INVALID_REQUEST", "Payload too large"),
             true);
      return;
    }
    if (ec) {
      refuse(400, Refusal::malformed_request, json_error("INVALID_REQUEST", "Malformed request"),
             true);
      return;
    }
    if (!header_done_ && parser_->is_header_done()) {
      header_done_ = true;
      if (!on_header()) return;
      parser_->eager(true);
    }
    if (parser_->is_done()) {
      on_request();
      return;
    }
  }
}

bool HttpConnection::on_header() {
  const auto& h = parser_->get();
  http10_ = h.version() == 10;
  keep_alive_ = h.keep_alive();
  head_ = h.method() == http::verb::head;
  origin_ = std::string(h[http::field::origin]);
  const std::string_view target = h.target();
  const bool engineio = target.starts_with("/socket.io/") || target == "/socket.io" ||
                        target.starts_with("/socket.io?");
  route_ = engineio ? Route::engineio : Route::api;

  if (target.size() > ctx_.config.max_target_bytes) {
    refuse(414, Refusal::target_too_long, json_error("INVALID_REQUEST", "Request target too long"),
           true);
    return false;
  }
  if (!ctx_.trusted_proxies.empty()) {
    const auto it = h.find("X-Forwarded-For");
    std::optional<std::string_view> forwarded;
    if (it != h.end()) forwarded = it->value();
    auto client = resolve_client_address(peer_, ctx_.trusted_proxies, forwarded);
    if (!client) {
      refuse(400, Refusal::bad_forwarded_for,
             json_error("INVALID_REQUEST", "Malformed X-Forwarded-For"), true);
      return false;
    }
    client_ip_ = client->to_string();
  }
  if (engineio && !check_engineio_header()) return false;

  const std::uint64_t limit = engineio ? ctx_.config.max_payload : ctx_.config.max_api_body_bytes;
  // The parser has validated Content-Length by now (digits, no conflicting copies). Read here
  // rather than through content_length(), whose boost::optional trips GCC 12's
  // -Wmaybe-uninitialized inside Beast.
  const auto length_field = h[http::field::content_length];
  std::uint64_t length = 0;
  const bool has_length =
      !length_field.empty() &&
      std::from_chars(length_field.data(), length_field.data() + length_field.size(), length).ec ==
          std::errc{};
  if (has_length && length > limit) {
    if (post_guard_) post_guard_close_session();
    refuse(413, Refusal::payload_too_large, json_error("INVALID_REQUEST", "Payload too large"),
           true);
    return false;
  }
  parser_->body_limit(limit);
  return true;
}

void HttpConnection::on_request() {
  request_ = parser_->release();
  parser_.reset();
  phase_ = Phase::handling;
  ++timer_generation_;
  timer_.cancel();
  if (request_.method() == http::verb::options) {
    handle_preflight();
    return;
  }
  if (route_ == Route::engineio) {
    handle_engineio();
    return;
  }
  if (request_.find(http::field::upgrade) != request_.end()) {
    refuse(404, Refusal::bad_request, json_error("NOT_FOUND", "Not found"), true);
    return;
  }
  handle_api();
}

void HttpConnection::arm_timer(std::uint32_t ms) {
  const std::uint64_t generation = ++timer_generation_;
  timer_.expires_after(std::chrono::milliseconds(ms));
  timer_.async_wait([weak = weak_from_this(), generation](const boost::system::error_code& ec) {
    auto self = weak.lock();
    if (!self || ec || generation != self->timer_generation_) return;
    self->close();  // idle, slow loris, a response the peer does not read, or lingering done
  });
}

// ------------------------------------------------------------------ REST and CORS

void HttpConnection::handle_api() {
  auto url = boost::urls::parse_origin_form(request_.target());
  if (!url) {
    refuse(400, Refusal::malformed_request,
           json_error("INVALID_REQUEST", "Malformed request target"));
    return;
  }
  ApiRequest api_request;
  // HEAD is GET without the body, which serialize() leaves out.
  api_request.method = head_ ? "GET" : std::string(request_.method_string());
  api_request.path = url->path();
  for (auto param : url->params()) api_request.query.emplace_back(param.key, param.value);
  if (auto it = request_.find(http::field::content_type); it != request_.end()) {
    api_request.content_type = std::string(it->value());
  }
  api_request.body = std::move(request_.body());
  api_request.remote_ip = client_ip_;
  const bool handled =
      ctx_.api.handle(std::move(api_request), [self = shared_from_this()](ApiResponse r) {
        HttpResponse response{r.status, std::move(r.content_type), std::move(r.body),
                              std::move(r.headers), false};
        self->respond_from_anywhere(std::move(response));
      });
  if (!handled) {
    route_ = Route::other;
    refuse(404, Refusal::bad_request, json_error("NOT_FOUND", "Not found"));
  }
}

bool HttpConnection::origin_allowed() const {
  if (origin_.empty()) return false;
  const auto& allowed = ctx_.config.cors_origins;
  return std::any_of(allowed.begin(), allowed.end(),
                     [this](const std::string& o) { return o == "*" || o == origin_; });
}

void HttpConnection::add_cors_headers(HttpResponse& response) const {
  if (!origin_allowed()) return;
  // The origin is echoed rather than "*": it is one of the configured ones, and caches must
  // keep answers for different origins apart.
  response.headers.emplace_back("Access-Control-Allow-Origin", origin_);
  response.headers.emplace_back("Vary", "Origin");
}

void HttpConnection::handle_preflight() {
  HttpResponse response{204, "text/plain", "", {}, false};
  if (origin_allowed()) {
    response.headers.emplace_back("Access-Control-Allow-Methods", "GET, POST, OPTIONS");
    response.headers.emplace_back("Access-Control-Allow-Headers", "Content-Type, Authorization");
    response.headers.emplace_back("Access-Control-Max-Age", "600");
  }
  respond(std::move(response));
}

// ------------------------------------------------------------------ responses

void HttpConnection::respond_from_anywhere(HttpResponse response) {
  asio::post(executor_, [self = shared_from_this(), r = std::move(response)]() mutable {
    self->respond(std::move(r));
  });
}

void HttpConnection::refuse(int status, Refusal why, std::string body, bool close,
                            std::vector<std::pair<std::string, std::string>> headers) {
  ctx_.metrics.refused(why);
  log_refusal(why, client_ip_);
  respond(HttpResponse{status, "application/json", std::move(body), std::move(headers), close});
}

void HttpConnection::respond(HttpResponse response) {
  if (phase_ == Phase::closed || phase_ == Phase::writing || phase_ == Phase::lingering) return;
  // A response before the whole request was read leaves the rest of it unread: the
  // connection cannot be reused.
  if (phase_ == Phase::reading) response.close = true;
  add_cors_headers(response);
  ctx_.metrics.http_request(route_, response.status);
  close_after_write_ = response.close || !keep_alive_;
  out_ = serialize(response, ResponseFraming{head_, !close_after_write_, http10_});
  phase_ = Phase::writing;
  arm_timer(ctx_.config.http_header_timeout_ms);
  asio::async_write(socket_, asio::buffer(out_),
                    [self = shared_from_this()](const boost::system::error_code& ec, std::size_t) {
                      self->on_written(ec);
                    });
}

void HttpConnection::on_written(const boost::system::error_code& ec) {
  if (phase_ == Phase::closed) return;
  std::string().swap(out_);
  if (ec) {
    close();
    return;
  }
  if (close_after_write_) {
    linger();
    return;
  }
  start_request();  // keep-alive; pipelined bytes are already in `in_`
}

void HttpConnection::linger() {
  phase_ = Phase::lingering;
  lingered_bytes_ = 0;
  in_.clear();
  boost::system::error_code ignored;
  socket_.shutdown(asio::ip::tcp::socket::shutdown_send, ignored);
  arm_timer(kLingerMs);
  read_more();
}

void HttpConnection::close() {
  if (phase_ == Phase::closed) return;
  phase_ = Phase::closed;
  ++timer_generation_;
  timer_.cancel();
  post_guard_.reset();
  boost::system::error_code ignored;
  socket_.close(ignored);
}

}  // namespace sudachi::transport

#include "transport/http_session.hpp"

#include <boost/asio/post.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket/rfc6455.hpp>
#include <boost/url/parse.hpp>

#include <spdlog/spdlog.h>

#include "transport/http_api.hpp"
#include "transport/session_context.hpp"

namespace sudachi::transport {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;

namespace {

std::string remote_address(const asio::ip::tcp::socket& socket) {
  boost::system::error_code ec;
  auto endpoint = socket.remote_endpoint(ec);
  if (ec) return "unknown";
  auto address = endpoint.address();
  if (address.is_v6() && address.to_v6().is_v4_mapped()) {
    return asio::ip::make_address_v4(asio::ip::v4_mapped, address.to_v6()).to_string();
  }
  return address.to_string();
}

std::string_view status_class(unsigned status) {
  if (status < 300) return "2xx";
  if (status < 400) return "3xx";
  if (status < 500) return "4xx";
  return "5xx";
}

}  // namespace

HttpSession::HttpSession(asio::ip::tcp::socket socket, EngineSession::Executor executor,
                         SessionContext& ctx)
    : stream_(std::move(socket)), executor_(executor), ctx_(ctx) {
  remote_ip_ = remote_address(stream_.socket());
}

void HttpSession::run() {
  do_read_header();
}

void HttpSession::on_own_loop(std::function<void(HttpSession&)> fn) {
  asio::post(executor_, [self = shared_from_this(), f = std::move(fn)] { f(*self); });
}

void HttpSession::do_read_header() {
  parser_.emplace();
  parser_->header_limit(static_cast<std::uint32_t>(ctx_.config.max_http_header_bytes));
  stream_.expires_after(std::chrono::milliseconds(ctx_.config.http_header_timeout_ms));
  http::async_read_header(
      stream_, buffer_, *parser_,
      [self = shared_from_this()](beast::error_code ec, std::size_t) { self->on_header(ec); });
}

void HttpSession::on_header(beast::error_code ec) {
  if (ec) {
    if (ec != http::error::end_of_stream && ec != beast::error::timeout) {
      SPDLOG_DEBUG("http read from {}: {}", remote_ip_, ec.message());
    }
    close();
    return;
  }
  // The body limit follows the route: Engine.IO POSTs may carry maxPayload, the REST API less.
  const auto target = parser_->get().target();
  const bool engineio = target.starts_with("/socket.io/") || target == "/socket.io";
  parser_->body_limit(engineio ? ctx_.config.max_payload : ctx_.config.max_api_body_bytes);
  if (parser_->is_done()) {
    on_body({});
    return;
  }
  http::async_read(
      stream_, buffer_, *parser_,
      [self = shared_from_this()](beast::error_code e, std::size_t) { self->on_body(e); });
}

void HttpSession::on_body(beast::error_code ec) {
  if (ec == http::error::body_limit) {
    request_ = parser_->release();
    ctx_.metrics.refused.with({"payload_too_large"}).inc();
    respond(413, "application/json", R"({"code":3,"message":"Payload too large"})",
            {{"Connection", "close"}});
    return;
  }
  if (ec) {
    close();
    return;
  }
  request_ = parser_->release();
  on_request();
}

void HttpSession::on_request() {
  stream_.expires_never();
  if (ctx_.config.trust_forwarded_for) {
    if (auto it = request_.find("X-Forwarded-For"); it != request_.end()) {
      // The left-most address is the client's as the first proxy saw it.
      std::string_view value = it->value();
      remote_ip_ = std::string(value.substr(0, value.find(',')));
      while (!remote_ip_.empty() && remote_ip_.back() == ' ') remote_ip_.pop_back();
    }
  }
  const auto target = request_.target();
  if (target.starts_with("/socket.io/") || target == "/socket.io") {
    handle_engineio();
    return;
  }
  if (beast::websocket::is_upgrade(request_)) {
    respond(404, "application/json", R"({"error":{"code":"NOT_FOUND","message":"Not found"}})",
            {{"Connection", "close"}});
    return;
  }
  handle_api();
}

void HttpSession::handle_api() {
  auto url = boost::urls::parse_origin_form(request_.target());
  if (!url) {
    respond(400, "application/json",
            R"({"error":{"code":"INVALID_REQUEST","message":"Malformed request target"}})");
    return;
  }
  ApiRequest api_request;
  api_request.method = std::string(request_.method_string());
  api_request.path = url->path();
  for (auto param : url->params()) api_request.query.emplace_back(param.key, param.value);
  if (auto it = request_.find(http::field::content_type); it != request_.end()) {
    api_request.content_type = std::string(it->value());
  }
  api_request.body = std::move(request_.body());
  api_request.remote_ip = remote_ip_;
  const bool handled =
      ctx_.api.handle(std::move(api_request), [self = shared_from_this()](ApiResponse r) {
        self->on_own_loop([r = std::move(r)](HttpSession& s) { s.respond_api(r); });
      });
  if (!handled) {
    respond(404, "application/json", R"({"error":{"code":"NOT_FOUND","message":"Not found"}})");
  }
}

void HttpSession::respond_api(const ApiResponse& response) {
  auto res = std::make_shared<http::response<http::string_body>>(
      static_cast<http::status>(response.status), request_.version());
  res->set(http::field::server, "sudachi-room");
  res->set(http::field::content_type, response.content_type);
  for (const auto& [name, value] : response.headers) res->set(name, value);
  res->keep_alive(request_.keep_alive());
  res->body() = response.body;
  res->prepare_payload();
  ctx_.metrics.http_requests.with({"api", std::string(status_class(response.status))}).inc();
  const bool keep_alive = res->keep_alive();
  response_ = res;
  http::async_write(stream_, *res,
                    [self = shared_from_this(), keep_alive](beast::error_code ec, std::size_t) {
                      self->on_write(keep_alive, ec);
                    });
}

void HttpSession::respond(unsigned status, std::string content_type, std::string body,
                          std::initializer_list<std::pair<const char*, std::string>> headers) {
  auto res = std::make_shared<http::response<http::string_body>>(static_cast<http::status>(status),
                                                                 request_.version());
  res->set(http::field::server, "sudachi-room");
  res->set(http::field::content_type, content_type);
  bool keep_alive = request_.keep_alive();
  for (const auto& [name, value] : headers) {
    res->set(name, value);
    if (std::string_view(name) == "Connection" && value == "close") keep_alive = false;
  }
  res->keep_alive(keep_alive);
  res->body() = std::move(body);
  res->prepare_payload();
  ctx_.metrics.http_requests
      .with({request_.target().starts_with("/socket.io") ? "engineio" : "other",
             std::string(status_class(status))})
      .inc();
  response_ = res;
  http::async_write(stream_, *res,
                    [self = shared_from_this(), keep_alive](beast::error_code ec, std::size_t) {
                      self->on_write(keep_alive, ec);
                    });
}

void HttpSession::on_write(bool keep_alive, beast::error_code ec) {
  response_.reset();
  if (ec || !keep_alive) {
    close();
    return;
  }
  stream_.expires_after(std::chrono::milliseconds(ctx_.config.http_idle_timeout_ms));
  do_read_header();
}

void HttpSession::close() {
  beast::error_code ignored;
  stream_.socket().shutdown(asio::ip::tcp::socket::shutdown_send, ignored);
  stream_.socket().close(ignored);
}

}  // namespace sudachi::transport

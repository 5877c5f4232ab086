#include "client/signaling/guest_signup.hpp"

#include <utility>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <boost/json.hpp>

#include "client/signaling/net_connect.hpp"
#include "client/signaling/room_codec.hpp"

namespace sudachi::client {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = boost::beast::http;
namespace json = boost::json;

namespace {

constexpr auto kUse = asio::as_tuple(asio::use_awaitable);
constexpr std::size_t kMaxResponseBody = 64 * 1024;

GuestResult read_answer(const ServerUrl& url, const http::response<http::string_body>& res) {
  GuestResult out;
  boost::system::error_code ec;
  json::parse_options options;
  options.max_depth = 8;
  const json::value body = json::parse(res.body(), ec, {}, options);
  const json::object* o = ec ? nullptr : body.if_object();
  if (res.result_int() == 201 && o != nullptr) {
    auto id = string_field(*o, "clientId", 64);
    auto token = string_field(*o, "token", 4096);
    const json::value* expires = o->if_contains("expiresAt");
    if (id && !id->empty() && token && !token->empty()) {
      out.guest.client_id = std::move(*id);
      out.guest.token = std::move(*token);
      if (expires != nullptr && expires->is_int64()) out.guest.expires_at_ms = expires->as_int64();
      return out;
    }
  }
  // {error:{code, message}} on 400 and 429; anything else is a server we cannot use.
  const json::value* error = o != nullptr ? o->if_contains("error") : nullptr;
  if (error != nullptr && res.result_int() >= 400 && res.result_int() < 500) {
    out.error = read_error(*error);
    if (out.error.code == mp::ErrorCode::rate_limited && out.error.retry_after_s == 0) {
      const auto retry = res.find(http::field::retry_after);
      if (retry != res.end())
        out.error.retry_after_s = std::atoi(std::string(retry->value()).c_str());
    }
    out.error.message = "guest sign-up at " + url.to_string() + ": " + out.error.message;
    return out;
  }
  out.error = {mp::ErrorCode::unreachable,
               "guest sign-up at " + url.to_string() + ": HTTP " + std::to_string(res.result_int()),
               0};
  return out;
}

template <class Stream>
asio::awaitable<GuestResult> exchange(Stream& stream, const ServerUrl& url,
                                      const GuestRequest& request,
                                      std::chrono::steady_clock::duration timeout) {
  GuestResult out;
  http::request<http::string_body> req{http::verb::post, url.signup_target(), 11};
  req.set(http::field::host, url.host_header());
  req.set(http::field::user_agent, "sudachi-mp");
  req.set(http::field::content_type, "application/json");
  req.set(http::field::connection, "close");
  req.body() = json::serialize(json::object{{"username", request.username},
                                            {"platform", request.platform},
                                            {"sudachiVersion", request.sudachi_version}});
  req.prepare_payload();
  beast::get_lowest_layer(stream).expires_after(timeout);
  auto [wec, written] = co_await http::async_write(stream, req, kUse);
  if (wec) {
    out.error = {mp::ErrorCode::unreachable, url.to_string() + ": sign-up: " + wec.message(), 0};
    co_return out;
  }
  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.body_limit(kMaxResponseBody);
  parser.header_limit(16 * 1024);
  auto [rec, read] = co_await http::async_read(stream, buffer, parser, kUse);
  beast::get_lowest_layer(stream).expires_never();
  if (rec) {
    out.error = {mp::ErrorCode::unreachable, url.to_string() + ": sign-up: " + rec.message(), 0};
    co_return out;
  }
  co_return read_answer(url, parser.get());
}

asio::awaitable<void> run(asio::io_context& io, std::shared_ptr<asio::ssl::context> tls,
                          ServerUrl url, GuestRequest request, std::chrono::milliseconds timeout,
                          std::function<void(GuestResult)> done) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  GuestResult result;
  if (url.tls) {
    TlsStream stream(io, *tls);
    result.error = co_await connect_tls(stream, url, timeout);
    if (!result.error) {
      result = co_await exchange(stream, url, request, deadline - std::chrono::steady_clock::now());
    }
  } else {
    TcpStream stream(io);
    result.error = co_await connect_tcp(stream, url, timeout);
    if (!result.error) {
      result = co_await exchange(stream, url, request, deadline - std::chrono::steady_clock::now());
    }
  }
  done(std::move(result));
}

}  // namespace

void guest_sign_up(asio::io_context& io, std::shared_ptr<asio::ssl::context> tls,
                   const ServerUrl& url, const GuestRequest& request,
                   std::chrono::milliseconds timeout, std::function<void(GuestResult)> done) {
  asio::co_spawn(io, run(io, std::move(tls), url, request, timeout, std::move(done)),
                 asio::detached);
}

}  // namespace sudachi::client

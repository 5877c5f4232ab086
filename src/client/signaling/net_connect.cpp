#include "client/signaling/net_connect.hpp"

#include <openssl/ssl.h>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace sudachi::client {
namespace asio = boost::asio;
namespace ssl = boost::asio::ssl;
using asio::ip::tcp;

namespace {

constexpr auto kUse = asio::as_tuple(asio::use_awaitable);

mp::Error unreachable(const ServerUrl& url, std::string_view step,
                      const boost::system::error_code& ec) {
  std::string message = url.to_string() + ": " + std::string(step);
  if (ec) message += ": " + ec.message();
  return {mp::ErrorCode::unreachable, std::move(message), 0};
}

}  // namespace

Result<std::shared_ptr<ssl::context>> make_tls_context(const std::string& ca_file) {
  auto ctx = std::make_shared<ssl::context>(ssl::context::tls_client);
  boost::system::error_code ec;
  ctx->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                       ssl::context::no_sslv3 | ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1,
                   ec);
  if (!ec) ctx->set_default_verify_paths(ec);
  if (ec) return Error::make(ErrorCode::internal, "TLS set-up failed: " + ec.message());
  if (!ca_file.empty()) {
    ctx->load_verify_file(ca_file, ec);
    if (ec) {
      return Error::make(ErrorCode::invalid_request,
                         "cannot load the CA file " + ca_file + ": " + ec.message());
    }
  }
  ctx->set_verify_mode(ssl::verify_peer);
  return ctx;
}

asio::awaitable<mp::Error> connect_tcp(TcpStream& stream, const ServerUrl& url,
                                       std::chrono::steady_clock::duration timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  tcp::resolver resolver(stream.get_executor());
  // The resolver has no deadline of its own (getaddrinfo runs on Asio's resolver thread): a
  // timer cancels it, so a silent DNS server costs one attempt's timeout, not the system's.
  asio::steady_timer resolve_timer(stream.get_executor(), timeout);
  resolve_timer.async_wait([&resolver](const boost::system::error_code& ec) {
    if (!ec) resolver.cancel();
  });
  auto [rec, results] = co_await resolver.async_resolve(url.host, std::to_string(url.port), kUse);
  resolve_timer.cancel();
  if (rec == asio::error::operation_aborted)
    co_return unreachable(url, "timed out resolving the host name", {});
  if (rec) co_return unreachable(url, "cannot resolve the host name", rec);
  const auto left = deadline - std::chrono::steady_clock::now();
  if (left <= std::chrono::steady_clock::duration::zero())
    co_return unreachable(url, "timed out resolving the host name", {});
  stream.expires_after(left);
  auto [cec, endpoint] = co_await stream.async_connect(results, kUse);
  stream.expires_never();
  if (cec == boost::beast::error::timeout) co_return unreachable(url, "connect timed out", {});
  if (cec) co_return unreachable(url, "cannot connect", cec);
  boost::system::error_code ignored;
  stream.socket().set_option(tcp::no_delay(true), ignored);
  co_return mp::Error{};
}

asio::awaitable<mp::Error> connect_tls(TlsStream& stream, const ServerUrl& url,
                                       std::chrono::steady_clock::duration timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  mp::Error error = co_await connect_tcp(boost::beast::get_lowest_layer(stream), url, timeout);
  if (error) co_return error;
  // SNI, so that a server hosting several names presents the right certificate; then the
  // certificate must name the host we asked for (or its IP address).
  if (SSL_set_tlsext_host_name(stream.native_handle(), url.host.c_str()) != 1)
    co_return unreachable(url, "cannot set the TLS server name", {});
  stream.set_verify_callback(ssl::host_name_verification(url.host));
  const auto left = deadline - std::chrono::steady_clock::now();
  boost::beast::get_lowest_layer(stream).expires_after(
      std::max(left, std::chrono::steady_clock::duration(std::chrono::milliseconds(1))));
  auto [hec] = co_await stream.async_handshake(ssl::stream_base::client, kUse);
  boost::beast::get_lowest_layer(stream).expires_never();
  if (hec == boost::beast::error::timeout)
    co_return unreachable(url, "TLS handshake timed out", {});
  if (hec) {
    std::string why = "TLS handshake failed";
    const long verify = SSL_get_verify_result(stream.native_handle());
    if (verify != X509_V_OK)
      why +=
          std::string(": certificate not trusted (") + X509_verify_cert_error_string(verify) + ")";
    co_return unreachable(url, why, verify != X509_V_OK ? boost::system::error_code() : hec);
  }
  co_return mp::Error{};
}

}  // namespace sudachi::client

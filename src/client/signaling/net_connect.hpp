#pragma once

#include <chrono>
#include <memory>
#include <string>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>

#include "client/signaling/server_url.hpp"
#include "sudachi/mp.hpp"

// Opening a connection to a room server, shared by the WebSocket link and the guest sign-up:
// name resolution, TCP connect (every resolved address, within one deadline), and for TLS the
// handshake with certificate and host-name verification. Failures come back as UNREACHABLE
// errors whose message says which step failed, for the player to read.
namespace sudachi::client {

using TcpStream = boost::beast::tcp_stream;
using TlsStream = boost::beast::ssl_stream<boost::beast::tcp_stream>;

// The client TLS context: peers verified against the system trust store and, when `ca_file`
// is set, the PEM certificates in it. Errors: an unreadable or invalid CA file.
Result<std::shared_ptr<boost::asio::ssl::context>> make_tls_context(const std::string& ca_file);

// Resolves and connects `stream` within `timeout`.
boost::asio::awaitable<mp::Error> connect_tcp(TcpStream& stream, const ServerUrl& url,
                                              std::chrono::steady_clock::duration timeout);
// connect_tcp on the lowest layer, then SNI, host-name verification and the TLS handshake, all
// within `timeout`.
boost::asio::awaitable<mp::Error> connect_tls(TlsStream& stream, const ServerUrl& url,
                                              std::chrono::steady_clock::duration timeout);

}  // namespace sudachi::client

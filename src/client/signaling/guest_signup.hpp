#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ssl/context.hpp>

#include "client/signaling/server_url.hpp"
#include "sudachi/mp.hpp"

// POST /api/v1/auth/guest on a room server: a guest identity (client id + JWT) for players
// without an account. One HTTP/1.1 request per call over its own connection, bounded in time
// and in the size of the answer.
namespace sudachi::client {

struct GuestRequest {
  std::string username;
  std::string platform;
  std::string sudachi_version;
};

struct GuestToken {
  std::string client_id;
  std::string token;
  std::int64_t expires_at_ms = 0;
};

struct GuestResult {
  mp::Error error;  // RATE_LIMITED (429, with retry_after_s), INVALID_REQUEST (400), UNREACHABLE
  GuestToken guest;
};

// `done` runs once, on the io_context's thread, from a completion.
void guest_sign_up(boost::asio::io_context& io, std::shared_ptr<boost::asio::ssl::context> tls,
                   const ServerUrl& url, const GuestRequest& request,
                   std::chrono::milliseconds timeout, std::function<void(GuestResult)> done);

}  // namespace sudachi::client

#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ssl/context.hpp>

#include "client/signaling/server_url.hpp"
#include "sudachi/mp.hpp"

// One WebSocket to a room server's Engine.IO endpoint (ws:// or wss://), on Boost.Beast:
// connect, TLS, the WebSocket handshake, then whole messages in and a write queue out (one
// write in flight; messages go out in the order given). It knows nothing of Engine.IO.
//
// Single-threaded: every call and every handler on the io_context's thread. The handlers run
// from completions, never from inside a call, so the owner may call close() or drop its
// pointer from within one. on_closed runs exactly once, last, whether the link failed, the
// server closed it, or close()/abort() was called.
namespace sudachi::client {

class WsLink {
 public:
  struct Options {
    std::chrono::milliseconds connect_timeout{5'000};  // resolve + TCP + TLS + upgrade
    std::size_t max_message = 1'000'000;               // larger incoming messages close the link
    std::string user_agent = "sudachi-mp";
  };
  struct Handlers {
    std::function<void()> on_open;
    std::function<void(std::string_view data, bool binary)> on_message;
    // `error` is empty after close() / abort(); otherwise why the link ended (UNREACHABLE
    // before on_open, DISCONNECTED after).
    std::function<void(const mp::Error& error)> on_closed;
  };

  virtual ~WsLink() = default;

  // `tls` is required for wss:// (https://) URLs and ignored otherwise.
  static std::shared_ptr<WsLink> create(boost::asio::io_context& io,
                                        std::shared_ptr<boost::asio::ssl::context> tls,
                                        ServerUrl url, Options options, Handlers handlers);

  virtual void start() = 0;
  // Queues a text message; ignored once closing.
  virtual void send(std::string text) = 0;
  // Sends what is queued, then the WebSocket close handshake (bounded by connect_timeout).
  virtual void close() = 0;
  // Drops the connection now; queued messages are lost.
  virtual void abort() = 0;
};

}  // namespace sudachi::client

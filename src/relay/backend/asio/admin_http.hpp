#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include "relay/backend/asio/accept_backoff.hpp"

namespace sudachi::relay::asio_backend {

// The relay's small admin HTTP server (Beast): GET /health, /ready, /metrics. One request per
// connection, 4 KiB request limit, 5 s deadline: it serves probes and scrapers, not users.
class AdminHttp {
 public:
  struct Handlers {
    std::function<bool()> ready;           // false: /ready answers 503
    std::function<std::string()> metrics;  // Prometheus text
  };

  AdminHttp(boost::asio::io_context& context, Handlers handlers);
  std::uint16_t bind(const boost::asio::ip::address& address, std::uint16_t port);
  void start();
  void close();

 private:
  void accept();

  boost::asio::io_context& context_;
  Handlers handlers_;
  boost::asio::ip::tcp::acceptor acceptor_;
  AcceptBackoff backoff_;
};

}  // namespace sudachi::relay::asio_backend

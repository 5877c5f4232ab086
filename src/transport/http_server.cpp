#include "transport/http_server.hpp"

#include <thread>
#include <vector>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/address.hpp>

#include <spdlog/spdlog.h>

#include "common/fd_limit.hpp"
#include "transport/engine_session.hpp"
#include "transport/listener.hpp"
#include "transport/session_context.hpp"

namespace sudachi::transport {
namespace asio = boost::asio;

namespace {

// Descriptors kept back from connections for the process itself: Redis and PostgreSQL
// connections, the SQLite file, logs, the listeners, the accept-shedding spares.
constexpr std::size_t kDescriptorHeadroom = 128;

std::size_t connection_cap(const TransportConfig& config) {
  if (config.max_connections != 0) return config.max_connections;
  const std::size_t limit = open_file_limit();
  return limit > 2 * kDescriptorHeadroom ? limit - kDescriptorHeadroom : limit / 2;
}

}  // namespace

struct HttpServer::Impl {
  Impl(TransportConfig cfg, Dependencies d)
      : config(std::move(cfg)),
        deps(d),
        transport_metrics(d.metrics),
        connections({connection_cap(config), config.max_connections_per_ip}, trusted_proxies),
        ctx{config,    registry,        transport_metrics,    d.jwt,
            d.service, d.clock,         d.connection_limiter, d.event_limiter,
            d.api,     trusted_proxies, connections} {}

  TransportConfig config;
  Dependencies deps;
  SessionRegistry registry;
  TransportMetrics transport_metrics;
  TrustedProxies trusted_proxies;
  ConnectionTracker connections;
  SessionContext ctx;
  std::vector<std::unique_ptr<asio::io_context>> loops;
  std::vector<asio::executor_work_guard<asio::io_context::executor_type>> guards;
  std::vector<std::shared_ptr<Listener>> listeners;
  std::vector<std::thread> threads;
  bool stopped = false;
};

HttpServer::HttpServer(TransportConfig config, Dependencies deps)
    : impl_(std::make_unique<Impl>(std::move(config), deps)) {}

HttpServer::~HttpServer() {
  stop();
}

Result<std::uint16_t> HttpServer::start() {
  auto& im = *impl_;
  unsigned threads = im.config.threads;
  if (threads == 0) threads = std::max(1u, std::thread::hardware_concurrency());

  auto trusted = TrustedProxies::parse(im.config.trusted_proxies);
  if (!trusted)
    return Error::make(ErrorCode::internal, "--trust-proxy: " + trusted.error().message);
  im.trusted_proxies = std::move(*trusted);

  boost::system::error_code ec;
  auto address = asio::ip::make_address(im.config.host, ec);
  if (ec) return Error::make(ErrorCode::internal, "invalid listen address: " + im.config.host);

  std::uint16_t port = im.config.port;
  for (unsigned i = 0; i < threads; ++i) {
    im.loops.push_back(std::make_unique<asio::io_context>(1));
    auto listener = std::make_shared<Listener>(*im.loops.back(), im.ctx);
    if (auto st = listener->open({address, port}); !st) return std::move(st).error();
    // With port 0 the first acceptor picks the port; the others join it.
    port = listener->port();
    im.listeners.push_back(std::move(listener));
  }
  for (unsigned i = 0; i < threads; ++i) {
    im.guards.push_back(asio::make_work_guard(*im.loops[i]));
    im.listeners[i]->run();
    im.threads.emplace_back([loop = im.loops[i].get()] {
      for (;;) {
        try {
          loop->run();
          return;
        } catch (const std::exception& e) {
          // A handler threw: a programming error. Log it and keep serving the other sessions.
          SPDLOG_ERROR("event loop handler threw: {}", e.what());
        }
      }
    });
  }
  return port;
}

void HttpServer::begin_drain() {
  auto& im = *impl_;
  if (im.ctx.draining.exchange(true)) return;
  im.registry.for_each([](const std::shared_ptr<EngineSession>& s) { s->shutdown(); });
}

bool HttpServer::draining() const {
  return impl_->ctx.draining.load();
}

std::size_t HttpServer::sessions() const {
  return impl_->registry.size();
}

std::size_t HttpServer::open_websockets() const {
  return impl_->ctx.live_websockets.load();
}

void HttpServer::stop() {
  auto& im = *impl_;
  if (im.stopped) return;
  im.stopped = true;
  for (auto& listener : im.listeners) listener->stop();
  im.guards.clear();
  for (auto& loop : im.loops) loop->stop();
  for (auto& thread : im.threads) {
    if (thread.joinable()) thread.join();
  }
  // Sessions still registered hold references into loops that no longer run; their links
  // hold them back (a cycle the loops would have broken).
  im.registry.for_each([&im](const std::shared_ptr<EngineSession>& s) {
    s->abandon();
    im.registry.remove(s->sid());
  });
}

}  // namespace sudachi::transport

// sudachi-relay: flags -> config -> back end + admin HTTP -> run until SIGTERM has drained.
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <thread>

#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/signal_set.hpp>

#include "auth/relay_token.hpp"
#include "common/crash_log.hpp"
#include "common/fd_limit.hpp"
#include "common/secret_file.hpp"
#include "metrics/registry.hpp"
#include "relay/backend/asio/admin_http.hpp"
#include "relay/backend/asio/asio_relay.hpp"
#include "relay/backend/asio/udp_loop.hpp"
#include "relay/backend/uring/uring_udp_loop.hpp"
#include "relay/relay_metrics.hpp"
#include "relay_options.hpp"
#include "relay_registration.hpp"

namespace {

using namespace sudachi;

void setup_logging(const std::string& level) {
  auto logger = std::make_shared<spdlog::logger>("sudachi-relay",
                                                 std::make_shared<spdlog::sinks::stderr_sink_mt>());
  logger->set_pattern("%Y-%m-%dT%H:%M:%S.%eZ %^%-5l%$ %v", spdlog::pattern_time_type::utc);
  logger->set_level(spdlog::level::from_str(level));
  logger->flush_on(spdlog::level::info);
  spdlog::set_default_logger(std::move(logger));
}

// Written whole, then renamed: a test polling for the file never reads half of it.
void write_port_file(const std::string& path, const relay::BoundPorts& ports) {
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << ports.udp << ' ' << ports.tcp << ' ' << ports.admin << '\n';
    if (!out) throw std::runtime_error("cannot write " + tmp);
  }
  std::filesystem::rename(tmp, path);
}

auth::RelayTokenKeyring make_keyring(const app::RelayOptions& o) {
  const LoadedSecret loaded = load_or_create_secret(o.relay_secrets, o.data_dir, "relay-secret");
  const std::string& text = loaded.secret;
  if (loaded.source == LoadedSecret::Source::generated) {
    spdlog::warn(
        "RELAY_SECRET not set: generated one in {}/relay-secret (give the room servers the same)",
        o.data_dir);
  }
  auto secrets = auth::parse_relay_secrets(text);
  std::string active = secrets.begin()->first;  // the relay only verifies; any id will do
  return auth::RelayTokenKeyring(std::move(secrets), std::move(active));
}

int run(const app::RelayOptions& o) {
  std::signal(SIGPIPE, SIG_IGN);  // a peer that vanished is an EPIPE to handle, not a death
  const auth::RelayTokenKeyring keyring = make_keyring(o);
  relay::UdpIoFactory udp_io = relay::asio_backend::asio_udp_io();
  if (o.backend == "uring") {
    // Probed at start-up: a kernel or sandbox without io_uring is a configuration error.
    if (!relay::uring_backend::uring_available()) {
      spdlog::error(
          "--backend uring: io_uring is not available here (kernel, seccomp); use --backend asio");
      return 2;
    }
    udp_io = relay::uring_backend::uring_udp_io(o.sqpoll);
  }
  metrics::Registry registry;
  relay::RelayMetrics relay_metrics(registry, o.relay.region);
  relay::asio_backend::AsioRelay backend(o.relay, keyring, std::move(udp_io));
  relay::BoundPorts ports = backend.start();

  // With --redis-url: announce this relay to the room servers. Its load is the session
  // budget's count, which the workers keep anyway; read once per heartbeat.
  std::unique_ptr<app::RelayRegistration> registration;
  if (!o.redis_url.empty()) {
    registration = std::make_unique<app::RelayRegistration>(
        o, ports, [&backend] { return backend.budget().active(); }, registry);
  }

  std::atomic<bool> draining{false};
  boost::asio::io_context admin_context;
  relay::asio_backend::AdminHttp admin(
      admin_context, {.ready = [&draining] { return !draining.load(); },
                      .metrics =
                          [&] {
                            relay_metrics.collect(backend.worker_stats(), backend.budget(),
                                                  draining.load());
                            if (registration) registration->collect();
                            return registry.render();
                          }});
  ports.admin = admin.bind(boost::asio::ip::make_address(o.relay.bind_address), o.relay.admin_port);
  admin.start();

  boost::asio::signal_set signals(admin_context, SIGTERM, SIGINT);
  signals.async_wait([&](const boost::system::error_code& ec, int signal) {
    if (ec) return;
    spdlog::info("signal {}: draining", signal);
    draining = true;
    // Out of the registry first, so that no room server allocates new sessions here.
    if (registration) registration->deregister();
    backend.begin_drain();
  });
  std::thread admin_thread([&admin_context] { admin_context.run(); });

  if (!o.port_file.empty()) write_port_file(o.port_file, ports);
  spdlog::info(
      "sudachi-relay {} backend={} id={} region={} public={} udp={} tcp={} admin={} workers={}",
      SUDACHI_VERSION, o.backend, o.relay.relay_id, o.relay.region,
      o.public_host.empty() ? "-" : o.public_host, ports.udp, ports.tcp, ports.admin,
      o.relay.workers == 0 ? std::thread::hardware_concurrency() : o.relay.workers);

  backend.wait();
  admin.close();
  signals.cancel();
  admin_context.stop();
  admin_thread.join();
  registration.reset();  // (already deregistered when drained by a signal)
  spdlog::info("stopped");
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  int exit_code = 0;
  auto options = sudachi::app::parse_relay_options(argc, argv, exit_code);
  if (!options) return exit_code;
  setup_logging(options->log_level);
  sudachi::install_crash_log("sudachi-relay", false);
  // Every TCP session holds two descriptors: take what the hard limit allows.
  spdlog::info("open-file limit {}", sudachi::raise_open_file_limit());
  try {
    return run(*options);
  } catch (const std::exception& e) {
    spdlog::critical("sudachi-relay: {}", e.what());
    return 1;
  }
}

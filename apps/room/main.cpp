// sudachi-room: flags -> configuration -> wiring -> run until SIGTERM -> drain -> exit.
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include <spdlog/spdlog.h>

#include "common/crash_log.hpp"
#include "common/fd_limit.hpp"
#include "config.hpp"
#include "logging.hpp"
#include "server_wiring.hpp"

namespace {

// Blocks the stop signals in every thread (the loops inherit the mask), so that the main
// thread alone receives them, synchronously, with sigtimedwait.
sigset_t block_stop_signals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  std::signal(SIGPIPE, SIG_IGN);
  return set;
}

}  // namespace

int main(int argc, char** argv) {
  int exit_code = 0;
  auto config = sudachi::app::parse_config(argc, argv, exit_code);
  if (!config) return exit_code;

  try {
    sudachi::app::setup_logging(config->log_level, config->log_format);
    sudachi::install_crash_log("sudachi-room", config->log_format == "json");
    // Every connection is a descriptor: take what the hard limit allows.
    const std::size_t open_files = sudachi::raise_open_file_limit();
    spdlog::info("open-file limit {}", open_files);
    const sigset_t stop_signals = block_stop_signals();

    sudachi::app::RoomServer server(*config);
    const std::uint16_t port = server.start();
    spdlog::info("sudachi-room {} listening on http://{}:{} (Socket.IO at /socket.io/, region {})",
                 SUDACHI_VERSION, config->transport.host, port, config->region);
    if (!config->port_file.empty()) {
      // Written whole, then renamed: a reader never sees a partial file.
      const std::string tmp = config->port_file + ".tmp";
      std::ofstream(tmp) << port << "\n";
      std::filesystem::rename(tmp, config->port_file);
    }

    for (;;) {
      timespec tick{1, 0};
      const int sig = sigtimedwait(&stop_signals, nullptr, &tick);
      if (sig == SIGTERM || sig == SIGINT) {
        spdlog::info("received {}, draining for up to {} s", sig == SIGTERM ? "SIGTERM" : "SIGINT",
                     config->drain_grace_s);
        break;
      }
      server.maintenance();
    }
    server.drain_and_stop(std::chrono::seconds(config->drain_grace_s));
    spdlog::info("sudachi-room stopped");
    return 0;
  } catch (const std::exception& e) {
    // Start-up failures (bad configuration, port taken, unwritable data dir) end here.
    spdlog::critical("sudachi-room: {}", e.what());
    std::fprintf(stderr, "sudachi-room: %s\n", e.what());
    return 1;
  }
}

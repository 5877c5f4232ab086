#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "output.hpp"
#include "sudachi/mp.hpp"

// What every sudachi-mp subcommand shares: the common options, starting a client and waiting
// for its connection with progress, waiting for a call's answer, exit codes, and SIGINT/SIGTERM.
namespace sudachi::mp_cli {

// Exit codes (docs/client.md): 0 success; 1 the run did not succeed (too few echoes, no
// path to the peer); 2 usage; 3 no room server reachable; 4 refused by the room server (room
// not found, full, wrong password, banned...); 5 rate limited; 6 identity refused.
enum Exit : int {
  kOk = 0,
  kFailed = 1,
  kUsage = 2,
  kUnreachable = 3,
  kRefused = 4,
  kRateLimited = 5,
  kAuthFailed = 6,
};
int exit_code_for(const mp::Error& error);

struct CommonOptions {
  std::string server = "http://127.0.0.1:8080";
  std::string username = "sudachi-mp";
  bool json = false;
  bool verbose = false;
  std::string ca_file;
  bool relay_only = false;
  std::uint16_t udp_port = 0;
  double connect_timeout_s = 5;
};

// Set by SIGINT / SIGTERM.
extern std::atomic<bool> g_stop_requested;
void install_signal_handlers();

// Collects what poll() hands out, in order, for the commands' loops.
class Inbox : public mp::Handler {
 public:
  std::function<void(const mp::Event&)> on_event_fn;
  std::function<void(std::string_view, std::span<const std::byte>)> on_datagram_fn;
  void on_event(const mp::Event& event) override {
    if (on_event_fn) on_event_fn(event);
  }
  void on_datagram(std::string_view peer, std::span<const std::byte> data) override {
    if (on_datagram_fn) on_datagram_fn(peer, data);
  }
};

// Starts a client and waits until it is signed in to a room server, printing progress. On
// failure prints the error and returns nullptr with `exit_code` set.
std::unique_ptr<mp::Client> connect(const CommonOptions& options, const Output& out, Inbox& inbox,
                                    int& exit_code);

// Pumps events (through `inbox`, whose handlers stay in charge) until the call `id` is done or
// a stop was requested; returns its call_done event (error TIMEOUT when interrupted).
mp::Event await_call(mp::Client& client, Inbox& inbox, mp::RequestId id);

// Prints a connection-state event as progress ("reconnecting to ...: why").
void report_connection(const mp::Event& event, const Output& out);

// What every long-running command shows: connection changes, getting back into the room after
// a reconnect, members coming and going. Returns the error when the room is gone.
std::optional<mp::Error> report_common(const mp::Event& event, const Output& out);

}  // namespace sudachi::mp_cli

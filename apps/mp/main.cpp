// sudachi-mp: the command-line client of libsudachi-mp, for players, for operators checking a
// deployment, and for tests. The output contract (--json lines, exit codes) is documented in
// docs/client.md; checks outside this repository depend on it.
#include <cstdio>

#include <CLI/CLI.hpp>

#include "commands.hpp"
#include "output.hpp"
#include "session.hpp"

int main(int argc, char** argv) {
  using namespace sudachi::mp_cli;
  CommonOptions common;
  RoomsOptions rooms;
  HostOptions host;
  JoinOptions join;
  double host_for = -1;

  CLI::App app{"sudachi-mp: play online through a Sudachi room server; rooms, host, join, probe"};
  app.fallthrough();  // the common options may come after the subcommand too
  app.require_subcommand(1);
  app.add_option("--server", common.server,
                 "Room server URL(s), comma-separated: http(s)://, ws(s)://, or host:port")
      ->envname("SUDACHI_SERVER")
      ->capture_default_str();
  app.add_option("--username", common.username, "Guest name (1..32 characters)")
      ->capture_default_str();
  app.add_flag("--json", common.json, "One JSON object per line on stdout; logs on stderr");
  app.add_flag("--verbose", common.verbose, "Connectivity diagnostics on stderr");
  app.add_option("--ca-file", common.ca_file, "Extra trusted CA certificates (PEM) for https/wss");
  app.add_flag("--relay-only", common.relay_only,
               "Do not look for direct paths: go to the relay at once");
  app.add_option("--udp-port", common.udp_port, "Local UDP port (default: any)");
  app.add_option("--connect-timeout", common.connect_timeout_s,
                 "Seconds for one connection attempt to a room server")
      ->check(CLI::Range(0.1, 120.0))
      ->capture_default_str();
  app.footer(
      "Exit codes: 0 ok; 1 the run failed (no path, too few echoes); 2 usage; 3 no room server "
      "reachable; 4 refused by the server (room not found or full, wrong password...); "
      "5 rate limited; 6 identity refused.");

  auto* rooms_cmd = app.add_subcommand("rooms", "List the public rooms");
  rooms_cmd->add_option("--game", rooms.game_id, "Only this title id (16 hex digits)");

  auto* host_cmd = app.add_subcommand("host", "Create a room and echo every datagram back");
  host_cmd->add_option("--game", host.game_id, "Title id (16 hex digits)")->required();
  host_cmd->add_option("--room-name", host.room_name, "Room name (default: <username>'s room)");
  host_cmd->add_option("--max", host.max_players, "Most players (2..16)")
      ->check(CLI::Range(2, 16))
      ->capture_default_str();
  host_cmd->add_option("--password", host.password, "Room password");
  host_cmd
      ->add_option("--for", host_for, "Stop after this many seconds (default: on SIGINT/SIGTERM)")
      ->check(CLI::Range(0.0, 31'536'000.0));

  auto* join_cmd =
      app.add_subcommand("join", "Join a room and measure datagram echoes with the host");
  join_cmd->add_option("room", join.room_id, "Room id")->required();
  join_cmd->add_option("--password", join.password, "Room password");
  join_cmd->add_option("--count", join.count, "Datagrams to send")
      ->check(CLI::Range(1, 10'000'000))
      ->capture_default_str();
  join_cmd->add_option("--size", join.size, "Bytes per datagram (24..1200)")
      ->check(CLI::Range(24, 1200))
      ->capture_default_str();
  join_cmd->add_option("--rate", join.rate, "Datagrams per second")
      ->check(CLI::Range(1.0, 100'000.0))
      ->capture_default_str();
  join_cmd
      ->add_option("--timeout", join.timeout_s,
                   "Seconds to get connected to the host (server, room and path)")
      ->check(CLI::Range(0.1, 3600.0))
      ->capture_default_str();

  auto* probe_cmd =
      app.add_subcommand("probe", "Public address and NAT behaviour as the relays' STUN sees them");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? kOk : kUsage;
  }
  if (host_for >= 0) host.for_seconds = host_for;

  install_signal_handlers();
  const Output out(common.json);
  if (rooms_cmd->parsed()) return run_rooms(common, rooms, out);
  if (host_cmd->parsed()) return run_host(common, host, out);
  if (join_cmd->parsed()) return run_join(common, join, out);
  if (probe_cmd->parsed()) return run_probe(common, out);
  return kUsage;
}

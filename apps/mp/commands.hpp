#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "output.hpp"
#include "session.hpp"

// The subcommands; each returns the process's exit code (session.hpp).
namespace sudachi::mp_cli {

struct RoomsOptions {
  std::string game_id;
};
int run_rooms(const CommonOptions& common, const RoomsOptions& options, const Output& out);

struct HostOptions {
  std::string game_id;
  std::string room_name;  // empty: "<username>'s room"
  int max_players = 4;
  std::string password;
  std::optional<double> for_seconds;  // unset: until SIGINT/SIGTERM
};
int run_host(const CommonOptions& common, const HostOptions& options, const Output& out);

struct JoinOptions {
  std::string room_id;
  std::string password;
  int count = 1000;
  int size = 200;
  double rate = 200;      // datagrams per second
  double timeout_s = 15;  // to get a path to the host
};
int run_join(const CommonOptions& common, const JoinOptions& options, const Output& out);

int run_probe(const CommonOptions& common, const Output& out);

}  // namespace sudachi::mp_cli

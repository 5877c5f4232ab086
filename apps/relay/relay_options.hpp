#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "relay/relay_config.hpp"

namespace sudachi::app {

struct RelayOptions {
  relay::RelayConfig relay;
  std::string public_host;  // what clients are told to reach (logged; the room server announces it)
  std::string relay_secrets;  // "kid:secret,..." or one secret; empty: <data_dir>/relay-secret
  std::string data_dir = "./sudachi-data";
  std::string backend = "asio";
  bool sqpoll = false;  // uring: kernel-side submission polling
  std::string log_level = "info";
  std::string port_file;

  // Registration in the room servers' Redis relay registry (docs/scaling.md). Empty
  // redis_url: no registration, the relay runs exactly as without these options.
  std::string redis_url;
  std::string redis_prefix;  // the room servers' --redis-prefix
  std::int64_t capacity =
      0;  // sessions announced as capacity (default: --max-sessions; 0: no limit)
  double registry_interval_s = 3;
  double registry_ttl_s = 10;
};

// Flags and environment; prints help or an error and sets exit_code when it returns nullopt.
std::optional<RelayOptions> parse_relay_options(int argc, char** argv, int& exit_code);

}  // namespace sudachi::app

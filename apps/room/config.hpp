#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "room/relay_directory.hpp"
#include "transport/transport_config.hpp"

namespace sudachi::app {

// Everything sudachi-room can be told, by flag or environment variable.
struct RoomServerConfig {
  transport::TransportConfig transport;
  std::string port_file;
  std::string data_dir = "./sudachi-data";
  std::string jwt_secret;     // empty: generated and kept in data_dir
  std::string relay_secrets;  // "kid:secret,..." or one secret; empty: generated in data_dir
  std::string relay_key_id;   // which key signs; default: the first listed
  std::vector<room::RelayEndpoint> relays;
  std::string region = "local";
  std::string database_url;  // empty or sqlite:PATH: embedded SQLite; postgres://: production
  std::string redis_url;     // empty: in-process state
  // Scale-out (REDIS_URL set; docs/scaling.md).
  std::string redis_prefix;  // prepended to every Redis key and channel
  std::string instance_id;   // empty: <hostname>-<pid>-<random>
  int presence_ttl_s = 15;   // a dead instance's clients count as gone after this
  // Relays come from the Redis registry (relays register themselves) instead of --relay:
  // with --relay-registry, or by default when REDIS_URL is set and --relay/RELAYS is not.
  bool relay_registry = false;
  bool relays_given = false;  // --relay / RELAYS was set explicitly
  std::string log_level = "info";
  std::string log_format = "json";
  std::int64_t token_lifetime_s = 7 * 24 * 3600;
  // The longest any accepted client token may live (auth::JwtSettings::max_lifetime_seconds);
  // token_lifetime_s must not exceed it, or the server would refuse its own tokens.
  std::int64_t jwt_max_lifetime_s = 30 * 24 * 3600;
  std::int64_t relay_token_lifetime_s = 60;
  std::uint32_t drain_grace_s = 10;

  bool rate_limits = true;
  int rate_limit_points = 100;
  int rate_limit_window_s = 60;
  int rate_limit_block_s = 300;
  int conn_rate_per_min = 120;
  int guest_rate_per_min = 30;
  int relay_rate_per_min = 10;
};

// Parses flags (with environment fallbacks). Returns nullopt after printing help or an error;
// `exit_code` says how the process should exit then.
std::optional<RoomServerConfig> parse_config(int argc, char** argv, int& exit_code);

// "host:udp[/tcp][@region][#id]"; throws std::invalid_argument on bad input (start-up only).
room::RelayEndpoint parse_relay(const std::string& text, const std::string& default_region);

}  // namespace sudachi::app

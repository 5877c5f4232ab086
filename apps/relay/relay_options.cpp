#include "relay_options.hpp"

#include <cmath>
#include <cstdio>

#include <CLI/CLI.hpp>

#include "storage/redis/redis_options.hpp"

namespace sudachi::app {

std::optional<RelayOptions> parse_relay_options(int argc, char** argv, int& exit_code) {
  RelayOptions o;
  auto& r = o.relay;
  double pairing_s = 30, idle_s = 60, drain_s = 30, data_idle_s = 300, lifetime_s = 86'400;
  double bandwidth_kbps = 0;
  unsigned workers = 0;

  CLI::App app{
      "sudachi-relay: token-paired UDP/TCP relay and STUN Binding server for Sudachi multiplayer "
      "(protocol: docs/relay-protocol.md). Every option can also be set by the environment "
      "variable "
      "named in brackets."};
  // The last of repeated flags wins, so a wrapper can append overrides.
  app.option_defaults()->always_capture_default()->multi_option_policy(
      CLI::MultiOptionPolicy::TakeLast);
  app.add_option("--bind", r.bind_address, "Address to listen on (0.0.0.0, or :: for dual stack)")
      ->envname("BIND");
  app.add_option(
         "--udp-port", r.udp_port,
         "Main UDP port (handshakes, STUN); worker i also uses udp-port + i. 0 picks free ports")
      ->envname("UDP_PORT");
  app.add_option("--tcp-port", r.tcp_port, "TCP port (0 picks a free one)")->envname("TCP_PORT");
  app.add_option("--admin-port", r.admin_port, "HTTP /health /ready /metrics (0 picks a free one)")
      ->envname("ADMIN_PORT");
  app.add_option("--port-file", o.port_file,
                 "Write \"udp tcp admin\" bound ports to this file once listening")
      ->envname("PORT_FILE");
  app.add_option("--public-host", o.public_host, "Host name or address clients reach this relay at")
      ->envname("PUBLIC_HOST");
  app.add_option("--relay-id", r.relay_id, "This relay's id; tokens must name it")
      ->envname("RELAY_ID")
      ->check([](const std::string& v) {
        return v.empty() || v.size() > 64 ? "1..64 characters" : "";
      });
  app.add_option("--region", r.region, "Region label (relay_bandwidth_bytes_total{server_region})")
      ->envname("REGION");
  app.add_option("--relay-secret", o.relay_secrets,
                 "Relay token secret, or kid:secret,kid:secret for rotation (default: "
                 "<data-dir>/relay-secret, "
                 "shared with an embedded sudachi-room, created if absent)")
      ->envname("RELAY_SECRET");
  app.add_option("--data-dir", o.data_dir, "Where relay-secret lives")->envname("DATA_DIR");
  app.add_option("--workers", workers, "Worker threads (0: one per core)")
      ->envname("WORKERS")
      ->check(CLI::Range(0u, 256u));
  app.add_option("--max-sessions", r.max_sessions, "Open sessions at most (then OVER_CAPACITY)")
      ->envname("MAX_SESSIONS")
      ->check(CLI::Range(std::int64_t{1}, std::int64_t{10'000'000}));
  app.add_option("--max-sessions-per-ip", r.max_sessions_per_ip,
                 "Session slots bound from one IP (IPv6: one /64), paired or waiting; then "
                 "OVER_CAPACITY (0: no cap)")
      ->envname("MAX_SESSIONS_PER_IP")
      ->check(CLI::Range(0u, 10'000'000u));
  app.add_option("--max-waiting-per-ip", r.max_waiting_per_ip,
                 "Sessions from one IP waiting for their second peer, and TCP connections from "
                 "one IP whose HELLO is not in yet (each); then OVER_CAPACITY (0: no cap)")
      ->envname("MAX_WAITING_PER_IP")
      ->check(CLI::Range(0u, 10'000'000u));
  app.add_option("--session-bandwidth-kbps", bandwidth_kbps,
                 "Per-session limit, both directions (0: none)")
      ->envname("SESSION_BANDWIDTH_KBPS")
      ->check(CLI::Range(0.0, 100'000'000.0));
  app.add_option("--pairing-timeout-s", pairing_s, "Drop a session whose second peer does not come")
      ->envname("PAIRING_TIMEOUT_S")
      ->check(CLI::Range(0.1, 86'400.0));
  app.add_option("--idle-timeout-s", idle_s, "Close a session silent in both directions")
      ->envname("IDLE_TIMEOUT_S")
      ->check(CLI::Range(0.1, 86'400.0));
  app.add_option("--data-idle-timeout-s", data_idle_s,
                 "Close a paired UDP session with no DATA for this long, keepalives or not "
                 "(0: never)")
      ->envname("DATA_IDLE_TIMEOUT_S")
      ->check(CLI::Range(0.0, 31'536'000.0));
  app.add_option("--max-session-lifetime-s", lifetime_s,
                 "Close any session this long after it opened (0: no limit)")
      ->envname("MAX_SESSION_LIFETIME_S")
      ->check(CLI::Range(0.0, 31'536'000.0));
  app.add_option(
         "--handshake-rate-per-s", r.handshake_rate_per_s,
         "Handshakes and STUN requests per source IP per second (burst: twice; 0: unlimited)")
      ->envname("HANDSHAKE_RATE_PER_S")
      ->check(CLI::Range(0.0, 1'000'000.0));
  app.add_option("--drain-grace-s", drain_s, "On SIGTERM, how long running sessions may go on")
      ->envname("DRAIN_GRACE_S")
      ->check(CLI::Range(0.0, 86'400.0));
  app.add_option("--backend", o.backend,
                 "I/O back end: asio (portable: recvmmsg/sendmmsg) or uring (Linux io_uring for "
                 "UDP: multishot "
                 "receive into a provided buffer ring). TCP uses splice(2) with both")
      ->envname("BACKEND")
      ->check(CLI::IsMember({"asio", "uring"}));
  app.add_flag("--sqpoll", o.sqpoll,
               "uring: let a kernel thread poll the submission queue (costs a core)")
      ->envname("SQPOLL");
  std::int64_t capacity = -1;
  app.add_option(
         "--redis-url", o.redis_url,
         "redis://[[user]:password@]host[:port][/db] of the room servers: register this relay in "
         "their "
         "relay registry and heartbeat its load (needs --public-host). Default: no registration")
      ->envname("REDIS_URL");
  app.add_option("--redis-prefix", o.redis_prefix,
                 "The room servers' --redis-prefix (prefix of every Redis key)")
      ->envname("REDIS_PREFIX");
  app.add_option("--capacity", capacity,
                 "Sessions announced to the registry as this relay's capacity (default: "
                 "--max-sessions; 0: no limit)")
      ->envname("CAPACITY")
      ->check(CLI::Range(std::int64_t{0}, std::int64_t{10'000'000}))
      ->default_str("--max-sessions");
  app.add_option(
         "--registry-interval-s", o.registry_interval_s,
         "With --redis-url: seconds between heartbeats (each carries the active session count)")
      ->envname("REGISTRY_INTERVAL_S")
      ->check(CLI::Range(0.05, 3'600.0));
  app.add_option(
         "--registry-ttl-s", o.registry_ttl_s,
         "With --redis-url: a relay silent this long is no longer allocated (above the interval)")
      ->envname("REGISTRY_TTL_S")
      ->check(CLI::Range(0.1, 86'400.0));
  app.add_option("--log-level", o.log_level, "trace, debug, info, warn, error")
      ->envname("LOG_LEVEL")
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error", "critical", "off"}));

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    exit_code = app.exit(e);
    return std::nullopt;
  }
  auto refuse = [&exit_code](const char* why) {
    std::fprintf(stderr, "sudachi-relay: %s\n", why);
    exit_code = 2;
    return std::nullopt;
  };
  if (!o.redis_url.empty()) {
    // The parser's message never repeats the URL (it may hold a password).
    if (auto url = storage::redis::parse_redis_url(o.redis_url); !url) {
      const std::string why = "--redis-url: " + url.error().message;
      return refuse(why.c_str());
    }
    if (o.public_host.empty()) {
      return refuse(
          "--redis-url needs --public-host (PUBLIC_HOST): the address the room servers give "
          "clients "
          "for this relay");
    }
    if (o.redis_prefix.find_first_of("{}") != std::string::npos) {
      return refuse("--redis-prefix must not contain { or }");
    }
    if (r.relay_id.find_first_of("{}") != std::string::npos)
      return refuse("--relay-id must not contain { or }");
    if (r.region.empty() || r.region.find_first_of("{}") != std::string::npos) {
      return refuse("--region must be non-empty, without { or }");
    }
    if (o.registry_ttl_s <= o.registry_interval_s) {
      return refuse("--registry-ttl-s must be above --registry-interval-s");
    }
  }
  o.capacity = capacity < 0 ? r.max_sessions : capacity;
  r.workers = workers;
  r.limits.pairing_timeout_ms = std::llround(pairing_s * 1000);
  r.limits.idle_timeout_ms = std::llround(idle_s * 1000);
  r.limits.bandwidth_bytes_per_s = bandwidth_kbps * 1000 / 8;
  r.limits.data_idle_timeout_ms = std::llround(data_idle_s * 1000);
  r.limits.max_lifetime_ms = std::llround(lifetime_s * 1000);
  // A datagram "from" the relay's public address to its own port is spoofed (a NAT hairpin
  // would loop it back): a literal address here joins the source filter's local list.
  if (!o.public_host.empty()) r.extra_local_addresses.push_back(o.public_host);
  r.drain_grace_ms = std::llround(drain_s * 1000);
  r.handshake_burst = 2 * r.handshake_rate_per_s;
  return o;
}

}  // namespace sudachi::app

#include "config.hpp"

#include <charconv>
#include <stdexcept>
#include <string>

#include <CLI/CLI.hpp>

namespace sudachi::app {
namespace {

std::uint16_t parse_port(std::string_view text, const std::string& what) {
  unsigned value = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || ptr != text.data() + text.size() || value == 0 || value > 65535) {
    throw std::invalid_argument("invalid port in " + what);
  }
  return static_cast<std::uint16_t>(value);
}

std::vector<std::string> split(const std::string& text, char sep) {
  std::vector<std::string> parts;
  std::string current;
  for (char c : text) {
    if (c == sep) {
      if (!current.empty()) parts.push_back(current);
      current.clear();
    } else if (c != ' ') {
      current.push_back(c);
    }
  }
  if (!current.empty()) parts.push_back(current);
  return parts;
}

}  // namespace

room::RelayEndpoint parse_relay(const std::string& text, const std::string& default_region) {
  room::RelayEndpoint relay;
  std::string rest = text;
  if (auto hash = rest.find('#'); hash != std::string::npos) {
    relay.id = rest.substr(hash + 1);
    rest.resize(hash);
  }
  relay.region = default_region;
  if (auto at = rest.find('@'); at != std::string::npos) {
    relay.region = rest.substr(at + 1);
    rest.resize(at);
  }
  auto colon = rest.rfind(':');
  if (colon == std::string::npos || colon == 0)
    throw std::invalid_argument("relay needs host:port: " + text);
  relay.host = rest.substr(0, colon);
  if (relay.host.size() > 2 && relay.host.front() == '[' && relay.host.back() == ']') {
    relay.host = relay.host.substr(1, relay.host.size() - 2);
  }
  std::string ports = rest.substr(colon + 1);
  if (auto slash = ports.find('/'); slash != std::string::npos) {
    relay.udp_port = parse_port(ports.substr(0, slash), text);
    relay.tcp_port = parse_port(ports.substr(slash + 1), text);
  } else {
    relay.udp_port = relay.tcp_port = parse_port(ports, text);
  }
  if (relay.id.empty()) relay.id = relay.host + ":" + std::to_string(relay.udp_port);
  if (relay.region.empty() || relay.id.size() > 64)
    throw std::invalid_argument("bad relay: " + text);
  return relay;
}

std::optional<RoomServerConfig> parse_config(int argc, char** argv, int& exit_code) {
  RoomServerConfig c;
  auto& t = c.transport;
  std::string relays;
  bool no_rate_limits = false;

  CLI::App app{
      "sudachi-room: lobby, rooms, P2P signaling and relay allocation for Sudachi "
      "multiplayer (Socket.IO v5). Every option can also be set by the environment "
      "variable named in brackets."};
  app.option_defaults()->always_capture_default();
  app.add_option("--host", t.host, "Address to listen on")->envname("HOST");
  app.add_option("--port", t.port, "HTTP and Socket.IO port (0 picks a free one)")->envname("PORT");
  app.add_option("--port-file", c.port_file, "Write the bound port to this file once listening")
      ->envname("PORT_FILE");
  app.add_option("--threads", t.threads, "Event loops (0: one per core)")->envname("THREADS");
  app.add_option("--data-dir", c.data_dir, "Where the SQLite file and generated secrets live")
      ->envname("DATA_DIR");
  app.add_option("--jwt-secret", c.jwt_secret,
                 "HS256 secret for client tokens (default: generated, kept in the data dir)")
      ->envname("JWT_SECRET");
  app.add_option("--relay-secret", c.relay_secrets,
                 "Relay token secret, or kid:secret,kid:secret for rotation (default: generated)")
      ->envname("RELAY_SECRET");
  app.add_option("--relay-key-id", c.relay_key_id, "Key id that signs new relay tokens")
      ->envname("RELAY_KEY_ID");
  app.add_option("--relay", relays,
                 "Relays as host:udpPort[/tcpPort][@region][#id], comma-separated "
                 "(default: 127.0.0.1:3478, the local relay; \"none\" for no relay)")
      ->envname("RELAYS");
  app.add_option("--region", c.region, "This server's region")->envname("REGION");
  app.add_option("--database-url", c.database_url,
                 "sqlite:PATH (default: <data-dir>/sudachi.db) or postgres://...")
      ->envname("DATABASE_URL");
  app.add_option("--redis-url", c.redis_url,
                 "redis://host:port for shared state (default: in-process)")
      ->envname("REDIS_URL");
  app.add_option("--redis-prefix", c.redis_prefix,
                 "Prefix of every Redis key and channel (e.g. sudachi:), to share a Redis")
      ->envname("REDIS_PREFIX");
  app.add_option("--instance-id", c.instance_id,
                 "This instance's id in Redis (default: hostname-pid-random); [A-Za-z0-9._-]")
      ->envname("INSTANCE_ID");
  app.add_option("--presence-ttl-s", c.presence_ttl_s,
                 "With Redis: a killed instance's clients count as gone after this many seconds")
      ->envname("PRESENCE_TTL_S")
      ->check(CLI::Range(2, 3600));
  app.add_flag(
         "--relay-registry", c.relay_registry,
         "Allocate relays registered in Redis (default when REDIS_URL is set and --relay is not)")
      ->envname("RELAY_REGISTRY");
  app.add_option("--log-level", c.log_level, "trace, debug, info, warn, error")
      ->envname("LOG_LEVEL")
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error", "critical", "off"}));
  app.add_option("--log-format", c.log_format, "json or text")
      ->envname("LOG_FORMAT")
      ->check(CLI::IsMember({"json", "text"}));
  app.add_option("--ping-interval-ms", t.ping_interval_ms, "Engine.IO ping interval")
      ->envname("PING_INTERVAL_MS")
      ->check(CLI::Range(100u, 600'000u));
  app.add_option("--ping-timeout-ms", t.ping_timeout_ms, "Engine.IO ping timeout")
      ->envname("PING_TIMEOUT_MS")
      ->check(CLI::Range(100u, 600'000u));
  app.add_option("--max-payload", t.max_payload, "Largest Engine.IO message or POST body (bytes)")
      ->envname("MAX_PAYLOAD")
      ->check(CLI::Range(1024ull, 100'000'000ull));
  app.add_option("--trust-proxy", t.trusted_proxies,
                 "Reverse proxies as CIDR blocks (127.0.0.1/32,10.0.0.0/8): connections from them "
                 "name the client in X-Forwarded-For (the right-most entry that is not a proxy)")
      ->envname("TRUST_PROXY");
  app.add_option("--cors-origins", t.cors_origins,
                 "Browser origins allowed cross-origin and on the WebSocket "
                 "(https://example.org,...; * for any)")
      ->envname("CORS_ORIGINS")
      ->delimiter(',');
  app.add_option("--max-connections", t.max_connections,
                 "Open TCP connections at most (0: the descriptor limit minus headroom)")
      ->envname("MAX_CONNECTIONS");
  app.add_option("--max-connections-per-ip", t.max_connections_per_ip,
                 "Open TCP connections per client address (trusted proxies exempt; 0: no cap)")
      ->envname("MAX_CONNECTIONS_PER_IP");
  app.add_option("--http-idle-timeout-ms", t.http_idle_timeout_ms,
                 "Keep-alive wait for the next HTTP request")
      ->envname("HTTP_IDLE_TIMEOUT_MS")
      ->check(CLI::Range(1'000u, 3'600'000u));
  app.add_option("--http-header-timeout-ms", t.http_header_timeout_ms,
                 "Time for a whole request to arrive once it started (slow clients are cut)")
      ->envname("HTTP_HEADER_TIMEOUT_MS")
      ->check(CLI::Range(1'000u, 3'600'000u));
  app.add_option("--token-lifetime-s", c.token_lifetime_s, "Lifetime of guest tokens")
      ->envname("TOKEN_LIFETIME_S")
      ->check(CLI::Range(60, 365 * 24 * 3600));
  app.add_option("--jwt-max-lifetime-s", c.jwt_max_lifetime_s,
                 "Longest lifetime of an accepted client token (exp - iat, and exp - now); "
                 "at least --token-lifetime-s")
      ->envname("JWT_MAX_LIFETIME_S")
      ->check(CLI::Range(60, 365 * 24 * 3600));
  app.add_option("--relay-token-lifetime-s", c.relay_token_lifetime_s,
                 "How long a relay token may start a session")
      ->envname("RELAY_TOKEN_LIFETIME_S")
      ->check(CLI::Range(5, 3600));
  app.add_option("--drain-grace-s", c.drain_grace_s, "On SIGTERM, seconds to let clients go")
      ->envname("DRAIN_GRACE_S")
      ->check(CLI::Range(0u, 3600u));
  app.add_option("--rate-limit-points", c.rate_limit_points, "Requests per client per window")
      ->envname("RATE_LIMIT_POINTS")
      ->check(CLI::Range(1, 1'000'000));
  app.add_option("--rate-limit-window-s", c.rate_limit_window_s, "Rate-limit window")
      ->envname("RATE_LIMIT_WINDOW_S")
      ->check(CLI::Range(1, 86'400));
  app.add_option("--rate-limit-block-s", c.rate_limit_block_s, "Block after exceeding the limit")
      ->envname("RATE_LIMIT_BLOCK_S")
      ->check(CLI::Range(0, 86'400));
  app.add_option("--conn-rate-per-min", c.conn_rate_per_min, "New connections per IP per minute")
      ->envname("CONN_RATE_PER_MIN")
      ->check(CLI::Range(1, 1'000'000));
  app.add_option("--guest-rate-per-min", c.guest_rate_per_min, "Guest sign-ups per IP per minute")
      ->envname("GUEST_RATE_PER_MIN")
      ->check(CLI::Range(1, 1'000'000));
  app.add_option("--relay-rate-per-min", c.relay_rate_per_min,
                 "Relay allocations per client per minute")
      ->envname("RELAY_RATE_PER_MIN")
      ->check(CLI::Range(1, 1'000'000));
  app.add_flag("--no-rate-limits", no_rate_limits, "Switch every rate limit off (load tests)")
      ->envname("NO_RATE_LIMITS");

  try {
    app.parse(argc, argv);
    c.rate_limits = !no_rate_limits;
    c.relays_given = !relays.empty();
    if (c.relay_registry && c.redis_url.empty()) {
      throw std::invalid_argument("--relay-registry needs --redis-url (REDIS_URL)");
    }
    if (!c.redis_url.empty() && !c.relays_given) c.relay_registry = true;
    if (c.token_lifetime_s > c.jwt_max_lifetime_s) {
      throw std::invalid_argument("--token-lifetime-s (" + std::to_string(c.token_lifetime_s) +
                                  ") exceeds --jwt-max-lifetime-s (" +
                                  std::to_string(c.jwt_max_lifetime_s) +
                                  "): every guest token would be refused");
    }
    if (c.redis_prefix.find_first_of("{}") != std::string::npos) {
      throw std::invalid_argument("--redis-prefix must not contain { or }");
    }
    if (relays == "none") {
      // No relay at all: p2p:failure answers NO_RELAY_AVAILABLE.
    } else if (relays.empty()) {
      c.relays.push_back(room::RelayEndpoint{"local", "127.0.0.1", 3478, 3478, c.region});
    } else {
      for (const auto& item : split(relays, ',')) c.relays.push_back(parse_relay(item, c.region));
    }
  } catch (const CLI::ParseError& e) {
    exit_code = app.exit(e);
    return std::nullopt;
  } catch (const std::invalid_argument& e) {
    std::fprintf(stderr, "sudachi-room: %s\n", e.what());
    exit_code = 2;
    return std::nullopt;
  }
  return c;
}

}  // namespace sudachi::app

#include "server_wiring.hpp"

#include <filesystem>
#include <stdexcept>
#include <thread>

#include <spdlog/spdlog.h>
#include <boost/asio/post.hpp>
#include <boost/asio/thread_pool.hpp>

#include "api/room_http_api.hpp"
#include "auth/jwt.hpp"
#include "auth/relay_token.hpp"
#include "common/clock.hpp"
#include "common/secret_file.hpp"
#include "metrics/process_metrics.hpp"
#include "metrics/registry.hpp"
#include "room/room_metrics.hpp"
#include "room/room_service_impl.hpp"
#include "state_adapters.hpp"
#include "storage/history/batching_history_sink.hpp"
#include "storage/history/lazy_history_backend.hpp"
#include "storage/postgres/postgres_history_backend.hpp"
#include "storage/sqlite/sqlite_history_backend.hpp"
#include "transport/http_server.hpp"

namespace sudachi::app {
namespace {

bool is_postgres_url(const std::string& url) {
  return url.rfind("postgres://", 0) == 0 || url.rfind("postgresql://", 0) == 0;
}

// History goes to PostgreSQL when DATABASE_URL names one; otherwise (embedded mode) to a
// SQLite file, <data_dir>/sudachi.db unless DATABASE_URL is sqlite:PATH. PostgreSQL is opened
// in the background (LazyHistoryBackend): the server starts and serves rooms while it is down.
// A SQLite file is local: failing to open it is a configuration error, reported at start.
std::unique_ptr<storage::BatchingHistorySink> open_history(const RoomServerConfig& config) {
  const std::string& url = config.database_url;
  if (is_postgres_url(url)) {
    // The URL carries a password: it is never logged.
    auto backend = std::make_unique<storage::LazyHistoryBackend>(
        "PostgreSQL", [url]() -> Result<std::unique_ptr<storage::HistoryBackend>> {
          auto opened = storage::open_postgres_history(url);
          if (!opened) return std::move(opened).error();
          return std::unique_ptr<storage::HistoryBackend>(std::move(*opened));
        });
    spdlog::info("history: PostgreSQL (connecting in the background)");
    storage::BatchingHistorySinkOptions options;
    options.probe_at_start = true;
    return std::make_unique<storage::BatchingHistorySink>(std::move(backend), options);
  }
  std::string path;
  if (url.empty()) {
    path = (std::filesystem::path(config.data_dir) / "sudachi.db").string();
  } else if (url.rfind("sqlite:", 0) == 0) {
    path = url.substr(std::string_view("sqlite:").size());
  } else {
    throw std::runtime_error(
        "DATABASE_URL must be postgres://..., postgresql://... or sqlite:PATH");
  }
  auto backend = storage::open_sqlite_history(path);
  if (!backend)
    throw std::runtime_error("cannot open history database " + path + ": " +
                             backend.error().message);
  spdlog::info("history: SQLite file {}", path);
  return std::make_unique<storage::BatchingHistorySink>(std::move(*backend));
}

// Copies the history writer's own counters into the registry once a second (storage does not
// depend on the metrics library).
struct HistoryMetrics {
  explicit HistoryMetrics(metrics::Registry& r)
      : written(r.counter("sudachi_history_rows_written_total",
                          "History rows committed to the database")),
        dropped(r.counter("sudachi_history_rows_dropped_total",
                          "History rows dropped: queue full, or still queued at shutdown")),
        rejected(r.counter("sudachi_history_rows_rejected_total",
                           "History rows the database refused as unstorable")),
        failures(
            r.counter("sudachi_history_write_failures_total", "Failed history write attempts")),
        depth(r.gauge("sudachi_history_queue_depth", "History rows waiting to be written")),
        up(r.gauge("sudachi_history_up",
                   "1 while the history database takes writes (it does not gate /ready)")) {}

  void update(const storage::HistorySinkStats& s, bool healthy) {
    up.set(healthy ? 1.0 : 0.0);
    advance(written, last_written, s.rows_written.load());
    advance(dropped, last_dropped, s.rows_dropped.load());
    advance(rejected, last_rejected, s.rows_rejected.load());
    advance(failures, last_failures, s.write_failures.load());
    depth.set(static_cast<double>(s.queue_depth.load()));
  }

  static void advance(metrics::Counter& c, std::uint64_t& last, std::uint64_t now) {
    if (now > last) c.inc(static_cast<double>(now - last));
    last = now;
  }

  metrics::Counter& written;
  metrics::Counter& dropped;
  metrics::Counter& rejected;
  metrics::Counter& failures;
  metrics::Gauge& depth;
  metrics::Gauge& up;
  std::uint64_t last_written = 0, last_dropped = 0, last_rejected = 0, last_failures = 0;
};

}  // namespace

struct RoomServer::Parts {
  explicit Parts(const RoomServerConfig& c);

  RoomServerConfig config;
  SystemClock clock;
  metrics::Registry registry;
  metrics::ProcessMetrics process_metrics;
  HistoryMetrics history_metrics;

  auth::JwtSettings jwt_settings;
  auth::JwtVerifier jwt;
  auth::JwtIssuer issuer;
  auth::RelayTokenKeyring keyring;

  std::unique_ptr<storage::BatchingHistorySink> history;
  StateAdapters state;  // in-process, or Redis when REDIS_URL is set

  // Password hashing costs milliseconds by design: it runs here, never on an event loop.
  boost::asio::thread_pool cpu_pool{2};

  room::RoomMetrics room_metrics;
  room::RoomServiceImpl service;
  api::RoomHttpApi api;
  transport::HttpServer server;
};

namespace {

auth::JwtSettings jwt_settings_for(const RoomServerConfig& config) {
  auth::JwtSettings s;
  s.max_lifetime_seconds = config.jwt_max_lifetime_s;
  const LoadedSecret loaded =
      load_or_create_secret(config.jwt_secret, config.data_dir, "jwt-secret");
  s.secret = loaded.secret;
  if (loaded.source == LoadedSecret::Source::generated) {
    spdlog::warn("JWT_SECRET not set: generated one in {}/jwt-secret", config.data_dir);
  } else if (loaded.source == LoadedSecret::Source::file) {
    spdlog::info("JWT_SECRET not set: using {}/jwt-secret", config.data_dir);
  }
  if (s.secret.size() < 32)
    spdlog::warn("JWT_SECRET is shorter than 32 bytes; use a longer one in production");
  return s;
}

auth::RelayTokenKeyring keyring_for(const RoomServerConfig& config) {
  const LoadedSecret loaded =
      load_or_create_secret(config.relay_secrets, config.data_dir, "relay-secret");
  const std::string& text = loaded.secret;
  if (loaded.source == LoadedSecret::Source::generated)
    spdlog::warn("RELAY_SECRET not set: generated one in {}/relay-secret (give the relay the same)",
                 config.data_dir);
  auto secrets = auth::parse_relay_secrets(text);
  std::string active = config.relay_key_id.empty() ? secrets.begin()->first : config.relay_key_id;
  if (!secrets.contains(active))
    throw std::runtime_error("RELAY_KEY_ID '" + active + "' is not among the relay secrets");
  return auth::RelayTokenKeyring(std::move(secrets), std::move(active));
}

}  // namespace

RoomServer::Parts::Parts(const RoomServerConfig& c)
    : config(c),
      process_metrics(registry),
      history_metrics(registry),
      jwt_settings(jwt_settings_for(c)),
      jwt(jwt_settings),
      issuer(jwt_settings),
      keyring(keyring_for(c)),
      history(open_history(c)),
      state(c, clock, registry),
      room_metrics(registry),
      service(room::RoomServiceImpl::Dependencies{
          .store = state.store(),
          .delivery = state.delivery(),
          .history = *history,
          .event_limiter = state.event_limiter(),
          .relay_limiter = state.relay_limiter(),
          .relays = state.relays(),
          .relay_keys = keyring,
          .metrics = room_metrics,
          .clock = clock,
          .offload =
              [this](std::function<void()> work) { boost::asio::post(cpu_pool, std::move(work)); },
          .region = c.region,
          .relay_token_lifetime_ms = c.relay_token_lifetime_s * 1000,
          .server_version = SUDACHI_VERSION,
          .shared_state = !c.redis_url.empty(),
          .relay_sessions = state.relay_sessions(),
          .room_resume_secret = jwt_settings.secret,
          .password_attempts = {.enabled = c.rate_limits},
      }),
      api(api::RoomHttpApi::Dependencies{
          .store = state.store(),
          .history = *history,
          .guest_limiter = state.guest_limiter(),
          .issuer = issuer,
          .metrics = registry,
          .clock = clock,
          .draining = [this] { return server.draining(); },
          .state_healthy = [this] { return state.healthy(); },
          .token_lifetime_s = c.token_lifetime_s,
      }),
      server(c.transport, transport::HttpServer::Dependencies{
                              .service = service,
                              .jwt = jwt,
                              .connection_limiter = state.connection_limiter(),
                              .event_limiter = state.event_limiter(),
                              .api = api,
                              .metrics = registry,
                              .clock = clock,
                          }) {
  // Members whose instance died and who did not reconnect anywhere leave their rooms.
  state.start_presence_sweep(
      [this](std::string client_id) { service.evict_disconnected(client_id); });
}

RoomServer::RoomServer(const RoomServerConfig& config) {
  std::filesystem::create_directories(config.data_dir);
  parts_ = std::make_unique<Parts>(config);
}

RoomServer::~RoomServer() {
  if (!parts_) return;
  parts_->server.stop();
  parts_->state.quiesce();
}

std::uint16_t RoomServer::start() {
  auto port = parts_->server.start();
  if (!port) throw std::runtime_error(port.error().message);
  return *port;
}

void RoomServer::maintenance() {
  Parts& p = *parts_;
  p.state.maintenance();
  p.process_metrics.update();
  p.history_metrics.update(p.history->stats(), p.history->healthy());
}

void RoomServer::drain_and_stop(std::chrono::seconds grace) {
  Parts& p = *parts_;
  p.service.begin_drain();
  p.server.begin_drain();
  const auto deadline = std::chrono::steady_clock::now() + grace;
  // Sessions end first; their WebSocket close handshakes finish a round trip later.
  while ((p.server.sessions() > 0 || p.server.open_websockets() > 0) &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  if (p.server.sessions() > 0)
    spdlog::warn("drain grace over with {} sessions left", p.server.sessions());
  p.server.stop();
  p.cpu_pool.join();
  p.state.quiesce();
  p.history->stop();
}

}  // namespace sudachi::app

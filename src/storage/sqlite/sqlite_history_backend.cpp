#include "storage/sqlite/sqlite_history_backend.hpp"

#include <algorithm>
#include <climits>
#include <optional>
#include <utility>

#include "storage/history/history_format.hpp"
#include "storage/sqlite/sqlite_schema.hpp"

namespace sudachi::storage {
namespace {

// The WHERE keeps a late, older sighting (a retried batch racing a newer one) from moving
// last_seen or the client's details backwards. created_at is set by the first sighting only.
constexpr const char* kUpsertClient = R"sql(
INSERT INTO clients (id, username, created_at, last_seen, platform, sudachi_version)
VALUES (?1, ?2, ?3, ?3, ?4, ?5)
ON CONFLICT (id) DO UPDATE SET
  username = excluded.username,
  last_seen = excluded.last_seen,
  platform = excluded.platform,
  sudachi_version = excluded.sudachi_version
WHERE excluded.last_seen >= clients.last_seen)sql";

// A room closes once, so its id identifies the row: a retried batch inserts nothing twice.
// ON CONFLICT (id) DO NOTHING rather than INSERT OR IGNORE, which would also silently skip
// rows breaking NOT NULL; this way only the duplicate id is ignored.
constexpr const char* kInsertRoom = R"sql(
INSERT INTO room_history (id, game_id, host_client_id, max_players, actual_players, created_at,
                          closed_at, duration_seconds, region, connection_types)
VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)
ON CONFLICT (id) DO NOTHING)sql";

constexpr const char* kInsertMetric = R"sql(
INSERT INTO connection_metrics (client_id, room_id, connection_type, latency_ms,
                                packet_loss_rate, bandwidth_kbps, recorded_at)
VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7))sql";

Status bind_client(sqlite::Statement& stmt, const room::ClientRow& row) {
  stmt.bind_text(1, row.client_id);
  stmt.bind_text(2, row.username);
  stmt.bind_text(3, format_utc_timestamp(row.seen_at_ms));
  stmt.bind_text(4, row.platform);
  stmt.bind_text(5, row.sudachi_version);
  return stmt.run();
}

// closed_at 0 means the close time is unknown: NULL, and no duration.
Status bind_room(sqlite::Statement& stmt, const room::RoomHistoryRow& row) {
  stmt.bind_text(1, row.room_id);
  stmt.bind_text(2, row.game_id);
  stmt.bind_text_or_null(3, row.host_client_id);
  stmt.bind_int(4, row.max_players);
  stmt.bind_int(5, row.actual_players);
  stmt.bind_text(6, format_utc_timestamp(row.created_at_ms));
  if (row.closed_at_ms > 0) {
    stmt.bind_text(7, format_utc_timestamp(row.closed_at_ms));
    // Clamped: wall clocks step backwards sometimes; a negative duration is never meant.
    stmt.bind_int(8, std::max<std::int64_t>(row.closed_at_ms - row.created_at_ms, 0) / 1000);
  } else {
    stmt.bind_null(7);
    stmt.bind_null(8);
  }
  stmt.bind_text_or_null(9, row.region);
  stmt.bind_text(10, connection_types_json(row.connections));
  return stmt.run();
}

Status bind_metric(sqlite::Statement& stmt, const room::ConnectionMetricRow& row) {
  stmt.bind_text_or_null(1, row.client_id);
  stmt.bind_text_or_null(2, row.room_id);
  stmt.bind_text_or_null(3, row.connection_type);
  stmt.bind_int(4, row.latency_ms);
  stmt.bind_double(5, row.packet_loss_rate);  // NaN is stored as NULL by SQLite
  stmt.bind_int(6, row.bandwidth_kbps);
  stmt.bind_text(7, format_utc_timestamp(row.recorded_at_ms));
  return stmt.run();
}

}  // namespace

Result<SqliteHistoryBackend::Statements> SqliteHistoryBackend::prepare_all(sqlite3* db) {
  Error first_error;
  bool failed = false;
  auto prepare = [&](const char* sql) -> std::optional<sqlite::Statement> {
    Result<sqlite::Statement> stmt = sqlite::Statement::prepare(db, sql);
    if (stmt) return std::move(stmt).value();
    if (!failed) first_error = std::move(stmt).error();
    failed = true;
    return std::nullopt;
  };
  // BEGIN IMMEDIATE takes the write lock up front, so lock waits happen (within busy_timeout)
  // before any work rather than as a failed upgrade halfway through the batch.
  auto begin = prepare("BEGIN IMMEDIATE");
  auto commit = prepare("COMMIT");
  auto rollback = prepare("ROLLBACK");
  auto upsert_client = prepare(kUpsertClient);
  auto insert_room = prepare(kInsertRoom);
  auto insert_metric = prepare(kInsertMetric);
  // Reads a table, so it proves the file is readable, not merely that the handle exists.
  auto ping = prepare("SELECT count(*) FROM schema_migrations");
  if (failed) return first_error;
  return Statements{std::move(*begin),         std::move(*commit),      std::move(*rollback),
                    std::move(*upsert_client), std::move(*insert_room), std::move(*insert_metric),
                    std::move(*ping)};
}

Status SqliteHistoryBackend::write_batch(const HistoryBatch& batch) {
  if (batch.empty()) return ok_status();
  if (Status begun = statements_.begin.run(); !begun) return begun;
  Status status = write_rows(batch);
  if (status) status = statements_.commit.run();
  // A failed COMMIT (SQLITE_BUSY) leaves the transaction open; a failed statement may or may
  // not have ended it. Roll back whatever is still open so the retry starts clean.
  if (!status && sqlite3_get_autocommit(db_.get()) == 0) (void)statements_.rollback.run();
  return status;
}

Status SqliteHistoryBackend::write_rows(const HistoryBatch& batch) {
  for (const room::ClientRow& row : batch.clients) {
    if (Status s = bind_client(statements_.upsert_client, row); !s) return s;
  }
  for (const room::RoomHistoryRow& row : batch.rooms) {
    if (Status s = bind_room(statements_.insert_room, row); !s) return s;
  }
  for (const room::ConnectionMetricRow& row : batch.metrics) {
    if (Status s = bind_metric(statements_.insert_metric, row); !s) return s;
  }
  return ok_status();
}

Status SqliteHistoryBackend::ping() {
  Result<std::int64_t> rows = statements_.ping.query_int();
  if (!rows) return std::move(rows).error();
  return ok_status();
}

Result<std::unique_ptr<SqliteHistoryBackend>> open_sqlite_history(const std::string& path,
                                                                  SqliteHistoryOptions options) {
  Result<sqlite::Connection> db =
      sqlite::Connection::open(path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
  if (!db) return std::move(db).error();
  const auto busy_ms = std::clamp<std::int64_t>(options.busy_timeout.count(), 0, INT_MAX);
  sqlite3_busy_timeout(db->get(), static_cast<int>(busy_ms));

  // WAL: readers (the sqlite3 shell, a backup) never block the writer, and commits append
  // instead of rewriting pages. synchronous=NORMAL is durable across process crashes; a power
  // cut may lose the last commits, acceptable for analytics history. A file system without
  // WAL support (some network mounts) keeps the rollback journal: slower, still correct.
  if (Status wal = db->exec("PRAGMA journal_mode = WAL"); !wal) return std::move(wal).error();
  if (Status sync = db->exec("PRAGMA synchronous = NORMAL"); !sync) return std::move(sync).error();

  if (Status migrated = sqlite::migrate_history_schema(db->get()); !migrated) {
    return std::move(migrated).error();
  }
  Result<SqliteHistoryBackend::Statements> statements =
      SqliteHistoryBackend::prepare_all(db->get());
  if (!statements) return std::move(statements).error();
  return std::unique_ptr<SqliteHistoryBackend>(
      new SqliteHistoryBackend(std::move(db).value(), std::move(statements).value()));
}

}  // namespace sudachi::storage

#include "storage/sqlite/sqlite_schema.hpp"

#include <iterator>
#include <string>

#include "storage/sqlite/sqlite_connection.hpp"
#include "storage/sqlite/sqlite_statement.hpp"

namespace sudachi::storage::sqlite {
namespace {

struct Migration {
  int version;
  const char* sql;
};

// Append only: a released migration never changes, a change is a new version.
//
// Times are ISO-8601 UTC text with milliseconds ("2026-11-25T05:44:21.123Z", see
// storage/history/history_format.hpp), which sorts as time, reads well in the sqlite3 shell
// and works with SQLite's date functions; the column defaults produce the same format.
//
// Adapted from the spec's PostgreSQL schema (DESIGN.md defect 7: indexes as CREATE INDEX):
// - ids are TEXT (the room server's ids are opaque strings). SQLite lets a non-INTEGER
//   PRIMARY KEY be NULL, hence the explicit NOT NULL.
// - game_id is the 16-hex-digit title id: BIGINT cannot hold ids >= 0x8000000000000000 and
//   the protocol carries it as a hex string (DESIGN.md defect 12).
// - host_client_id and connection_metrics.client_id carry no REFERENCES clients(id): rows are
//   written asynchronously in batches, and a client registered by an operator's own identity
//   service has no clients row at all, so an enforced key would reject good history.
// - JSONB columns are TEXT holding JSON.
constexpr Migration kMigrations[] = {
    {1, R"sql(
CREATE TABLE clients (
  id TEXT NOT NULL PRIMARY KEY,
  username TEXT NOT NULL,
  created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
  last_seen TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
  platform TEXT NOT NULL,
  sudachi_version TEXT NOT NULL,
  stats TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX idx_clients_username ON clients (username);
CREATE INDEX idx_clients_last_seen ON clients (last_seen);

CREATE TABLE room_history (
  id TEXT NOT NULL PRIMARY KEY,
  game_id TEXT NOT NULL,
  host_client_id TEXT,
  max_players INTEGER NOT NULL,
  actual_players INTEGER NOT NULL,
  created_at TEXT NOT NULL,
  closed_at TEXT,
  duration_seconds INTEGER,
  region TEXT,
  connection_types TEXT
);
CREATE INDEX idx_room_history_game_id ON room_history (game_id);
CREATE INDEX idx_room_history_created_at ON room_history (created_at);

CREATE TABLE connection_metrics (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  client_id TEXT,
  room_id TEXT,
  connection_type TEXT,
  latency_ms INTEGER,
  packet_loss_rate REAL,
  bandwidth_kbps INTEGER,
  recorded_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);
CREATE INDEX idx_connection_metrics_client_time ON connection_metrics (client_id, recorded_at);
)sql"},
};

constexpr const char* kCreateMigrationsTable = R"sql(
CREATE TABLE IF NOT EXISTS schema_migrations (
  version INTEGER NOT NULL PRIMARY KEY,
  applied_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
))sql";

Error newer_than_build(int found) {
  return Error::make(ErrorCode::internal,
                     "sqlite: history schema version " + std::to_string(found) +
                         " is newer than this build supports (" +
                         std::to_string(latest_history_schema_version()) + ")");
}

// Applies one migration unless it is already there, inside BEGIN IMMEDIATE so that the version
// check and the change are one step even with a second process migrating the same file.
Status apply(sqlite3* db, const Migration& migration) {
  if (Status begun = exec(db, "BEGIN IMMEDIATE"); !begun) return begun;
  auto change = [&]() -> Status {
    Result<int> current = history_schema_version(db);
    if (!current) return std::move(current).error();
    if (*current > latest_history_schema_version()) return newer_than_build(*current);
    if (*current >= migration.version) return ok_status();
    if (Status changed = exec(db, migration.sql); !changed) return changed;
    Result<Statement> record =
        Statement::prepare(db, "INSERT INTO schema_migrations (version) VALUES (?1)");
    if (!record) return std::move(record).error();
    record->bind_int(1, migration.version);
    return record->run();
  };
  Status status = change();
  if (status) status = exec(db, "COMMIT");
  // ROLLBACK fails only when SQLite already rolled back by itself; the first error tells more.
  if (!status) (void)exec(db, "ROLLBACK");
  return status;
}

}  // namespace

int latest_history_schema_version() {
  return std::prev(std::end(kMigrations))->version;
}

Result<int> history_schema_version(sqlite3* db) {
  Result<Statement> exists = Statement::prepare(
      db, "SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = 'schema_migrations'");
  if (!exists) return std::move(exists).error();
  Result<std::int64_t> found = exists->query_int();
  if (!found) return std::move(found).error();
  if (*found == 0) return 0;

  Result<Statement> highest =
      Statement::prepare(db, "SELECT coalesce(max(version), 0) FROM schema_migrations");
  if (!highest) return std::move(highest).error();
  Result<std::int64_t> version = highest->query_int();
  if (!version) return std::move(version).error();
  return static_cast<int>(*version);
}

Status migrate_history_schema(sqlite3* db) {
  if (Status created = exec(db, kCreateMigrationsTable); !created) return created;
  for (const Migration& migration : kMigrations) {
    if (Status applied = apply(db, migration); !applied) return applied;
  }
  return ok_status();
}

}  // namespace sudachi::storage::sqlite

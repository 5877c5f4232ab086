#include "storage/postgres/postgres_schema.hpp"

#include <iterator>
#include <string>

namespace sudachi::storage::pg {
namespace {

using std::chrono::milliseconds;

struct Migration {
  int version;
  const char* sql;
};

// Append only: a released migration never changes, a change is a new version.
//
// The spec's schema in valid PostgreSQL (DESIGN.md defect 7: indexes as CREATE INDEX), with
// the same columns and meanings as the SQLite schema (storage/sqlite/sqlite_schema.cpp), so
// both back ends answer the same queries:
// - ids are TEXT: the room server's ids are opaque strings, not UUIDs.
// - game_id is the 16-hex-digit title id as TEXT: BIGINT cannot hold ids >= 2^63 and the
//   protocol carries it as a hex string (DESIGN.md defect 12). No CHECK on its form: the room
//   server validates it, and a CHECK failure would reject the whole batch the row came in.
// - No REFERENCES clients(id): rows arrive asynchronously in batches, and clients signed in by
//   an operator's own identity service have no clients row, so a foreign key would reject
//   good history.
// - Player counts are INTEGER, not the spec's SMALLINT, matching the SQLite columns.
// - Times are TIMESTAMPTZ (instants, independent of the session's time zone).
constexpr Migration kMigrations[] = {
    {1, R"sql(
CREATE TABLE clients (
  id TEXT PRIMARY KEY,
  username TEXT NOT NULL,
  created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
  last_seen TIMESTAMPTZ NOT NULL DEFAULT now(),
  platform TEXT NOT NULL,
  sudachi_version TEXT NOT NULL,
  stats JSONB NOT NULL DEFAULT '{}'
);
CREATE INDEX idx_clients_username ON clients (username);
CREATE INDEX idx_clients_last_seen ON clients (last_seen);

CREATE TABLE room_history (
  id TEXT PRIMARY KEY,
  game_id TEXT NOT NULL,
  host_client_id TEXT,
  max_players INTEGER NOT NULL,
  actual_players INTEGER NOT NULL,
  created_at TIMESTAMPTZ NOT NULL,
  closed_at TIMESTAMPTZ,
  duration_seconds INTEGER,
  region TEXT,
  connection_types JSONB
);
CREATE INDEX idx_room_history_game_id ON room_history (game_id);
CREATE INDEX idx_room_history_created_at ON room_history (created_at);

CREATE TABLE connection_metrics (
  id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  client_id TEXT,
  room_id TEXT,
  connection_type TEXT,
  latency_ms INTEGER,
  packet_loss_rate DOUBLE PRECISION,
  bandwidth_kbps INTEGER,
  recorded_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX idx_connection_metrics_client_time ON connection_metrics (client_id, recorded_at);
)sql"},
};

// Any fixed number works as long as nothing else in the database uses it for another purpose;
// these are the bytes of "SudachiH" (history).
constexpr const char* kLockKey = "6013823246865557832";

constexpr const char* kCreateMigrationsTable = R"sql(
CREATE TABLE IF NOT EXISTS schema_migrations (
  version INTEGER PRIMARY KEY,
  applied_at TIMESTAMPTZ NOT NULL DEFAULT now()
))sql";

// The client-side wait exceeds the server-side timeout so that the server's clean error (and
// rollback) normally arrives first; the client deadline only catches a server that is gone.
milliseconds reply_deadline(milliseconds statement_timeout) {
  return statement_timeout + milliseconds{2'000};
}

Error newer_than_build(std::int64_t found) {
  return Error::make(ErrorCode::internal,
                     "postgres: history schema version " + std::to_string(found) +
                         " is newer than this build supports (" +
                         std::to_string(latest_history_schema_version()) + ")");
}

// One transaction: lock, make sure the bookkeeping table exists, read the version, apply
// `migration` if it is missing. The lock is released by COMMIT or ROLLBACK, or by the server
// when the connection dies, so no failure path can leave it held.
Status apply(Connection& db, const Migration& migration, milliseconds timeout) {
  const milliseconds deadline = reply_deadline(timeout);
  auto change = [&]() -> Status {
    // One round trip for the preamble; the last statement's rows come back.
    const std::string preamble =
        "BEGIN; SET LOCAL statement_timeout = " + std::to_string(timeout.count()) +
        "; SELECT pg_advisory_xact_lock(" + kLockKey + "); " + kCreateMigrationsTable +
        "; SELECT coalesce(max(version), 0) FROM schema_migrations";
    Result<QueryResult> current = db.exec(preamble, deadline);
    if (!current) return std::move(current).error();
    Result<std::int64_t> version = current->first_int();
    if (!version) return std::move(version).error();
    if (*version > latest_history_schema_version()) return newer_than_build(*version);
    if (*version >= migration.version) return ok_status();

    if (Result<QueryResult> changed = db.exec(migration.sql, deadline); !changed) {
      return std::move(changed).error();
    }
    Params params;
    params.add_int(migration.version);
    Result<QueryResult> recorded =
        db.exec("INSERT INTO schema_migrations (version) VALUES ($1::integer)", params, deadline);
    if (!recorded) return std::move(recorded).error();
    return ok_status();
  };
  Status status = change();
  if (status) {
    Result<QueryResult> committed = db.exec("COMMIT", deadline);
    if (!committed) status = std::move(committed).error();
  }
  // The first error tells more than a failed ROLLBACK would; a lost connection needs none.
  if (!status && db.usable() && db.in_transaction()) (void)db.exec("ROLLBACK", deadline);
  return status;
}

}  // namespace

int latest_history_schema_version() {
  return std::prev(std::end(kMigrations))->version;
}

Result<int> history_schema_version(Connection& db, milliseconds timeout) {
  Result<QueryResult> exists = db.exec(
      "SELECT count(*) FROM (SELECT to_regclass('schema_migrations') AS t) AS s "
      "WHERE t IS NOT NULL",
      timeout);
  if (!exists) return std::move(exists).error();
  Result<std::int64_t> found = exists->first_int();
  if (!found) return std::move(found).error();
  if (*found == 0) return 0;

  Result<QueryResult> highest =
      db.exec("SELECT coalesce(max(version), 0) FROM schema_migrations", timeout);
  if (!highest) return std::move(highest).error();
  Result<std::int64_t> version = highest->first_int();
  if (!version) return std::move(version).error();
  return static_cast<int>(*version);
}

Status migrate_history_schema(Connection& db, milliseconds timeout) {
  for (const Migration& migration : kMigrations) {
    if (Status applied = apply(db, migration, timeout); !applied) return applied;
  }
  return ok_status();
}

}  // namespace sudachi::storage::pg

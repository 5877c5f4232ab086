#include "storage/postgres/postgres_history_backend.hpp"

#include <utility>
#include <vector>

#include "storage/postgres/postgres_history_sql.hpp"
#include "storage/postgres/postgres_schema.hpp"

namespace sudachi::storage {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

milliseconds remaining(Clock::time_point deadline) {
  return std::max(std::chrono::ceil<milliseconds>(deadline - Clock::now()), milliseconds{0});
}

Status as_status(Result<pg::QueryResult> result) {
  if (!result) return std::move(result).error();
  return ok_status();
}

}  // namespace

PostgresHistoryBackend::PostgresHistoryBackend(PostgresHistoryOptions options,
                                               pg::ConnectOptions connect, pg::Connection db)
    : options_(std::move(options)), connect_(std::move(connect)), db_(std::move(db)) {}

Status PostgresHistoryBackend::ensure_connected() {
  if (db_ && db_->usable()) return ok_status();
  db_.reset();
  Result<pg::Connection> db = pg::Connection::open(connect_);
  if (!db) {
    // The URL worked at open, so any failure now is an outage. INVALID_REQUEST here would make
    // the sink throw the batch away.
    Error error = std::move(db).error();
    error.code = ErrorCode::unavailable;
    return error;
  }
  db_.emplace(std::move(db).value());
  return ok_status();
}

Status PostgresHistoryBackend::write_batch(const HistoryBatch& batch) {
  if (batch.empty()) return ok_status();
  if (Status connected = ensure_connected(); !connected) return connected;
  Status status = write_transaction(batch);
  if (!db_->usable()) db_.reset();
  return status;
}

Status PostgresHistoryBackend::write_transaction(const HistoryBatch& batch) {
  // Built before BEGIN, so no transaction stays open while we format rows.
  const std::vector<pg::Insert> inserts = pg::history_inserts(batch);
  const Clock::time_point deadline = Clock::now() + options_.reply_timeout;
  pg::Connection& db = *db_;

  Status status = as_status(db.exec("BEGIN", remaining(deadline)));
  for (const pg::Insert& insert : inserts) {
    if (!status) break;
    status = as_status(db.exec(insert.sql, insert.params, remaining(deadline)));
  }
  // A COMMIT lost in transit may still have committed: the sink then retries the batch, which
  // the upsert and ON CONFLICT DO NOTHING make harmless (HistoryBackend's contract).
  if (status) status = as_status(db.exec("COMMIT", remaining(deadline)));
  // A failed statement leaves the transaction aborted: roll back so the connection can be
  // reused. If even that fails or runs out of time, the connection is closed, which makes the
  // server roll back instead.
  if (!status && db.usable() && db.in_transaction()) {
    (void)db.exec("ROLLBACK", remaining(deadline));
  }
  return status;
}

Status PostgresHistoryBackend::ping() {
  if (Status connected = ensure_connected(); !connected) return connected;
  Status status = as_status(db_->exec("SELECT 1", options_.reply_timeout));
  if (!db_->usable()) db_.reset();
  return status;
}

Result<std::unique_ptr<PostgresHistoryBackend>> open_postgres_history(
    const std::string& url, PostgresHistoryOptions options) {
  pg::ConnectOptions connect;
  connect.url = url;
  connect.connect_timeout = options.connect_timeout;
  connect.statement_timeout = options.statement_timeout;
  connect.application_name = options.application_name;

  Result<pg::Connection> db = pg::Connection::open(connect);
  if (!db) return std::move(db).error();
  if (Status migrated = pg::migrate_history_schema(*db, options.migration_timeout); !migrated) {
    return std::move(migrated).error();
  }
  return std::unique_ptr<PostgresHistoryBackend>(
      new PostgresHistoryBackend(std::move(options), std::move(connect), std::move(db).value()));
}

}  // namespace sudachi::storage

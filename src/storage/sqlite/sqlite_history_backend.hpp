#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <utility>

#include "common/result.hpp"
#include "storage/history/history_backend.hpp"
#include "storage/sqlite/sqlite_connection.hpp"
#include "storage/sqlite/sqlite_statement.hpp"

namespace sudachi::storage {

struct SqliteHistoryOptions {
  // How long a write waits for a lock held by another process (an operator's sqlite3 shell, a
  // backup) before failing and being retried by the sink. Also bounds how long stop() can hang
  // on one write, so keep it below the sink's stop deadline.
  std::chrono::milliseconds busy_timeout{2'000};
};

// History in a local SQLite file, the embedded default. One connection, used only by the
// sink's writer thread; every statement is prepared once at open.
class SqliteHistoryBackend final : public HistoryBackend {
 public:
  // One transaction: clients upserted (the newest sighting wins), rooms inserted unless their
  // id is already stored (so a retried batch adds nothing twice), metrics appended.
  Status write_batch(const HistoryBatch& batch) override;
  Status ping() override;

 private:
  friend Result<std::unique_ptr<SqliteHistoryBackend>> open_sqlite_history(
      const std::string& path, SqliteHistoryOptions options);

  struct Statements {
    sqlite::Statement begin;
    sqlite::Statement commit;
    sqlite::Statement rollback;
    sqlite::Statement upsert_client;
    sqlite::Statement insert_room;
    sqlite::Statement insert_metric;
    sqlite::Statement ping;
  };
  static Result<Statements> prepare_all(sqlite3* db);

  SqliteHistoryBackend(sqlite::Connection db, Statements statements)
      : db_(std::move(db)), statements_(std::move(statements)) {}
  Status write_rows(const HistoryBatch& batch);

  sqlite::Connection db_;
  Statements statements_;
};

// Opens (creating if needed) the database file, switches it to WAL, and migrates the schema.
// The parent directory must exist: creating it is the app's job. Errors are start-up errors.
Result<std::unique_ptr<SqliteHistoryBackend>> open_sqlite_history(
    const std::string& path, SqliteHistoryOptions options = {});

}  // namespace sudachi::storage

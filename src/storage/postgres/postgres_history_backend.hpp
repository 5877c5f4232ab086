#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include "common/result.hpp"
#include "storage/history/history_backend.hpp"
#include "storage/postgres/postgres_connection.hpp"

namespace sudachi::storage {

struct PostgresHistoryOptions {
  // One connection attempt, at open and at every reconnect (libpq counts whole seconds, at
  // least 2). The URL's own ?connect_timeout= wins over this.
  std::chrono::milliseconds connect_timeout{3'000};
  // Server side: each statement is cancelled by PostgreSQL after this (a lock held by an
  // operator's session, an overloaded server). A batch of 500 rows normally takes a few ms.
  std::chrono::milliseconds statement_timeout{3'000};
  // Client side: one write_batch (after connecting) or ping never waits longer than this for
  // replies, which also covers a server too frozen, or a network too dead, to enforce
  // statement_timeout. Keep it above statement_timeout so the server's clean error comes
  // first, and below the sink's stop deadline.
  std::chrono::milliseconds reply_timeout{4'000};
  // Migrations at open, per statement, including the wait for another instance's migration.
  std::chrono::milliseconds migration_timeout{60'000};
  std::string application_name = "sudachi-room";
};

// History in PostgreSQL, for several room-server instances sharing one database. One
// connection, used only by the sink's writer thread. A lost connection is closed and reopened
// on the next call (the sink's retry pace is the reconnect backoff); until then calls fail
// with UNAVAILABLE and the sink keeps the batch. Every call is bounded by connect_timeout plus
// reply_timeout, so a dead database never hangs the writer or stop().
class PostgresHistoryBackend final : public HistoryBackend {
 public:
  // One transaction of multi-row INSERTs: clients upserted (the newest sighting wins), rooms
  // inserted unless their id is already stored (so a retried batch adds nothing twice),
  // metrics appended.
  Status write_batch(const HistoryBatch& batch) override;
  // SELECT 1 on the connection, reconnecting first if it was lost.
  Status ping() override;

 private:
  friend Result<std::unique_ptr<PostgresHistoryBackend>> open_postgres_history(
      const std::string& url, PostgresHistoryOptions options);

  PostgresHistoryBackend(PostgresHistoryOptions options, pg::ConnectOptions connect,
                         pg::Connection db);
  Status ensure_connected();
  Status write_transaction(const HistoryBatch& batch);

  const PostgresHistoryOptions options_;
  const pg::ConnectOptions connect_;  // holds the URL, password included: never log it
  std::optional<pg::Connection> db_;  // empty after a loss, until the next call reconnects
};

// Connects to `url` (postgres://user:pass@host:port/db, postgresql://..., or any libpq
// connection string) and migrates the schema, waiting for another instance that is migrating
// the same database. Errors are start-up errors: INVALID_REQUEST for a malformed URL,
// UNAVAILABLE for an unreachable server, INTERNAL for a schema newer than this build.
Result<std::unique_ptr<PostgresHistoryBackend>> open_postgres_history(
    const std::string& url, PostgresHistoryOptions options = {});

}  // namespace sudachi::storage

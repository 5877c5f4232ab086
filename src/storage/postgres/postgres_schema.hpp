#pragma once

#include <chrono>

#include "common/result.hpp"
#include "storage/postgres/postgres_connection.hpp"

namespace sudachi::storage::pg {

// The history schema's version this build creates and expects.
int latest_history_schema_version();

// Brings the database up to latest_history_schema_version(). Each migration runs in its own
// transaction together with its schema_migrations row, so a crash leaves the old or the new
// version, never half of one (PostgreSQL's DDL is transactional). Safe on every start and from
// several instances starting at once: each transaction first takes a transaction-scoped
// advisory lock, so one instance migrates while the others wait, then see the row and skip.
// `timeout` bounds each migration statement (the lock wait included) instead of the usual
// statement_timeout, since a future migration may rewrite a large table.
// Fails on a database written by a newer build rather than guessing at its layout.
Status migrate_history_schema(Connection& db, std::chrono::milliseconds timeout);

// The highest applied version; 0 for a database that has never been migrated.
Result<int> history_schema_version(Connection& db, std::chrono::milliseconds timeout);

}  // namespace sudachi::storage::pg

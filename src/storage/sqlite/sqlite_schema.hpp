#pragma once

#include <sqlite3.h>

#include "common/result.hpp"

namespace sudachi::storage::sqlite {

// The history schema's version this build creates and expects.
int latest_history_schema_version();

// Brings the file up to latest_history_schema_version(): each migration newer than the file
// runs in its own transaction together with its schema_migrations row, so a crash leaves
// either the old or the new version, never half of one. Safe to run on every start, and by
// two processes at once (BEGIN IMMEDIATE serialises them; the second sees the row and skips).
// Fails on a file written by a newer build rather than guessing at its layout.
Status migrate_history_schema(sqlite3* db);

// The highest applied version; 0 for a file that has never been migrated.
Result<int> history_schema_version(sqlite3* db);

}  // namespace sudachi::storage::sqlite

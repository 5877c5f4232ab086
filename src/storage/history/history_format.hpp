#pragma once

#include <cstdint>
#include <string>

#include "room/model.hpp"

namespace sudachi::storage {

// Text encodings shared by the SQL back ends, so that SQLite and PostgreSQL store the same
// values.

// Unix milliseconds as ISO-8601 UTC with milliseconds: "2026-11-25T05:44:21.123Z". Fixed width
// for years 0000-9999, so text order is time order (indexes and ORDER BY work on the text),
// SQLite's date functions read it, and PostgreSQL casts it to timestamptz as is.
std::string format_utc_timestamp(std::int64_t unix_ms);

// room_history.connection_types: {"direct":N,"relay":N,"failed":N}.
std::string connection_types_json(const room::ConnectionCounts& counts);

}  // namespace sudachi::storage

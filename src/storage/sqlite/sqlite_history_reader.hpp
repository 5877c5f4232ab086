#pragma once

#include <cstdint>
#include <string>

#include "common/result.hpp"

namespace sudachi::storage {

enum class HistoryTable { clients, room_history, connection_metrics };

// Small read-side helpers for tests and tools. Each opens its own read-only connection, so it
// can run while a sink writes (WAL lets readers and the writer proceed side by side) and sees
// only committed rows.
Result<std::int64_t> count_history_rows(const std::string& path, HistoryTable table);

// The schema version recorded in the file (0: never migrated).
Result<int> read_history_schema_version(const std::string& path);

}  // namespace sudachi::storage

#pragma once

#include <string>
#include <vector>

#include "storage/history/history_backend.hpp"
#include "storage/postgres/postgres_connection.hpp"

namespace sudachi::storage::pg {

// One multi-row INSERT and its parameters.
struct Insert {
  std::string sql;
  Params params;
};

// Rows per statement. 1,000 rows of at most 10 parameters stay far below the protocol's
// 65,535-parameter limit, and the statement text stays a few tens of kilobytes.
inline constexpr std::size_t kRowsPerInsert = 1'000;

// The statements that store `batch`, in order: clients, then rooms, then metrics.
// - Clients are upserted; the newest sighting wins, also against rows already stored. A batch
//   may hold one client several times, which one INSERT ... ON CONFLICT DO UPDATE refuses
//   ("cannot affect row a second time"), so each id is sent once: its newest row, with the
//   batch's earliest sighting as created_at, which is what one upsert per row would store.
// - Rooms are inserted unless their id is stored (a retried batch adds nothing twice).
// - Metrics are appended in arrival order.
// Clients and rooms are sorted by id so that two instances writing overlapping batches lock
// rows in the same order and cannot deadlock each other.
std::vector<Insert> history_inserts(const HistoryBatch& batch);

}  // namespace sudachi::storage::pg

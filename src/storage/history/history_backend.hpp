#pragma once

#include <cstddef>
#include <vector>

#include "common/result.hpp"
#include "room/history_sink.hpp"

namespace sudachi::storage {

// The rows one writer pass hands to a database, grouped by table so that a back end can run
// one prepared statement per table inside a single transaction.
struct HistoryBatch {
  std::vector<room::ClientRow> clients;
  std::vector<room::RoomHistoryRow> rooms;
  std::vector<room::ConnectionMetricRow> metrics;

  std::size_t size() const { return clients.size() + rooms.size() + metrics.size(); }
  bool empty() const { return size() == 0; }
};

// A database that stores history rows (SQLite now, PostgreSQL later). BatchingHistorySink owns
// the queue, the writer thread and the retry policy, so a back end only has to write a batch
// atomically. Methods are called from the sink's writer thread only, one call at a time.
//
// write_batch must be all-or-nothing, and safe to repeat: after a failure the sink retries the
// very same batch, including after a write that committed but reported failure (a connection
// lost during COMMIT). So room rows are inserted only if absent and client rows upserted;
// metric rows have no natural key and may then be stored twice, which samples can afford.
// Errors: UNAVAILABLE for anything a retry may cure (busy, I/O, connection lost);
// INVALID_REQUEST when the batch itself can never be stored (a retry would wedge the queue
// forever), which makes the sink discard the batch and count it as rejected.
class HistoryBackend {
 public:
  virtual ~HistoryBackend() = default;
  virtual Status write_batch(const HistoryBatch& batch) = 0;
  // A cheap round trip used while idle so that healthy() notices an outage without traffic.
  virtual Status ping() = 0;
};

}  // namespace sudachi::storage

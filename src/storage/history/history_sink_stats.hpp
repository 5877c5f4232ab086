#pragma once

#include <atomic>
#include <cstdint>

namespace sudachi::storage {

// Plain counters owned by a BatchingHistorySink. The app reads them into its metrics registry
// (storage does not depend on the metrics library). Updates happen once per row or batch, so
// they use the default (sequentially consistent) ordering: cheap enough, and it lets tests and
// probes reason about the order in which they change.
struct HistorySinkStats {
  std::atomic<std::uint64_t> rows_written{0};    // rows the back end committed
  std::atomic<std::uint64_t> rows_dropped{0};    // queue full, enqueued after stop(), or left
                                                 // over when the stop deadline passed
  std::atomic<std::uint64_t> rows_rejected{0};   // batches the back end refused as unstorable
  std::atomic<std::uint64_t> write_failures{0};  // failed write attempts; each retry counts
  std::atomic<std::uint64_t> queue_depth{0};     // gauge: rows held now, the batch in flight
                                                 // included
};

}  // namespace sudachi::storage

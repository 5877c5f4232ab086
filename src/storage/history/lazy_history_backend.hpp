#pragma once

#include <functional>
#include <memory>
#include <string>

#include "common/result.hpp"
#include "storage/history/history_backend.hpp"

namespace sudachi::storage {

// A history database that may be down when the server starts. History is not on the live
// path (rooms never wait for it), and one PostgreSQL serves every region: a server that
// refused to start without it would let one database outage empty every region. So the
// database is opened (connected, schema migrated) on first use, from the sink's writer
// thread, and again after every failed attempt; meanwhile writes and pings fail with
// UNAVAILABLE, and BatchingHistorySink keeps the rows (bounded, counted) and retries with
// backoff. Once open, the wrapped back end handles its own reconnects.
class LazyHistoryBackend final : public HistoryBackend {
 public:
  using Opener = std::function<Result<std::unique_ptr<HistoryBackend>>()>;
  // `name` is for the log ("PostgreSQL"); `open` must not log secrets (the URL has one).
  LazyHistoryBackend(std::string name, Opener open);

  Status write_batch(const HistoryBatch& batch) override;
  Status ping() override;

 private:
  Status ensure_open();

  const std::string name_;
  const Opener open_;
  std::unique_ptr<HistoryBackend> backend_;
  std::string last_error_;  // logged when it changes, not on every retry
};

}  // namespace sudachi::storage

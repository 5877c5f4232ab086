#include "storage/history/lazy_history_backend.hpp"

#include <spdlog/spdlog.h>

namespace sudachi::storage {

LazyHistoryBackend::LazyHistoryBackend(std::string name, Opener open)
    : name_(std::move(name)), open_(std::move(open)) {}

Status LazyHistoryBackend::ensure_open() {
  if (backend_) return ok_status();
  auto opened = open_();
  if (!opened) {
    if (opened.error().message != last_error_) {
      last_error_ = opened.error().message;
      spdlog::warn("history: {} unreachable ({}); rooms run without it, rows wait and retry", name_,
                   last_error_);
    }
    return Error::make(ErrorCode::unavailable, name_ + " unreachable: " + opened.error().message);
  }
  backend_ = std::move(*opened);
  spdlog::info("history: {} connected{}", name_,
               last_error_.empty() ? "" : " after an outage at start-up");
  last_error_.clear();
  return ok_status();
}

Status LazyHistoryBackend::write_batch(const HistoryBatch& batch) {
  if (Status open = ensure_open(); !open) return open;
  return backend_->write_batch(batch);
}

Status LazyHistoryBackend::ping() {
  if (Status open = ensure_open(); !open) return open;
  return backend_->ping();
}

}  // namespace sudachi::storage

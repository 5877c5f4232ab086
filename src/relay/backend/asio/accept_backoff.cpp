#include "relay/backend/asio/accept_backoff.hpp"

#include <algorithm>

#include <spdlog/spdlog.h>

namespace sudachi::relay::asio_backend {

AcceptBackoff::AcceptBackoff(boost::asio::io_context& context, std::string what)
    : timer_(context), what_(std::move(what)) {}

void AcceptBackoff::after_failure(const boost::system::error_code& ec,
                                  std::function<void()> retry) {
  ++unlogged_failures_;
  const auto now = std::chrono::steady_clock::now();
  if (!logged_ || now - last_log_ >= kLogInterval) {
    spdlog::warn("{}: accept failed: {} ({} failure(s) since the last report); pausing accepts",
                 what_, ec.message(), unlogged_failures_);
    logged_ = true;
    last_log_ = now;
    unlogged_failures_ = 0;
  }
  delay_ = delay_.count() == 0 ? kFirst : std::min(delay_ * 2, kMax);
  timer_.expires_after(delay_);
  timer_.async_wait([retry = std::move(retry)](const boost::system::error_code& e) {
    if (!e) retry();
  });
}

void AcceptBackoff::cancel() {
  timer_.cancel();
}

}  // namespace sudachi::relay::asio_backend

#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/system/error_code.hpp>

namespace sudachi::relay::asio_backend {

// What an acceptor does after a failed accept(2). EMFILE, ENFILE, ENOBUFS and ENOMEM last
// until descriptors or memory free up, and the pending connection stays in the backlog, so
// retrying at once fails at once: a core spins and the log fills. Instead each failure in a row
// doubles a pause (50 ms up to 500 ms) before the next accept, a success resets it, and at most
// one log line per 10 s says what failed and how often. Single-threaded: the acceptor's own
// io_context only.
class AcceptBackoff {
 public:
  static constexpr std::chrono::milliseconds kFirst{50};
  static constexpr std::chrono::milliseconds kMax{500};
  static constexpr std::chrono::seconds kLogInterval{10};

  // `what` names the listener in the log ("admin", "tcp").
  AcceptBackoff(boost::asio::io_context& context, std::string what);

  // After a failed accept: logs when due, then runs `retry` after the pause (not if cancelled).
  void after_failure(const boost::system::error_code& ec, std::function<void()> retry);
  void on_success() { delay_ = std::chrono::milliseconds{0}; }
  void cancel();

  std::chrono::milliseconds current_delay() const { return delay_; }

 private:
  boost::asio::steady_timer timer_;
  std::string what_;
  std::chrono::milliseconds delay_{0};
  std::chrono::steady_clock::time_point last_log_{};
  bool logged_ = false;
  std::uint64_t unlogged_failures_ = 0;
};

}  // namespace sudachi::relay::asio_backend

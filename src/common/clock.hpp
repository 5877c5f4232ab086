#pragma once

#include <cstdint>

namespace sudachi {

// Wall time (Unix milliseconds, for the protocol and the database) and monotonic time (for
// rate limits and timeouts). An interface so that tests can move time by hand.
class Clock {
 public:
  virtual ~Clock() = default;
  virtual std::int64_t unix_ms() const = 0;
  virtual std::int64_t steady_ms() const = 0;
};

class SystemClock final : public Clock {
 public:
  std::int64_t unix_ms() const override;
  std::int64_t steady_ms() const override;
  static const SystemClock& instance();
};

// A clock for tests: both readings move only when advance() is called.
class ManualClock final : public Clock {
 public:
  explicit ManualClock(std::int64_t start_unix_ms = 1'700'000'000'000) : unix_(start_unix_ms) {}
  std::int64_t unix_ms() const override { return unix_; }
  std::int64_t steady_ms() const override { return steady_; }
  void advance_ms(std::int64_t ms) {
    unix_ += ms;
    steady_ += ms;
  }

 private:
  std::int64_t unix_;
  std::int64_t steady_ = 1'000'000;
};

}  // namespace sudachi

#pragma once

#include <chrono>
#include <cstdint>
#include <random>

// Reconnection delays: exponential backoff with "full jitter" (each delay uniform in
// [0, min(cap, base * 2^attempt)]). The jitter spreads the thousands of clients a server
// restart disconnects at once over the whole window instead of bringing them back together;
// the cap keeps a long outage from growing the delay without bound.
namespace sudachi::client {

class Backoff {
 public:
  using ms = std::chrono::milliseconds;

  // `seed` makes the sequence reproducible (tests); base and cap are clamped to >= 1 ms and
  // cap >= base.
  Backoff(ms base, ms cap, std::uint64_t seed);

  // The delay before the next attempt; each call counts one more attempt.
  ms next();
  // The ceiling of the next delay (what next() draws under).
  ms ceiling() const;
  void reset() { attempt_ = 0; }
  int attempts() const { return attempt_; }

 private:
  ms base_;
  ms cap_;
  int attempt_ = 0;
  std::mt19937_64 rng_;
};

}  // namespace sudachi::client

#pragma once

#include <cstddef>
#include <cstdint>
#include <mutex>
#include <string>
#include <unordered_map>

#include "common/clock.hpp"
#include "room/rate_limiter.hpp"

namespace sudachi::room {

// Limits on room-password guesses, so that guessing is slow and cannot keep the hashing pool
// busy: each password check costs milliseconds of CPU by design.
struct PasswordAttemptPolicy {
  int per_room_client = 5;  // failed attempts of one client at one room, per window
  int per_ip = 20;          // failed attempts from one address, all rooms, per window
  std::int64_t window_ms = 60'000;
  std::size_t max_keys = 65'536;  // per table: memory stays bounded under a flood of keys
  bool enabled = true;
};

// Counts failed room:join passwords per (room, client) and per remote IP in fixed windows
// opened by a key's first attempt. An attempt is counted as failed when it starts (begin) and
// given back when it turns out right, or was never checked (forgive): otherwise a burst of
// concurrent guesses would all pass begin() before the first of them had failed. Over either
// limit, begin() refuses until the window ends, and nothing is hashed.
//
// In process memory, per server instance: with several instances behind a balancer a guesser
// gets each instance's budget, which still bounds the work each instance does. A key arriving
// at a full table first drops expired keys (at most once a second); if the table is still full
// the attempt is refused (fail closed, retry after 1 s), as memory_rate_limiter.hpp does.
//
// Thread-safe: one mutex, held for a few map operations (guesses are already rate-limited
// events).
class PasswordAttempts {
 public:
  PasswordAttempts(PasswordAttemptPolicy policy, const Clock& clock);

  RateDecision begin(const std::string& room_id, const std::string& client_id,
                     const std::string& ip);
  void forgive(const std::string& room_id, const std::string& client_id, const std::string& ip);

  std::size_t size() const;  // keys held in both tables

 private:
  struct Window {
    std::int64_t ends_at_ms = 0;
    int count = 0;
  };
  using Table = std::unordered_map<std::string, Window>;

  // The live window of `key`, or nullptr (an expired one is dropped).
  static Window* live(Table& table, const std::string& key, std::int64_t now);
  // A new window for `key`, or nullptr when the table is full of live keys.
  Window* open(Table& table, const std::string& key, std::int64_t now);
  static std::string client_key(const std::string& room_id, const std::string& client_id);

  const PasswordAttemptPolicy policy_;
  const Clock& clock_;
  mutable std::mutex mutex_;
  Table by_client_;
  Table by_ip_;
  std::int64_t last_sweep_ms_ = 0;
};

}  // namespace sudachi::room

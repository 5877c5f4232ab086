#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "common/result.hpp"

namespace sudachi::storage::redis {

// How to reach Redis and how patient to be. Every wait is bounded: a command that gets no
// reply within command_timeout fails with UNAVAILABLE (and the connection, which a lost reply
// has made useless because replies come in order, is dropped and reopened).
struct RedisOptions {
  std::string host = "127.0.0.1";
  std::uint16_t port = 6379;
  std::string username;  // ACL user (Redis 6+); empty: AUTH <password> only
  std::string password;  // empty: no AUTH
  int database = 0;      // SELECTed on every (re)connect; pub/sub ignores it (channels are global)

  std::chrono::milliseconds connect_timeout{2'000};  // TCP connect plus AUTH/SELECT
  std::chrono::milliseconds command_timeout{3'000};
  // Reconnect delays: doubling from min to max, each drawn in [d/2, d] so that many instances
  // losing one Redis do not all come back in the same millisecond.
  std::chrono::milliseconds reconnect_min{100};
  std::chrono::milliseconds reconnect_max{5'000};
  // A PING this often while connected, so that healthy() (and /ready) notices a dead server
  // without traffic. Zero disables it. Not used by the subscriber (see redis_subscriber.hpp).
  std::chrono::milliseconds health_interval{1'000};
  // Commands in flight at most; beyond it commands fail fast with UNAVAILABLE instead of
  // queueing without bound behind a slow server.
  std::size_t max_pending = 100'000;
};

// redis://[[user]:password@]host[:port][/db]  (also rediss:// is refused: hiredis 0.14 has no
// TLS). The password may be percent-encoded. INVALID_REQUEST with a reason when malformed; the
// message never contains the password.
Result<RedisOptions> parse_redis_url(std::string_view url);

}  // namespace sudachi::storage::redis

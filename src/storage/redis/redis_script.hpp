#pragma once

#include <string>

namespace sudachi::storage::redis {

// A Lua script and its SHA-1, computed here so that RedisClient::eval() can send EVALSHA
// first and the script text only when Redis does not know it (NOSCRIPT: a fresh or restarted
// server, SCRIPT FLUSH, a failover to a replica that never saw it). Scripts are constants of
// the program: keep them in static storage, eval() refers to them until its callback runs.
class RedisScript {
 public:
  explicit RedisScript(std::string source);

  const std::string& source() const { return source_; }
  const std::string& sha1() const { return sha1_; }  // 40 lower-case hex digits

 private:
  std::string source_;
  std::string sha1_;
};

}  // namespace sudachi::storage::redis

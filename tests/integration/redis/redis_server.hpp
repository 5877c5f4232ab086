#pragma once

#include <sys/types.h>
#include <unistd.h>

#include <chrono>
#include <memory>
#include <string>

#include "storage/redis/redis_options.hpp"

namespace sudachi::storage::redis::test {

// A private redis-server for the tests: 127.0.0.1 only, a free port, no persistence
// (--save '' --appendonly no), its working directory a fresh temporary one. The server is our
// child and gets SIGKILL if the test process dies, so a crashed test leaves nothing behind.
// The first start picks the port; later starts reuse it so that clients can reconnect.
class RedisServer {
 public:
  static std::unique_ptr<RedisServer> start_new(std::string& error);
  ~RedisServer();
  RedisServer(const RedisServer&) = delete;
  RedisServer& operator=(const RedisServer&) = delete;

  bool start(std::string& error);  // waits (bounded) until it answers PING
  void kill();                     // SIGKILL, as a crash would; waits for the exit
  // SIGSTOP / SIGCONT: a server that holds its connections open and answers nothing (a frozen
  // VM, a network black hole).
  void freeze();
  void thaw();
  bool running() const { return pid_ > 0; }

  int port() const { return port_; }
  std::string url() const { return "redis://127.0.0.1:" + std::to_string(port_); }
  RedisOptions options() const;  // tight timeouts for the tests
  std::string log_tail() const;

 private:
  RedisServer() = default;
  bool wait_ready(std::chrono::milliseconds timeout, std::string& error);

  std::string dir_;
  int port_ = 0;
  pid_t pid_ = -1;
};

// Polls `condition` every 10 ms until it holds or `timeout` passes; whether it held.
template <class Condition>
bool eventually(Condition condition, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (condition()) return true;
    ::usleep(10'000);
  }
  return condition();
}

}  // namespace sudachi::storage::redis::test

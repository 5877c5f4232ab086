#include "store_harness.hpp"

#include <atomic>
#include <cstdlib>

namespace sudachi::storage::redis::test {

RedisServer& shared_server() {
  static std::unique_ptr<RedisServer> server = [] {
    std::string error;
    auto started = RedisServer::start_new(error);
    if (!started) {
      // Every Redis test needs it: stop here with the reason rather than fail 60 times.
      std::fprintf(stderr, "cannot start redis-server: %s\n", error.c_str());
      std::abort();
    }
    return started;
  }();
  return *server;
}

std::shared_ptr<RedisClient> new_client(const RedisOptions& options) {
  auto client = RedisClient::connect(options);
  EXPECT_TRUE(client.ok());
  if (!client) return nullptr;
  return std::shared_ptr<RedisClient>(std::move(client).value());
}

std::shared_ptr<RedisClient> shared_client() {
  static std::shared_ptr<RedisClient> client = new_client(shared_server().options());
  return client;
}

std::string unique_prefix() {
  static std::atomic<int> next{0};
  return "t" + std::to_string(next.fetch_add(1)) + ":";
}

}  // namespace sudachi::storage::redis::test

#include "redis_server.hpp"
#include "free_port.hpp"

#include <fcntl.h>
#include <hiredis/hiredis.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>
#include <vector>

namespace sudachi::storage::redis::test {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

std::string find_redis_server() {
  for (const char* candidate : {"/usr/bin/redis-server", "/usr/local/bin/redis-server"}) {
    if (::access(candidate, X_OK) == 0) return candidate;
  }
  return {};
}

// One synchronous PING with a short timeout (the test's own probe, not the code under test).
bool answers_ping(int port) {
  timeval timeout{0, 200'000};
  redisContext* c = redisConnectWithTimeout("127.0.0.1", port, timeout);
  bool ok = false;
  if (c != nullptr && c->err == 0) {
    redisSetTimeout(c, timeout);
    auto* reply = static_cast<redisReply*>(redisCommand(c, "PING"));
    ok = reply != nullptr && reply->type == REDIS_REPLY_STATUS;
    if (reply != nullptr) freeReplyObject(reply);
  }
  if (c != nullptr) redisFree(c);
  return ok;
}

}  // namespace

std::unique_ptr<RedisServer> RedisServer::start_new(std::string& error) {
  std::unique_ptr<RedisServer> server(new RedisServer());
  std::string dir = (fs::temp_directory_path() / "sudachi-redis-XXXXXX").string();
  if (::mkdtemp(dir.data()) == nullptr) {
    error = "mkdtemp failed";
    return nullptr;
  }
  server->dir_ = dir;
  for (int attempt = 0; attempt < 5; ++attempt) {
    server->port_ = ::sudachi::test::free_loopback_port();
    if (server->start(error)) return server;
  }
  return nullptr;
}

RedisServer::~RedisServer() {
  kill();
  std::error_code ec;
  if (!dir_.empty()) fs::remove_all(dir_, ec);
}

bool RedisServer::start(std::string& error) {
  if (running()) return true;
  const std::string binary = find_redis_server();
  if (binary.empty()) {
    error = "redis-server not found (install the redis-server package)";
    return false;
  }
  const std::vector<std::string> args = {
      binary,   "--port",    std::to_string(port_), "--bind",      "127.0.0.1",
      "--save", "",          "--appendonly",        "no",          "--dir",
      dir_,     "--logfile", dir_ + "/redis.log",   "--daemonize", "no"};
  std::vector<char*> argv;
  for (const std::string& arg : args) argv.push_back(const_cast<char*>(arg.c_str()));
  argv.push_back(nullptr);
  const int null_fd = ::open("/dev/null", O_RDWR | O_CLOEXEC);
  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid == 0) {
    if (null_fd < 0 || ::dup2(null_fd, 0) < 0 || ::dup2(null_fd, 1) < 0 || ::dup2(null_fd, 2) < 0) {
      ::_exit(120);
    }
    ::close_range(3, ~0U, 0);
    if (::prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || ::getppid() != parent) ::_exit(122);
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  if (null_fd >= 0) ::close(null_fd);
  if (pid < 0) {
    error = "fork failed";
    return false;
  }
  pid_ = pid;
  return wait_ready(10s, error);
}

bool RedisServer::wait_ready(std::chrono::milliseconds timeout, std::string& error) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      error = "redis-server exited during start-up: " + log_tail();
      return false;
    }
    if (answers_ping(port_)) return true;
    std::this_thread::sleep_for(10ms);
  }
  kill();
  error = "redis-server not ready in time: " + log_tail();
  return false;
}

void RedisServer::kill() {
  if (!running()) return;
  ::kill(pid_, SIGKILL);  // also ends a frozen (SIGSTOPped) server
  int status = 0;
  ::waitpid(pid_, &status, 0);
  pid_ = -1;
}

void RedisServer::freeze() {
  if (running()) ::kill(pid_, SIGSTOP);
}

void RedisServer::thaw() {
  if (running()) ::kill(pid_, SIGCONT);
}

RedisOptions RedisServer::options() const {
  RedisOptions o;
  o.host = "127.0.0.1";
  o.port = static_cast<std::uint16_t>(port_);
  o.connect_timeout = std::chrono::milliseconds(1'000);
  o.command_timeout = std::chrono::milliseconds(2'000);
  o.reconnect_min = std::chrono::milliseconds(20);
  o.reconnect_max = std::chrono::milliseconds(200);
  o.health_interval = std::chrono::milliseconds(100);
  return o;
}

std::string RedisServer::log_tail() const {
  std::ifstream in(dir_ + "/redis.log");
  std::stringstream text;
  text << in.rdbuf();
  const std::string all = text.str();
  return all.size() > 2'000 ? all.substr(all.size() - 2'000) : all;
}

}  // namespace sudachi::storage::redis::test

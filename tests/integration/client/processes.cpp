#include "processes.hpp"

#include <gtest/gtest.h>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

namespace sudachi::client::test {
namespace {

// Polls `ready` every 20 ms for at most `timeout_ms`.
template <class F>
bool poll_until(F ready, int timeout_ms) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (std::chrono::steady_clock::now() < deadline) {
    if (ready()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return ready();
}

}  // namespace

std::string make_temp_dir(const std::string& prefix) {
  std::string tmpl = (std::filesystem::temp_directory_path() / (prefix + "-XXXXXX")).string();
  if (::mkdtemp(tmpl.data()) == nullptr) return {};
  return tmpl;
}

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// ---- Child

Child::~Child() {
  if (pid_ > 0) stop(5'000);
}

bool Child::start(std::vector<std::string> argv, const std::string& log_file) {
  pid_ = ::fork();
  if (pid_ < 0) return false;
  if (pid_ == 0) {
    std::FILE* f = std::freopen(log_file.c_str(), "a", stderr);
    (void)f;
    std::vector<char*> args;
    for (auto& a : argv) args.push_back(a.data());
    args.push_back(nullptr);
    ::execv(args[0], args.data());
    ::_exit(127);
  }
  return true;
}

void Child::kill_hard() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGKILL);
  ::waitpid(pid_, nullptr, 0);
  pid_ = -1;
}

bool Child::exited(int& status) {
  if (pid_ <= 0) return true;
  int raw = 0;
  if (::waitpid(pid_, &raw, WNOHANG) != pid_) return false;
  status = WIFEXITED(raw) ? WEXITSTATUS(raw) : 128 + WTERMSIG(raw);
  pid_ = -1;
  return true;
}

int Child::stop(int grace_ms) {
  if (pid_ <= 0) return 0;
  ::kill(pid_, SIGTERM);
  int status = -1;
  if (!poll_until([&] { return exited(status); }, grace_ms)) {
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
    pid_ = -1;
    return 128 + SIGKILL;
  }
  return status;
}

// ---- RelayProcess

RelayProcess::RelayProcess() {
  dir_ = make_temp_dir("sudachi-client-relay");
  const std::string port_file = dir_ + "/ports";
  child_.start({SUDACHI_RELAY_BINARY,
                "--bind",
                "127.0.0.1",
                "--udp-port",
                "0",
                "--tcp-port",
                "0",
                "--admin-port",
                "0",
                "--port-file",
                port_file,
                "--data-dir",
                dir_,
                "--relay-secret",
                kRelaySecret,
                "--relay-id",
                "it-relay",
                "--workers",
                "2",
                "--handshake-rate-per-s",
                "0",
                "--log-level",
                "info",
                "--drain-grace-s",
                "0.2"},
               dir_ + "/log");
  poll_until(
      [&] {
        std::ifstream in(port_file);
        unsigned udp = 0, tcp = 0, admin = 0;
        if (!(in >> udp >> tcp >> admin)) return false;
        udp_port_ = static_cast<std::uint16_t>(udp);
        tcp_port_ = static_cast<std::uint16_t>(tcp);
        return true;
      },
      10'000);
}

RelayProcess::~RelayProcess() {
  const int status = child_.stop(5'000);
  if (status != 0) ADD_FAILURE() << "sudachi-relay exited with " << status << "\n" << log();
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
}

std::string RelayProcess::room_flag() const {
  return "127.0.0.1:" + std::to_string(udp_port_) + "/" + std::to_string(tcp_port_) + "#it-relay";
}

// ---- RoomProcess

RoomProcess::RoomProcess(std::string relay_flag, std::vector<std::string> extra)
    : relay_flag_(std::move(relay_flag)), extra_(std::move(extra)) {
  dir_ = make_temp_dir("sudachi-client-room");
  launch(0);
}

RoomProcess::~RoomProcess() {
  const int status = child_.stop(10'000);
  if (status != 0) ADD_FAILURE() << "sudachi-room exited with " << status << "\n" << log();
  if (std::getenv("SUDACHI_CLIENT_TEST_LOGS") != nullptr)
    std::fprintf(stderr, "--- sudachi-room log ---\n%s", log().c_str());
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
}

std::string RoomProcess::log() const {
  return read_file(dir_ + "/log");
}

std::string RoomProcess::query(const std::string& sql) const {
  // The test writes the SQL itself: no quoting beyond the shell's single quotes is needed.
  const std::string command = "sqlite3 -readonly '" + dir_ + "/sudachi.db' '" + sql + "' 2>&1";
  std::string out;
  if (std::FILE* p = ::popen(command.c_str(), "r")) {
    char buffer[4096];
    std::size_t n = 0;
    while ((n = std::fread(buffer, 1, sizeof buffer, p)) > 0) out.append(buffer, n);
    ::pclose(p);
  }
  return out;
}

bool RoomProcess::launch(std::uint16_t port) {
  const std::string port_file = dir_ + "/port" + std::to_string(++generation_);
  std::vector<std::string> argv = {
      SUDACHI_ROOM_BINARY, "--host",         "127.0.0.1",       "--port",  std::to_string(port),
      "--port-file",       port_file,        "--data-dir",      dir_,      "--jwt-secret",
      kJwtSecret,          "--relay-secret", kRelaySecret,      "--relay", relay_flag_,
      "--log-level",       "info",           "--drain-grace-s", "1"};
  argv.insert(argv.end(), extra_.begin(), extra_.end());
  if (!child_.start(argv, dir_ + "/log")) return false;
  std::uint16_t bound = 0;
  bool died = false;
  poll_until(
      [&] {
        const std::string text = read_file(port_file);
        if (!text.empty() && text.back() == '\n') {
          bound = static_cast<std::uint16_t>(std::atoi(text.c_str()));
          if (bound != 0) return true;
        }
        int status = 0;
        died = child_.exited(status);  // e.g. the port is still taken
        return died;
      },
      15'000);
  if (bound == 0) {
    if (!died) child_.kill_hard();
    return false;
  }
  port_ = bound;
  return true;
}

bool RoomProcess::restart() {
  if (child_.running()) child_.kill_hard();
  // The port was just released by a killed process: binding it again may need a moment.
  for (int attempt = 0; attempt < 20; ++attempt) {
    if (launch(port_)) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
  }
  return false;
}

}  // namespace sudachi::client::test

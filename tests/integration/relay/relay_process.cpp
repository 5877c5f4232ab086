#include "relay_process.hpp"

#include <gtest/gtest.h>

#include <netinet/in.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <arpa/inet.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>
#include <thread>

namespace sudachi::relay::test {
namespace {

std::string make_temp_dir() {
  std::string tmpl =
      (std::filesystem::temp_directory_path() / "sudachi-relay-test-XXXXXX").string();
  if (::mkdtemp(tmpl.data()) == nullptr) return {};
  return tmpl;
}

}  // namespace

RelayProcess::RelayProcess(const std::string& backend, std::vector<std::string> extra,
                           unsigned max_open_files) {
  dir_ = make_temp_dir();
  const std::string port_file = dir_ + "/ports";
  std::vector<std::string> args = {SUDACHI_RELAY_BINARY,
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
                                   kSecret,
                                   "--backend",
                                   backend,
                                   "--workers",
                                   "2",
                                   "--handshake-rate-per-s",
                                   "0",
                                   "--log-level",
                                   "debug",
                                   "--drain-grace-s",
                                   "0.2"};
  args.insert(args.end(), extra.begin(), extra.end());
  pid_ = ::fork();
  if (pid_ == 0) {
    const std::string log = dir_ + "/log";
    std::FILE* f = std::freopen(log.c_str(), "w", stderr);
    (void)f;
    if (max_open_files > 0) {
      const rlimit limit{max_open_files, max_open_files};
      if (::setrlimit(RLIMIT_NOFILE, &limit) != 0) ::_exit(126);
    }
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  // Bounded wait for the port file (10 s).
  for (int i = 0; i < 200 && udp_port_ == 0; ++i) {
    std::ifstream in(port_file);
    unsigned udp = 0, tcp = 0, admin = 0;
    if (in >> udp >> tcp >> admin) {
      udp_port_ = static_cast<std::uint16_t>(udp);
      tcp_port_ = static_cast<std::uint16_t>(tcp);
      admin_port_ = static_cast<std::uint16_t>(admin);
      break;
    }
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      exited_ = true;
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

RelayProcess::~RelayProcess() {
  if (pid_ > 0 && !exited_) {
    ::kill(pid_, SIGTERM);
    // A clean drain exits 0; anything else (a sanitizer report, a crash) fails the test.
    const int status = wait_exit(5000);
    if (status == -1) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
      ADD_FAILURE() << "sudachi-relay did not stop within 5 s of SIGTERM\n" << log();
    } else if (status != 0) {
      ADD_FAILURE() << "sudachi-relay exited with " << status << "\n" << log();
    }
  }
  // SUDACHI_RELAY_TEST_LOGS=1 shows every relay's log, for debugging a failure.
  if (std::getenv("SUDACHI_RELAY_TEST_LOGS") != nullptr)
    std::fprintf(stderr, "--- relay log ---\n%s", log().c_str());
  if (!dir_.empty()) {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
}

void RelayProcess::send_signal(int signal) const {
  if (pid_ > 0 && !exited_) ::kill(pid_, signal);
}

int RelayProcess::wait_exit(int timeout_ms) {
  for (int waited = 0; waited <= timeout_ms; waited += 20) {
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      exited_ = true;
      return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return -1;
}

std::string RelayProcess::log() const {
  std::ifstream in(dir_ + "/log");
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::size_t RelayProcess::log_lines_with(const std::string& text) const {
  std::istringstream in(log());
  std::size_t n = 0;
  for (std::string line; std::getline(in, line);) {
    if (line.find(text) != std::string::npos) ++n;
  }
  return n;
}

double RelayProcess::cpu_seconds() const {
  std::ifstream in("/proc/" + std::to_string(pid_) + "/stat");
  std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  // Fields after the command name (which may hold spaces, so start after its ')'): state is
  // field 3, utime and stime fields 14 and 15.
  const auto close = stat.rfind(')');
  if (close == std::string::npos) return -1;
  std::istringstream fields(stat.substr(close + 2));
  std::string field;
  double ticks = 0;
  for (int i = 3; i <= 15 && fields >> field; ++i) {
    if (i >= 14) ticks += std::strtod(field.c_str(), nullptr);
  }
  return ticks / static_cast<double>(::sysconf(_SC_CLK_TCK));
}

double RelayProcess::metric_at_least(const std::string& series, double at_least,
                                     int timeout_ms) const {
  double value = -1;
  for (int waited = 0; waited <= timeout_ms; waited += 20) {
    value = metric(series);
    if (value >= at_least) return value;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return value;
}

std::string RelayProcess::http_get(const std::string& path) const {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return {};
  timeval tv{5, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(admin_port_);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  std::string response;
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0) {
    const std::string req =
        "GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
    if (::send(fd, req.data(), req.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(req.size())) {
      char buf[4096];
      for (int i = 0; i < 10'000; ++i) {  // bounded: a metrics page is far below 40 MB
        const auto n = ::recv(fd, buf, sizeof buf, 0);
        if (n <= 0) break;
        response.append(buf, static_cast<std::size_t>(n));
      }
    }
  }
  ::close(fd);
  // "HTTP/1.1 200 OK\r\n...\r\n\r\nbody" -> "200 body"
  const auto sp = response.find(' ');
  const auto body = response.find("\r\n\r\n");
  if (sp == std::string::npos || body == std::string::npos) return {};
  return response.substr(sp + 1, 3) + " " + response.substr(body + 4);
}

double RelayProcess::metric(const std::string& series) const {
  const std::string page = http_get("/metrics");
  std::istringstream in(page);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(series + " ", 0) == 0)
      return std::strtod(line.c_str() + series.size() + 1, nullptr);
  }
  return -1;
}

}  // namespace sudachi::relay::test

#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

// The real sudachi-relay and sudachi-room binaries on 127.0.0.1, for the client library's
// integration tests: ports chosen by the kernel and read back from --port-file, secrets fixed
// by the test so that a restarted (or a second) room server accepts the same tokens and resume
// keys. Each process is stopped when its object goes (SIGTERM, then SIGKILL); a non-zero exit
// after SIGTERM (a sanitizer report, a crash) fails the test.
namespace sudachi::client::test {

inline constexpr const char* kJwtSecret = "client-integration-jwt-secret-0123456789abcdef";
inline constexpr const char* kRelaySecret = "it1:client-integration-relay-secret-0123456789";

// One child process: argv, stderr to a log file.
class Child {
 public:
  Child() = default;
  ~Child();
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;

  bool start(std::vector<std::string> argv, const std::string& log_file);
  bool running() const { return pid_ > 0; }
  // SIGKILL and reap: the process dies without a goodbye, as in a crash.
  void kill_hard();
  // SIGTERM, then SIGKILL after `grace_ms`; returns the exit status (128 + signal when killed).
  int stop(int grace_ms = 10'000);
  // Reaps the process if it exited on its own; true when it did (status in `status`).
  bool exited(int& status);

 private:
  pid_t pid_ = -1;
};

std::string make_temp_dir(const std::string& prefix);
std::string read_file(const std::string& path);

class RelayProcess {
 public:
  RelayProcess();
  ~RelayProcess();
  bool started() const { return udp_port_ != 0; }
  std::uint16_t udp_port() const { return udp_port_; }
  std::uint16_t tcp_port() const { return tcp_port_; }
  // The --relay value a room server announces this relay with.
  std::string room_flag() const;
  std::string log() const { return read_file(dir_ + "/log"); }

 private:
  std::string dir_;
  Child child_;
  std::uint16_t udp_port_ = 0;
  std::uint16_t tcp_port_ = 0;
};

class RoomProcess {
 public:
  // `relay_flag`: --relay (RelayProcess::room_flag(), or "none"); `extra` flags appended.
  RoomProcess(std::string relay_flag, std::vector<std::string> extra = {});
  ~RoomProcess();
  bool started() const { return port_ != 0 && child_.running(); }
  std::uint16_t port() const { return port_; }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }

  // Dies at once (SIGKILL), rooms and connections lost: a crash.
  void kill_hard() { child_.kill_hard(); }
  // Starts again on the same port with the same secrets (an embedded server restarted).
  bool restart();
  std::string log() const;
  // Runs `sql` on the server's SQLite history (sqlite3 CLI, read-only); its output.
  std::string query(const std::string& sql) const;

 private:
  bool launch(std::uint16_t port);

  std::string relay_flag_;
  std::vector<std::string> extra_;
  std::string dir_;
  int generation_ = 0;
  Child child_;
  std::uint16_t port_ = 0;
};

}  // namespace sudachi::client::test

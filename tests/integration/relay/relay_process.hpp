#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

namespace sudachi::relay::test {

// The real sudachi-relay binary on 127.0.0.1 with ports chosen by the kernel, read back from
// its --port-file. Stopped (SIGTERM, then SIGKILL) when destroyed.
class RelayProcess {
 public:
  static constexpr const char* kSecret = "k1:integration-test-secret-0123456789abcdef";

  // `extra` flags are appended (e.g. {"--idle-timeout-s", "1"}). `max_open_files` > 0 sets
  // the child's RLIMIT_NOFILE (soft and hard) before it starts.
  RelayProcess(const std::string& backend, std::vector<std::string> extra = {},
               unsigned max_open_files = 0);
  ~RelayProcess();
  RelayProcess(const RelayProcess&) = delete;
  RelayProcess& operator=(const RelayProcess&) = delete;

  bool started() const { return udp_port_ != 0; }
  int pid() const { return pid_; }
  std::uint16_t udp_port() const { return udp_port_; }
  std::uint16_t tcp_port() const { return tcp_port_; }
  std::uint16_t admin_port() const { return admin_port_; }

  void send_signal(int signal) const;
  // Waits up to `timeout_ms` for the process to exit; returns its exit status or -1.
  int wait_exit(int timeout_ms);
  std::string log() const;
  // Lines of the log that contain `text`.
  std::size_t log_lines_with(const std::string& text) const;
  // User plus system CPU time the process used so far, in seconds (-1 if unreadable).
  double cpu_seconds() const;

  // GET on the admin port: "<status> <body>", empty on failure.
  std::string http_get(const std::string& path) const;
  // One metric's value from /metrics (exact series text, e.g. `x_total{a="b"}`); -1 if absent.
  double metric(const std::string& series) const;
  // Polls the metric until it reaches `at_least` (counters count after the datagram was
  // handled, which a test cannot observe otherwise); its last value.
  double metric_at_least(const std::string& series, double at_least, int timeout_ms = 5000) const;

 private:
  pid_t pid_ = -1;
  std::string dir_;
  std::uint16_t udp_port_ = 0;
  std::uint16_t tcp_port_ = 0;
  std::uint16_t admin_port_ = 0;
  bool exited_ = false;
};

}  // namespace sudachi::relay::test

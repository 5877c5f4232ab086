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

  // `extra` flags are appended (e.g. {"--idle-timeout-s", "1"}).
  RelayProcess(const std::string& backend, std::vector<std::string> extra = {});
  ~RelayProcess();
  RelayProcess(const RelayProcess&) = delete;
  RelayProcess& operator=(const RelayProcess&) = delete;

  bool started() const { return udp_port_ != 0; }
  std::uint16_t udp_port() const { return udp_port_; }
  std::uint16_t tcp_port() const { return tcp_port_; }
  std::uint16_t admin_port() const { return admin_port_; }

  void send_signal(int signal) const;
  // Waits up to `timeout_ms` for the process to exit; returns its exit status or -1.
  int wait_exit(int timeout_ms);
  std::string log() const;

  // GET on the admin port: "<status> <body>", empty on failure.
  std::string http_get(const std::string& path) const;
  // One metric's value from /metrics (exact series text, e.g. `x_total{a="b"}`); -1 if absent.
  double metric(const std::string& series) const;

 private:
  pid_t pid_ = -1;
  std::string dir_;
  std::uint16_t udp_port_ = 0;
  std::uint16_t tcp_port_ = 0;
  std::uint16_t admin_port_ = 0;
  bool exited_ = false;
};

}  // namespace sudachi::relay::test

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "relay_it.hpp"

namespace sudachi::relay::test {
namespace {

using wire::Status;

// A TCP connection to 127.0.0.1:port that sends nothing and is never read: it holds one of the
// relay's descriptors once accepted (the admin's 5 s request deadline, the relay's 10 s
// HELLO deadline), or waits in the listen backlog. Non-blocking connect: the handshake
// completes in the kernel whether or not the relay accepts.
int idle_connection(std::uint16_t port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (fd >= 0 && ::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

// UBSan's vptr check proves an object's memory readable by writing it into a pipe; with every
// descriptor taken, pipe() fails and the check reports a valid object as "invalid vptr". The
// relay started in this scope runs without that one check (inherited environment); every other
// UBSan check, and ASan, stay on.
class UbsanVptrCheckOff {
 public:
  UbsanVptrCheckOff() {
    const char* old = std::getenv("UBSAN_OPTIONS");
    if (old != nullptr) saved_ = old;
    had_ = old != nullptr;
    file_ = std::filesystem::temp_directory_path() /
            ("sudachi-ubsan-" + std::to_string(::getpid()) + ".supp");
    std::ofstream(file_) << "vptr_check:*\n";
    const std::string options =
        (had_ ? saved_ + ":" : std::string()) + "suppressions=" + file_.string();
    ::setenv("UBSAN_OPTIONS", options.c_str(), 1);
  }
  ~UbsanVptrCheckOff() {
    if (had_) {
      ::setenv("UBSAN_OPTIONS", saved_.c_str(), 1);
    } else {
      ::unsetenv("UBSAN_OPTIONS");
    }
    std::error_code ec;
    std::filesystem::remove(file_, ec);
  }
  UbsanVptrCheckOff(const UbsanVptrCheckOff&) = delete;
  UbsanVptrCheckOff& operator=(const UbsanVptrCheckOff&) = delete;

 private:
  std::string saved_;
  bool had_ = false;
  std::filesystem::path file_;
};

std::size_t open_descriptors(int pid) {
  std::error_code ec;
  std::size_t n = 0;
  for (auto it = std::filesystem::directory_iterator("/proc/" + std::to_string(pid) + "/fd", ec);
       !ec && it != std::filesystem::directory_iterator(); it.increment(ec)) {
    ++n;
  }
  return n;
}

// Issue item 3: out of descriptors, the accept loops must pause, not spin (a core at 100% and
// a log line per try), and the relay must serve again once descriptors are free.
TEST_P(RelayIT, AcceptLoopsBackOffWhenOutOfDescriptors) {
  constexpr unsigned kLimit = 96;
  const UbsanVptrCheckOff vptr_off;
  RelayProcess relay(GetParam(), {"--max-waiting-per-ip", "0"}, kLimit);
  ASSERT_TRUE(relay.started()) << relay.log();
  ASSERT_EQ(relay.http_get("/health").substr(0, 3), "200");

  // Twice the limit in idle connections, to both listeners: the relay accepts until it hits
  // EMFILE, the rest wait in the backlogs.
  std::vector<int> fds;
  for (unsigned i = 0; i < 2 * kLimit; ++i) {
    const int fd = idle_connection(i % 2 == 0 ? relay.admin_port() : relay.tcp_port());
    ASSERT_GE(fd, 0);
    fds.push_back(fd);
  }
  ASSERT_TRUE(eventually([&] { return relay.log_lines_with("accept failed") >= 1; }, 10'000))
      << relay.log();

  // Exhausted for 2 s: a spinning loop would burn about 2 s of CPU here.
  const double cpu_before = relay.cpu_seconds();
  const auto wall_before = std::chrono::steady_clock::now();
  std::this_thread::sleep_for(std::chrono::seconds(2));
  const double cpu = relay.cpu_seconds() - cpu_before;
  const double wall =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_before).count();
  EXPECT_LT(cpu, 0.25 * wall) << "CPU " << cpu << " s in " << wall << " s while out of descriptors";
  // One line per listener per 10 s, not one per try.
  EXPECT_LE(relay.log_lines_with("accept failed"), 4u) << relay.log();

  for (int fd : fds) ::close(fd);
  // Descriptors come back as the relay sees the closes; then both listeners serve again.
  EXPECT_TRUE(eventually([&] { return relay.http_get("/health").substr(0, 3) == "200"; }, 15'000))
      << relay.log();
  EXPECT_TRUE(eventually(
      [&] {
        TcpPeer p(relay.tcp_port());
        auto r = p.handshake("not-a-token");
        return r && r->status == Status::invalid_token;
      },
      15'000));
  EXPECT_LT(open_descriptors(relay.pid()), kLimit);
}

}  // namespace
}  // namespace sudachi::relay::test

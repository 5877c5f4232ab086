// The sudachi-mp CLI's contract (issue 8; checks outside this repository rely on it):
// `host` prints {"event":"room","roomId"} and one {"event":"peer",...} per peer and echoes;
// `join`'s last line is {"event":"result",...}; exit codes say what went wrong.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <boost/json.hpp>

#include "processes.hpp"

namespace sudachi::client::test {
namespace {
namespace json = boost::json;
using Clock = std::chrono::steady_clock;

// sudachi-mp as a child process: stdout through a pipe, read line by line with deadlines;
// stderr kept in a file for failure messages.
class Cli {
 public:
  explicit Cli(std::vector<std::string> args, std::vector<std::string> env = {}) {
    dir_ = make_temp_dir("sudachi-mp-cli");
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) return;
    pid_ = ::fork();
    if (pid_ == 0) {
      ::dup2(fds[1], STDOUT_FILENO);
      std::FILE* f = std::freopen((dir_ + "/stderr").c_str(), "w", stderr);
      (void)f;
      for (auto& e : env) ::putenv(e.data());
      args.insert(args.begin(), SUDACHI_MP_BINARY);
      std::vector<char*> argv;
      for (auto& a : args) argv.push_back(a.data());
      argv.push_back(nullptr);
      ::execv(argv[0], argv.data());
      ::_exit(127);
    }
    ::close(fds[1]);
    out_ = fds[0];
  }
  ~Cli() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
    if (out_ >= 0) ::close(out_);
  }

  // The next stdout line, or nullopt at EOF or the deadline.
  std::optional<std::string> line(std::chrono::milliseconds timeout = std::chrono::seconds(30)) {
    const auto deadline = Clock::now() + timeout;
    for (;;) {
      const auto nl = buffer_.find('\n');
      if (nl != std::string::npos) {
        std::string l = buffer_.substr(0, nl);
        buffer_.erase(0, nl + 1);
        return l;
      }
      const auto left =
          std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
      if (left.count() <= 0 || out_ < 0) return std::nullopt;
      pollfd p{out_, POLLIN, 0};
      if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) continue;
      char chunk[4096];
      const ssize_t n = ::read(out_, chunk, sizeof chunk);
      if (n <= 0) {
        ::close(out_);
        out_ = -1;
        return std::nullopt;
      }
      buffer_.append(chunk, static_cast<std::size_t>(n));
    }
  }
  // Every remaining line until EOF.
  std::vector<std::string> rest(std::chrono::milliseconds timeout = std::chrono::seconds(60)) {
    std::vector<std::string> lines;
    const auto deadline = Clock::now() + timeout;
    while (auto l =
               line(std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now())))
      lines.push_back(*l);
    return lines;
  }
  void signal(int sig) { ::kill(pid_, sig); }
  // The exit code, or -1 when it did not exit in time.
  int wait(std::chrono::milliseconds timeout = std::chrono::seconds(30)) {
    const auto deadline = Clock::now() + timeout;
    while (Clock::now() < deadline) {
      int status = 0;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      }
      ::usleep(20'000);
    }
    return -1;
  }
  std::string stderr_text() const { return read_file(dir_ + "/stderr"); }

 private:
  pid_t pid_ = -1;
  int out_ = -1;
  std::string buffer_;
  std::string dir_;
};

json::object parse_line(const std::string& line) {
  boost::system::error_code ec;
  json::value v = json::parse(line, ec);
  EXPECT_FALSE(ec) << "not JSON: " << line;
  EXPECT_TRUE(v.is_object()) << line;
  return v.is_object() ? v.as_object() : json::object{};
}

std::set<std::string> keys(const json::object& o) {
  std::set<std::string> out;
  for (const auto& kv : o) out.insert(std::string(kv.key()));
  return out;
}

class CliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(relay_.started()) << relay_.log();
    ASSERT_TRUE(room_.started()) << room_.log();
  }

  // Starts `sudachi-mp host --json` and returns it with its room id.
  std::unique_ptr<Cli> host(std::string& room_id, std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {"--server", room_.url(), "--json", "--username",
                                     "it-host",  "host",      "--game", "0100000000010000"};
    args.insert(args.end(), extra.begin(), extra.end());
    auto cli = std::make_unique<Cli>(args);
    auto first = cli->line();
    EXPECT_TRUE(first) << cli->stderr_text();
    if (!first) return cli;
    const json::object room = parse_line(*first);
    EXPECT_EQ(keys(room), (std::set<std::string>{"event", "roomId"})) << *first;
    EXPECT_EQ(room.at("event"), "room");
    room_id = std::string(room.at("roomId").as_string());
    return cli;
  }

  // Runs join to the end; checks that every stdout line is a JSON object and returns the last.
  json::object join(const std::string& room_id, std::vector<std::string> extra, int& exit_code,
                    std::string* err = nullptr) {
    std::vector<std::string> args = {"--server", room_.url(), "--json", "join", room_id};
    args.insert(args.end(), extra.begin(), extra.end());
    Cli cli(args);
    const auto lines = cli.rest();
    exit_code = cli.wait();
    if (err != nullptr) *err = cli.stderr_text();
    EXPECT_FALSE(lines.empty()) << cli.stderr_text();
    json::object last;
    for (const auto& l : lines) last = parse_line(l);
    return last;
  }

  void expect_result(const json::object& r, const std::string& path, int sent) {
    EXPECT_EQ(keys(r), (std::set<std::string>{"event", "peer", "path", "connectMs", "sent",
                                              "received", "rttP50Ms", "rttP99Ms"}))
        << json::serialize(r);
    EXPECT_EQ(r.at("event"), "result");
    EXPECT_EQ(r.at("path"), path.c_str());
    EXPECT_TRUE(r.at("peer").is_string() && !r.at("peer").as_string().empty());
    EXPECT_TRUE(r.at("connectMs").is_int64() && r.at("connectMs").as_int64() >= 0);
    EXPECT_EQ(r.at("sent"), sent);
    EXPECT_TRUE(r.at("received").is_int64());
    EXPECT_GE(r.at("received").as_int64() * 100, sent * 99);
    for (const char* k : {"rttP50Ms", "rttP99Ms"}) {
      EXPECT_TRUE(r.at(k).is_number()) << k;
      EXPECT_GE(r.at(k).to_number<double>(), 0.0) << k;
    }
    EXPECT_LE(r.at("rttP50Ms").to_number<double>(), r.at("rttP99Ms").to_number<double>());
  }

  RelayProcess relay_;
  RoomProcess room_{relay_.room_flag()};
};

TEST_F(CliTest, HostAndJoinDirect) {
  std::string room_id;
  auto h = host(room_id);
  ASSERT_FALSE(room_id.empty());
  int code = -1;
  std::string err;
  const json::object result = join(room_id, {"--count", "300", "--rate", "500"}, code, &err);
  EXPECT_EQ(code, 0) << err;
  expect_result(result, "direct", 300);

  // The host reported the peer, with the joiner's id, and its path.
  auto peer_line = h->line();
  ASSERT_TRUE(peer_line) << h->stderr_text();
  const json::object peer = parse_line(*peer_line);
  EXPECT_EQ(keys(peer), (std::set<std::string>{"event", "clientId", "path", "connectMs"}))
      << *peer_line;
  EXPECT_EQ(peer.at("event"), "peer");
  EXPECT_EQ(peer.at("path"), "direct");
  EXPECT_TRUE(peer.at("connectMs").is_int64() && peer.at("connectMs").as_int64() >= 0);
  // SIGTERM: the host leaves and exits 0.
  h->signal(SIGTERM);
  EXPECT_EQ(h->wait(), 0) << h->stderr_text();
}

TEST_F(CliTest, HostAndJoinThroughTheRelay) {
  std::string room_id;
  // Both sides relay only (the common options may follow the subcommand).
  auto h = host(room_id, {"--for", "60", "--relay-only"});
  ASSERT_FALSE(room_id.empty());
  int code = -1;
  std::string err;
  const json::object result =
      join(room_id, {"--relay-only", "--count", "200", "--size", "1200"}, code, &err);
  EXPECT_EQ(code, 0) << err;
  expect_result(result, "relay", 200);
  auto peer_line = h->line();
  ASSERT_TRUE(peer_line);
  EXPECT_EQ(parse_line(*peer_line).at("path"), "relay");
  h->signal(SIGINT);
  EXPECT_EQ(h->wait(), 0);
}

TEST_F(CliTest, HostForSecondsEndsByItself) {
  std::string room_id;
  auto h = host(room_id, {"--for", "1"});
  EXPECT_EQ(h->wait(std::chrono::seconds(20)), 0) << h->stderr_text();
}

TEST_F(CliTest, RefusalsAreClearWithTheirExitCodes) {
  std::string room_id;
  auto h = host(room_id, {"--password", "sesame", "--max", "2"});
  int code = -1;
  json::object last = join("no-such-room", {}, code);
  EXPECT_EQ(code, 4);
  EXPECT_EQ(last.at("event"), "error");
  EXPECT_EQ(last.at("code"), "ROOM_NOT_FOUND");
  EXPECT_TRUE(last.at("message").is_string());

  last = join(room_id, {"--password", "wrong"}, code);
  EXPECT_EQ(code, 4);
  EXPECT_EQ(last.at("code"), "WRONG_PASSWORD");

  // No server at all.
  Cli nowhere({"--server", "http://127.0.0.1:1", "--json", "rooms"});
  const auto lines = nowhere.rest();
  EXPECT_EQ(nowhere.wait(), 3);
  ASSERT_EQ(lines.size(), 1u) << nowhere.stderr_text();
  EXPECT_EQ(parse_line(lines[0]).at("code"), "UNREACHABLE");

  // Usage errors.
  Cli usage({"join"});
  EXPECT_EQ(usage.wait(), 2);
  h->signal(SIGTERM);
  EXPECT_EQ(h->wait(), 0);
}

TEST_F(CliTest, ProbeReportsWhatTheRelaysStunSaw) {
  Cli probe({"--server", room_.url(), "--json", "probe"});
  const auto lines = probe.rest();
  EXPECT_EQ(probe.wait(), 0) << probe.stderr_text();
  ASSERT_EQ(lines.size(), 1u) << probe.stderr_text();
  const json::object r = parse_line(lines[0]);
  EXPECT_EQ(keys(r), (std::set<std::string>{"event", "localAddress", "publicAddress", "mapping",
                                            "udpBlocked", "observations"}))
      << lines[0];
  EXPECT_EQ(r.at("event"), "probe");
  EXPECT_EQ(r.at("udpBlocked"), false);
  // The relay on loopback answered: it saw us at a loopback address.
  EXPECT_EQ(std::string(r.at("publicAddress").as_string()).rfind("127.0.0.1:", 0), 0u) << lines[0];
  ASSERT_TRUE(r.at("observations").is_array());
  EXPECT_FALSE(r.at("observations").as_array().empty());
}

TEST_F(CliTest, RoomsListsTheLobbyAndReadsTheServerFromTheEnvironment) {
  std::string room_id;
  auto h = host(room_id, {"--room-name", "cli lobby"});
  Cli rooms({"--json", "rooms", "--game", "0100000000010000"}, {"SUDACHI_SERVER=" + room_.url()});
  const auto lines = rooms.rest();
  EXPECT_EQ(rooms.wait(), 0) << rooms.stderr_text();
  ASSERT_EQ(lines.size(), 2u);
  const json::object room = parse_line(lines[0]);
  EXPECT_EQ(room.at("event"), "lobby_room");
  EXPECT_EQ(room.at("roomId"), room_id.c_str());
  EXPECT_EQ(room.at("name"), "cli lobby");
  EXPECT_EQ(room.at("players"), 1);
  const json::object summary = parse_line(lines[1]);
  EXPECT_EQ(summary.at("event"), "rooms");
  EXPECT_EQ(summary.at("count"), 1);
  h->signal(SIGTERM);
  EXPECT_EQ(h->wait(), 0);
}

}  // namespace
}  // namespace sudachi::client::test

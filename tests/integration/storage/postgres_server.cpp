#include "postgres_server.hpp"
#include "free_port.hpp"

#include <fcntl.h>
#include <grp.h>
#include <libpq-fe.h>
#include <pwd.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>
#include <vector>

namespace sudachi::storage::test {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

constexpr const char* kUser = "sudachi";
constexpr const char* kPassword = "sudachi-test-pw";

// SUDACHI_PG_BINDIR from the environment, then what pg_config said at configure time, then
// the newest Debian layout /usr/lib/postgresql/<major>/bin.
std::string find_bindir() {
  auto has_server = [](const fs::path& dir) {
    std::error_code ec;
    return fs::exists(dir / "initdb", ec) && fs::exists(dir / "postgres", ec);
  };
  if (const char* env = std::getenv("SUDACHI_PG_BINDIR"); env && has_server(env)) return env;
#ifdef SUDACHI_PG_BINDIR
  if (has_server(SUDACHI_PG_BINDIR)) return SUDACHI_PG_BINDIR;
#endif
  std::vector<fs::path> found;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator("/usr/lib/postgresql", ec)) {
    if (has_server(entry.path() / "bin")) found.push_back(entry.path() / "bin");
  }
  // Numeric order: "9.6" < "15" must not sort as text.
  std::sort(found.begin(), found.end(), [](const fs::path& a, const fs::path& b) {
    return std::atof(a.parent_path().filename().c_str()) <
           std::atof(b.parent_path().filename().c_str());
  });
  return found.empty() ? std::string() : found.back().string();
}

struct Credentials {
  bool switch_user = false;
  uid_t uid = 0;
  gid_t gid = 0;
};

// fork + exec with stdout and stderr appended to `log_path`, run in `cwd` (the server tools
// resolve their own path relative to it, so it must be readable by the user they run as).
// Everything the child touches is prepared before fork(): the test process has threads, and
// after fork only async-signal-safe calls are allowed until exec.
pid_t spawn(const std::vector<std::string>& args, const Credentials& who, const std::string& cwd,
            const std::string& log_path, int parent_death_signal, std::string& error) {
  std::vector<char*> argv;
  for (const std::string& arg : args) argv.push_back(const_cast<char*>(arg.c_str()));
  argv.push_back(nullptr);
  const int log = ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  const int null_in = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  if (log < 0 || null_in < 0) {
    error = "cannot open " + log_path;
    return -1;
  }
  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid == 0) {
    if (::dup2(null_in, 0) < 0 || ::dup2(log, 1) < 0 || ::dup2(log, 2) < 0) ::_exit(120);
    ::close_range(3, ~0U, 0);  // no test sockets leak into the server
    if (who.switch_user &&
        (::setgroups(0, nullptr) != 0 || ::setgid(who.gid) != 0 || ::setuid(who.uid) != 0)) {
      ::_exit(121);
    }
    // After the user switch: changing credentials clears the parent-death signal.
    if (::prctl(PR_SET_PDEATHSIG, parent_death_signal) != 0 || ::getppid() != parent) {
      ::_exit(122);
    }
    if (::chdir(cwd.c_str()) != 0) ::_exit(123);
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  ::close(log);
  ::close(null_in);
  if (pid < 0) error = "fork failed";
  return pid;
}

// Waits for `pid` to exit; after `timeout` it is killed. The exit status, or -1 if killed.
int wait_exit(pid_t pid, std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  int status = 0;
  while (Clock::now() < deadline) {
    const pid_t done = ::waitpid(pid, &status, WNOHANG);
    if (done == pid) return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    if (done < 0) return -1;
    std::this_thread::sleep_for(10ms);
  }
  ::kill(pid, SIGKILL);
  ::waitpid(pid, &status, 0);
  return -1;
}

}  // namespace

std::unique_ptr<PostgresServer> PostgresServer::create(std::string& error) {
  std::unique_ptr<PostgresServer> server(new PostgresServer());
  server->bindir_ = find_bindir();
  if (server->bindir_.empty()) {
    error =
        "no PostgreSQL server binaries (initdb, postgres) found: install the postgresql "
        "package or set SUDACHI_PG_BINDIR";
    return nullptr;
  }
  std::string base = (fs::temp_directory_path() / "sudachi-pg-XXXXXX").string();
  if (::mkdtemp(base.data()) == nullptr) {
    error = "mkdtemp failed";
    return nullptr;
  }
  server->base_ = base;
  server->log_path_ = base + "/postgres.log";

  if (::geteuid() == 0) {
    const passwd* user = ::getpwnam("postgres");
    if (user == nullptr) {
      error = "running as root, and there is no `postgres` user to run the server as";
      return nullptr;
    }
    server->as_postgres_user_ = true;
    server->uid_ = user->pw_uid;
    server->gid_ = user->pw_gid;
    if (::chown(base.c_str(), server->uid_, server->gid_) != 0) {
      error = "chown " + base + " failed";
      return nullptr;
    }
  }

  const std::string pwfile = base + "/pwfile";
  std::ofstream(pwfile) << kPassword << '\n';
  if (server->as_postgres_user_) (void)::chown(pwfile.c_str(), server->uid_, server->gid_);

  // Password authentication, so the URL's user:password part is exercised as in production.
  const std::vector<std::string> args = {server->bindir_ + "/initdb",
                                         "-D",
                                         base + "/data",
                                         "-U",
                                         kUser,
                                         "--pwfile=" + pwfile,
                                         "--auth=scram-sha-256",
                                         "--encoding=UTF8",
                                         "--locale=C",
                                         "--no-sync",
                                         "--no-instructions"};
  const Credentials who{server->as_postgres_user_, server->uid_, server->gid_};
  const pid_t pid = spawn(args, who, base, server->log_path_, SIGKILL, error);
  if (pid < 0) return nullptr;
  if (const int status = wait_exit(pid, 120s); status != 0) {
    error = "initdb failed (" + std::to_string(status) + "): " + server->log_tail();
    return nullptr;
  }
  fs::remove(pwfile);
  return server;
}

PostgresServer::~PostgresServer() {
  std::string ignored;
  if (running()) stop(ignored);
  std::error_code ec;
  if (!base_.empty()) fs::remove_all(base_, ec);
}

bool PostgresServer::start(std::string& error) {
  if (running()) return true;
  const bool pick_port = port_ == 0;
  for (int attempt = 0; attempt < (pick_port ? 5 : 1); ++attempt) {
    if (pick_port) port_ = ::sudachi::test::free_loopback_port();
    if (spawn_postmaster(error) && wait_ready(60s, error)) return true;
  }
  return false;
}

bool PostgresServer::spawn_postmaster(std::string& error) {
  // fsync and friends off: the tests need restarts, not crash safety, and CI disks are slow.
  const std::vector<std::string> args = {bindir_ + "/postgres",
                                         "-D",
                                         base_ + "/data",
                                         "-p",
                                         std::to_string(port_),
                                         "-c",
                                         "listen_addresses=127.0.0.1",
                                         "-c",
                                         "unix_socket_directories=" + base_,
                                         "-c",
                                         "fsync=off",
                                         "-c",
                                         "full_page_writes=off",
                                         "-c",
                                         "synchronous_commit=off",
                                         "-c",
                                         "shared_buffers=32MB"};
  const Credentials who{as_postgres_user_, uid_, gid_};
  pid_ = spawn(args, who, base_, log_path_, SIGQUIT, error);
  return pid_ > 0;
}

bool PostgresServer::wait_ready(std::chrono::milliseconds timeout, std::string& error) {
  const std::string conninfo = "host=127.0.0.1 port=" + std::to_string(port_) +
                               " dbname=postgres user=" + kUser + " connect_timeout=2";
  const auto deadline = Clock::now() + timeout;
  while (Clock::now() < deadline) {
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      error = "postgres exited during start-up: " + log_tail();
      return false;
    }
    // PQping succeeds once the server accepts connections, before any authentication.
    if (PQping(conninfo.c_str()) == PQPING_OK) return true;
    std::this_thread::sleep_for(20ms);
  }
  std::string ignored;
  stop(ignored);
  error = "postgres not ready within the timeout: " + log_tail();
  return false;
}

bool PostgresServer::stop(std::string& error) {
  if (!running()) return true;
  ::kill(pid_, SIGINT);
  const int status = wait_exit(pid_, 60s);
  pid_ = -1;
  if (status != 0) {
    error = "postgres did not shut down cleanly: " + log_tail();
    return false;
  }
  return true;
}

std::string PostgresServer::url(const std::string& database) const {
  return std::string("postgres://") + kUser + ":" + kPassword +
         "@127.0.0.1:" + std::to_string(port_) + "/" + database;
}

std::string PostgresServer::log_tail() const {
  std::ifstream in(log_path_);
  std::stringstream text;
  text << in.rdbuf();
  const std::string all = text.str();
  return all.size() > 3'000 ? all.substr(all.size() - 3'000) : all;
}

}  // namespace sudachi::storage::test

#pragma once

#include <sys/types.h>

#include <chrono>
#include <memory>
#include <string>

namespace sudachi::storage::test {

// A private PostgreSQL server for the tests: a cluster made by initdb in a fresh temporary
// directory, a postmaster on 127.0.0.1 and a free port, its Unix socket in that directory.
// Nothing is shared with a system installation, so tests can stop and restart it at will.
//
// initdb and postgres refuse to run as root, and CI runs as root: then every server process is
// started as the `postgres` system user (the directory is handed over to it). The postmaster
// is our child and gets SIGQUIT (immediate shutdown) if the test process dies, so a crashed
// test leaves no server behind.
class PostgresServer {
 public:
  // initdb only; start() starts the server. Empty pointer and `error` set on failure.
  static std::unique_ptr<PostgresServer> create(std::string& error);
  ~PostgresServer();  // stops the server and removes the directory

  PostgresServer(const PostgresServer&) = delete;
  PostgresServer& operator=(const PostgresServer&) = delete;

  // Starts the postmaster and waits (bounded) until it accepts connections. The first start
  // picks a free port, retrying with another one if it was taken meanwhile; later starts
  // reuse it so that URLs handed out stay valid across a restart.
  bool start(std::string& error);
  // Fast shutdown (what `pg_ctl stop -m fast` sends: SIGINT): sessions are terminated, open
  // transactions rolled back, then a clean shutdown. Bounded; escalates to SIGKILL.
  bool stop(std::string& error);
  bool running() const { return pid_ > 0; }

  // postgres://sudachi:<password>@127.0.0.1:<port>/<database>: the URL form DATABASE_URL uses.
  std::string url(const std::string& database) const;
  int port() const { return port_; }
  std::string log_tail() const;  // the end of the server log, for failure messages

 private:
  PostgresServer() = default;
  bool spawn_postmaster(std::string& error);
  bool wait_ready(std::chrono::milliseconds timeout, std::string& error);

  std::string bindir_;
  std::string base_;  // the temporary directory: data/, the socket, the log
  std::string log_path_;
  bool as_postgres_user_ = false;
  uid_t uid_ = 0;
  gid_t gid_ = 0;
  int port_ = 0;
  pid_t pid_ = -1;
};

}  // namespace sudachi::storage::test

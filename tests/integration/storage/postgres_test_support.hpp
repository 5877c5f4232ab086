#pragma once

#include <libpq-fe.h>

#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "postgres_server.hpp"

namespace sudachi::storage::test {

// The suite's server, started once for the whole process by a GoogleTest environment (one
// initdb instead of one per test). Tests that stop it must start it again (RestartGuard).
PostgresServer& postgres_server();

// Creates an empty database on the suite's server and returns its URL, so every test starts
// from a database that has never been migrated.
std::string fresh_database_url();

// Starts the server again when a test that stopped it ends, even by a failed assertion, so
// that later tests find it running.
class RestartGuard {
 public:
  RestartGuard() = default;
  ~RestartGuard();
  RestartGuard(const RestartGuard&) = delete;
  RestartGuard& operator=(const RestartGuard&) = delete;
};

// A plain libpq connection for checking what the code under test stored, independent of it.
// Times are read in UTC so expected values are written as such.
class RawPg {
 public:
  explicit RawPg(const std::string& url);
  ~RawPg() { PQfinish(conn_); }
  RawPg(const RawPg&) = delete;
  RawPg& operator=(const RawPg&) = delete;

  // Every row of `sql`, each column as text; NULL reads as "<null>" so it cannot pass for "".
  std::vector<std::vector<std::string>> rows(const std::string& sql);
  std::vector<std::string> row(const std::string& sql);  // exactly one row expected
  std::string value(const std::string& sql);             // one row, one column
  bool exec(const std::string& sql);

 private:
  PGconn* conn_ = nullptr;
};

}  // namespace sudachi::storage::test

#include "postgres_test_support.hpp"

#include <atomic>
#include <memory>

namespace sudachi::storage::test {
namespace {

std::unique_ptr<PostgresServer> g_server;

// Runs before the first test and after the last. A fatal failure here makes GoogleTest skip
// every test and fail the run, which is what a CI without PostgreSQL should see.
class PostgresEnvironment final : public ::testing::Environment {
 public:
  void SetUp() override {
    std::string error;
    g_server = PostgresServer::create(error);
    ASSERT_TRUE(g_server) << error;
    ASSERT_TRUE(g_server->start(error)) << error;
  }
  void TearDown() override { g_server.reset(); }
};

// Registered at static initialisation, before gtest_main's RUN_ALL_TESTS.
[[maybe_unused]] ::testing::Environment* const g_environment =
    ::testing::AddGlobalTestEnvironment(new PostgresEnvironment);

}  // namespace

PostgresServer& postgres_server() {
  return *g_server;
}

std::string fresh_database_url() {
  static std::atomic<int> counter{0};
  const std::string name = "history_" + std::to_string(counter.fetch_add(1));
  RawPg admin(postgres_server().url("postgres"));
  EXPECT_TRUE(admin.exec("CREATE DATABASE " + name));
  return postgres_server().url(name);
}

RestartGuard::~RestartGuard() {
  std::string error;
  EXPECT_TRUE(postgres_server().start(error)) << error;
}

RawPg::RawPg(const std::string& url) {
  // Bounded, so a test against a stopped server fails instead of hanging.
  conn_ = PQconnectdb((url + "?connect_timeout=5&options=-c%20TimeZone%3DUTC%20-c%20"
                             "statement_timeout%3D10000")
                          .c_str());
  if (PQstatus(conn_) != CONNECTION_OK) ADD_FAILURE() << "connect: " << PQerrorMessage(conn_);
}

std::vector<std::vector<std::string>> RawPg::rows(const std::string& sql) {
  std::vector<std::vector<std::string>> out;
  PGresult* result = PQexec(conn_, sql.c_str());
  if (PQresultStatus(result) != PGRES_TUPLES_OK) {
    ADD_FAILURE() << sql << ": " << PQresultErrorMessage(result);
  } else {
    for (int r = 0; r < PQntuples(result); ++r) {
      std::vector<std::string> row;
      for (int c = 0; c < PQnfields(result); ++c) {
        row.emplace_back(PQgetisnull(result, r, c) ? "<null>" : PQgetvalue(result, r, c));
      }
      out.push_back(std::move(row));
    }
  }
  PQclear(result);
  return out;
}

std::vector<std::string> RawPg::row(const std::string& sql) {
  auto all = rows(sql);
  if (all.size() != 1) {
    ADD_FAILURE() << sql << ": " << all.size() << " rows, expected 1";
    return {};
  }
  return all.front();
}

std::string RawPg::value(const std::string& sql) {
  auto one = row(sql);
  return one.size() == 1 ? one.front() : "<no value>";
}

bool RawPg::exec(const std::string& sql) {
  PGresult* result = PQexec(conn_, sql.c_str());
  const ExecStatusType status = PQresultStatus(result);
  const bool ok = status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK;
  if (!ok) ADD_FAILURE() << sql << ": " << PQresultErrorMessage(result);
  PQclear(result);
  return ok;
}

}  // namespace sudachi::storage::test

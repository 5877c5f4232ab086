// Migrations against a real PostgreSQL: what a room-server instance does at start-up.
#include "storage/postgres/postgres_schema.hpp"

#include <gtest/gtest.h>

#include <latch>
#include <thread>

#include "postgres_test_support.hpp"
#include "storage/postgres/postgres_history_backend.hpp"
#include "storage_test_support.hpp"

namespace sudachi::storage {
namespace {

using Rows = std::vector<std::vector<std::string>>;

const Rows kTables = {{"clients"}, {"connection_metrics"}, {"room_history"}, {"schema_migrations"}};

Rows tables(test::RawPg& db) {
  return db.rows(
      "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' "
      "ORDER BY table_name");
}

TEST(PostgresSchema, FreshDatabaseGetsEveryTableIndexAndTheVersion) {
  const std::string url = test::fresh_database_url();
  auto backend = open_postgres_history(url);
  ASSERT_TRUE(backend.ok()) << backend.error().message;

  test::RawPg db(url);
  EXPECT_EQ(tables(db), kTables);
  // Separate CREATE INDEX statements (not the spec's MySQL-style inline INDEX), the same
  // names and columns as the SQLite schema.
  EXPECT_EQ(db.rows("SELECT tablename, indexname, indexdef LIKE '%(' || cols || ')' "
                    "FROM pg_indexes JOIN (VALUES "
                    "('idx_clients_last_seen', 'last_seen'), "
                    "('idx_clients_username', 'username'), "
                    "('idx_connection_metrics_client_time', 'client_id, recorded_at'), "
                    "('idx_room_history_created_at', 'created_at'), "
                    "('idx_room_history_game_id', 'game_id')) AS expected (name, cols) "
                    "ON indexname = name WHERE schemaname = 'public' ORDER BY indexname"),
            (Rows{{"clients", "idx_clients_last_seen", "t"},
                  {"clients", "idx_clients_username", "t"},
                  {"connection_metrics", "idx_connection_metrics_client_time", "t"},
                  {"room_history", "idx_room_history_created_at", "t"},
                  {"room_history", "idx_room_history_game_id", "t"}}));
  EXPECT_EQ(db.value("SELECT count(*) FROM pg_indexes WHERE schemaname = 'public' "
                     "AND indexname LIKE 'idx_%'"),
            "5");

  // The types that differ from SQLite's: instants, JSONB, a 64-bit identity, title ids as text.
  EXPECT_EQ(db.rows("SELECT table_name || '.' || column_name, data_type "
                    "FROM information_schema.columns WHERE table_schema = 'public' AND "
                    "(column_name IN ('last_seen', 'stats', 'game_id', 'connection_types', "
                    "'closed_at', 'packet_loss_rate', 'recorded_at') OR "
                    "(table_name = 'connection_metrics' AND column_name = 'id')) "
                    "ORDER BY 1"),
            (Rows{{"clients.last_seen", "timestamp with time zone"},
                  {"clients.stats", "jsonb"},
                  {"connection_metrics.id", "bigint"},
                  {"connection_metrics.packet_loss_rate", "double precision"},
                  {"connection_metrics.recorded_at", "timestamp with time zone"},
                  {"room_history.closed_at", "timestamp with time zone"},
                  {"room_history.connection_types", "jsonb"},
                  {"room_history.game_id", "text"}}));

  EXPECT_EQ(db.row("SELECT version, applied_at > now() - interval '1 minute' "
                   "FROM schema_migrations"),
            (std::vector<std::string>{"1", "t"}));
  EXPECT_EQ(pg::latest_history_schema_version(), 1);
}

TEST(PostgresSchema, ReopeningIsIdempotentAndKeepsData) {
  const std::string url = test::fresh_database_url();
  for (int round = 0; round < 3; ++round) {
    auto backend = open_postgres_history(url);
    ASSERT_TRUE(backend.ok()) << backend.error().message;
    HistoryBatch batch;
    batch.clients.push_back(test::client_row("c" + std::to_string(round)));
    const Status written = (*backend)->write_batch(batch);
    ASSERT_TRUE(written.ok()) << written.error().message;
  }
  test::RawPg db(url);
  EXPECT_EQ(db.row("SELECT count(*), max(version) FROM schema_migrations"),
            (std::vector<std::string>{"1", "1"}));
  EXPECT_EQ(db.value("SELECT count(*) FROM clients"), "3");
}

// Eight instances starting at once against an empty database: one migrates, the others wait
// on the advisory lock and find the schema in place. Without the lock, concurrent
// CREATE TABLE IF NOT EXISTS can fail with a unique violation in the catalog.
TEST(PostgresSchema, ConcurrentStartsMigrateOnceWithoutErrors) {
  constexpr int kInstances = 8;
  const std::string url = test::fresh_database_url();
  std::vector<std::string> errors(kInstances);
  std::latch start(kInstances);
  std::vector<std::thread> threads;
  for (int i = 0; i < kInstances; ++i) {
    threads.emplace_back([&, i] {
      start.arrive_and_wait();  // maximise the overlap
      auto backend = open_postgres_history(url);
      if (!backend.ok()) errors[i] = backend.error().message;
    });
  }
  for (auto& thread : threads) thread.join();
  for (int i = 0; i < kInstances; ++i) EXPECT_EQ(errors[i], "") << "instance " << i;

  test::RawPg db(url);
  EXPECT_EQ(tables(db), kTables);
  EXPECT_EQ(db.value("SELECT count(*) FROM schema_migrations"), "1");
  EXPECT_EQ(db.value("SELECT count(*) FROM pg_indexes WHERE schemaname = 'public' "
                     "AND indexname LIKE 'idx_%'"),
            "5");
}

TEST(PostgresSchema, DatabaseFromANewerBuildIsRefused) {
  const std::string url = test::fresh_database_url();
  ASSERT_TRUE(open_postgres_history(url).ok());
  {
    test::RawPg db(url);
    ASSERT_TRUE(db.exec("INSERT INTO schema_migrations (version) VALUES (999)"));
  }
  auto reopened = open_postgres_history(url);
  ASSERT_FALSE(reopened.ok());
  EXPECT_NE(reopened.error().message.find("newer than this build"), std::string::npos)
      << reopened.error().message;
}

TEST(PostgresSchema, VersionOfAnUnmigratedDatabaseIsZero) {
  const std::string url = test::fresh_database_url();
  pg::ConnectOptions options;
  options.url = url;
  auto db = pg::Connection::open(options);
  ASSERT_TRUE(db.ok()) << db.error().message;
  auto before = pg::history_schema_version(*db, std::chrono::seconds{5});
  ASSERT_TRUE(before.ok()) << before.error().message;
  EXPECT_EQ(*before, 0);
  ASSERT_TRUE(pg::migrate_history_schema(*db, std::chrono::seconds{5}).ok());
  ASSERT_TRUE(pg::migrate_history_schema(*db, std::chrono::seconds{5}).ok());
  auto after = pg::history_schema_version(*db, std::chrono::seconds{5});
  ASSERT_TRUE(after.ok()) << after.error().message;
  EXPECT_EQ(*after, 1);
}

}  // namespace
}  // namespace sudachi::storage

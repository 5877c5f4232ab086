#include "storage/sqlite/sqlite_schema.hpp"

#include <gtest/gtest.h>

#include <cctype>
#include <string_view>

#include "storage/sqlite/sqlite_history_backend.hpp"
#include "storage/sqlite/sqlite_history_reader.hpp"
#include "storage_test_support.hpp"

namespace sudachi::storage {
namespace {

using test::RawDb;

// "2026-11-25T05:44:21.123Z": digits where the pattern has 'd', the other characters verbatim.
// (A character walk rather than std::regex, whose GCC 12 headers warn under the sanitizers.)
bool is_iso_millis(std::string_view text) {
  constexpr std::string_view kPattern = "dddd-dd-ddTdd:dd:dd.dddZ";
  if (text.size() != kPattern.size()) return false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const bool digit = std::isdigit(static_cast<unsigned char>(text[i])) != 0;
    if (kPattern[i] == 'd' ? !digit : text[i] != kPattern[i]) return false;
  }
  return true;
}

TEST(SqliteSchema, FreshFileGetsEveryTableIndexAndTheVersion) {
  test::TempDir dir;
  const std::string path = dir.file("history.db");
  {
    auto backend = open_sqlite_history(path);
    ASSERT_TRUE(backend.ok()) << backend.error().message;
  }

  Result<int> version = read_history_schema_version(path);
  ASSERT_TRUE(version.ok()) << version.error().message;
  EXPECT_EQ(*version, sqlite::latest_history_schema_version());
  EXPECT_GE(*version, 1);

  RawDb db(path);
  const auto objects = db.rows(
      "SELECT type, name FROM sqlite_schema WHERE name NOT LIKE 'sqlite_%' ORDER BY type, name");
  const std::vector<std::vector<std::string>> expected = {
      {"index", "idx_clients_last_seen"},
      {"index", "idx_clients_username"},
      {"index", "idx_connection_metrics_client_time"},
      {"index", "idx_room_history_created_at"},
      {"index", "idx_room_history_game_id"},
      {"table", "clients"},
      {"table", "connection_metrics"},
      {"table", "room_history"},
      {"table", "schema_migrations"},
  };
  EXPECT_EQ(objects, expected);

  const auto migration = db.row("SELECT version, applied_at FROM schema_migrations");
  ASSERT_EQ(migration.size(), 2u);
  EXPECT_EQ(migration[0], "1");
  EXPECT_TRUE(is_iso_millis(migration[1])) << migration[1];

  EXPECT_EQ(db.row("PRAGMA journal_mode"), std::vector<std::string>{"wal"});
  // The metrics index leads with client_id, then recorded_at (per-client time ranges).
  EXPECT_EQ(db.rows("SELECT name FROM pragma_index_info('idx_connection_metrics_client_time')"),
            (std::vector<std::vector<std::string>>{{"client_id"}, {"recorded_at"}}));
}

TEST(SqliteSchema, ReopeningIsIdempotentAndKeepsData) {
  test::TempDir dir;
  const std::string path = dir.file("history.db");
  for (int round = 0; round < 3; ++round) {
    auto backend = open_sqlite_history(path);
    ASSERT_TRUE(backend.ok()) << backend.error().message;
    HistoryBatch batch;
    batch.clients.push_back(test::client_row("c" + std::to_string(round)));
    ASSERT_TRUE((*backend)->write_batch(batch).ok());
  }
  RawDb db(path);
  EXPECT_EQ(db.row("SELECT count(*), max(version) FROM schema_migrations"),
            (std::vector<std::string>{"1", "1"}));
  EXPECT_EQ(count_history_rows(path, HistoryTable::clients).value(), 3);
}

TEST(SqliteSchema, MigratingTheSameHandleTwiceChangesNothing) {
  test::TempDir dir;
  const std::string path = dir.file("history.db");
  ASSERT_TRUE(open_sqlite_history(path).ok());

  sqlite3* raw = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &raw), SQLITE_OK);
  EXPECT_TRUE(sqlite::migrate_history_schema(raw).ok());
  EXPECT_TRUE(sqlite::migrate_history_schema(raw).ok());
  sqlite3_close_v2(raw);

  RawDb db(path);
  EXPECT_EQ(db.row("SELECT count(*) FROM schema_migrations"), std::vector<std::string>{"1"});
}

TEST(SqliteSchema, FileFromANewerBuildIsRefused) {
  test::TempDir dir;
  const std::string path = dir.file("history.db");
  ASSERT_TRUE(open_sqlite_history(path).ok());
  {
    RawDb db(path);
    ASSERT_TRUE(db.exec("INSERT INTO schema_migrations (version) VALUES (999)"));
  }
  auto reopened = open_sqlite_history(path);
  ASSERT_FALSE(reopened.ok());
  EXPECT_NE(reopened.error().message.find("newer than this build"), std::string::npos)
      << reopened.error().message;
}

TEST(SqliteSchema, MissingDirectoryIsAnErrorNotACrash) {
  test::TempDir dir;
  auto backend = open_sqlite_history(dir.file("no/such/dir/history.db"));
  ASSERT_FALSE(backend.ok());
  EXPECT_EQ(backend.error().code, ErrorCode::unavailable);
}

}  // namespace
}  // namespace sudachi::storage

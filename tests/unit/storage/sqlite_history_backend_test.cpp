#include "storage/sqlite/sqlite_history_backend.hpp"

#include <gtest/gtest.h>

#include "storage/sqlite/sqlite_history_reader.hpp"
#include "storage_test_support.hpp"

namespace sudachi::storage {
namespace {

using test::kT0;
using test::RawDb;
using Row = std::vector<std::string>;
using Rows = std::vector<Row>;

class SqliteHistoryBackendTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto opened = open_sqlite_history(path_);
    ASSERT_TRUE(opened.ok()) << opened.error().message;
    backend_ = std::move(opened).value();
  }

  void write(const HistoryBatch& batch) {
    const Status status = backend_->write_batch(batch);
    ASSERT_TRUE(status.ok()) << status.error().message;
  }

  std::int64_t count(HistoryTable table) {
    auto n = count_history_rows(path_, table);
    EXPECT_TRUE(n.ok()) << n.error().message;
    return n.ok() ? *n : -1;
  }

  test::TempDir dir_;
  std::string path_ = dir_.file("history.db");
  std::unique_ptr<SqliteHistoryBackend> backend_;
};

TEST_F(SqliteHistoryBackendTest, BatchIsStoredWithExactContents) {
  HistoryBatch batch;
  batch.clients.push_back(room::ClientRow{"c-1", "alice", "windows", "1.2.3", kT0 + 123});
  room::RoomHistoryRow room = test::room_row("r-1");
  room.game_id = "8000000000000FFF";  // above INT64_MAX as a number: why game_id is text
  batch.rooms.push_back(room);
  batch.metrics.push_back(
      room::ConnectionMetricRow{"c-1", "r-1", "relay", 42, 0.125, 2'048, kT0 + 5'000});
  write(batch);

  RawDb db(path_);
  EXPECT_EQ(db.rows("SELECT id, username, created_at, last_seen, platform, sudachi_version, "
                    "stats FROM clients"),
            (Rows{{"c-1", "alice", "2023-11-14T22:13:20.123Z", "2023-11-14T22:13:20.123Z",
                   "windows", "1.2.3", "{}"}}));
  EXPECT_EQ(db.rows("SELECT id, game_id, host_client_id, max_players, actual_players, "
                    "created_at, closed_at, duration_seconds, region, connection_types, "
                    "typeof(max_players), typeof(duration_seconds) FROM room_history"),
            (Rows{{"r-1", "8000000000000FFF", "host-r-1", "4", "3", "2023-11-14T22:13:20.000Z",
                   "2023-11-14T22:14:50.500Z", "90", "eu", R"({"direct":2,"relay":1,"failed":1})",
                   "integer", "integer"}}));
  EXPECT_EQ(db.rows("SELECT id, client_id, room_id, connection_type, latency_ms, "
                    "packet_loss_rate, bandwidth_kbps, recorded_at, typeof(packet_loss_rate) "
                    "FROM connection_metrics"),
            (Rows{{"1", "c-1", "r-1", "relay", "42", "0.125", "2048", "2023-11-14T22:13:25.000Z",
                   "real"}}));
}

TEST_F(SqliteHistoryBackendTest, UnknownOptionalValuesAreNull) {
  room::RoomHistoryRow room = test::room_row("r-open");
  room.host_client_id.clear();
  room.region.clear();
  room.closed_at_ms = 0;
  HistoryBatch batch;
  batch.rooms.push_back(room);
  batch.metrics.push_back(room::ConnectionMetricRow{"c-1", "", "", 0, 0, 0, kT0});
  write(batch);

  RawDb db(path_);
  EXPECT_EQ(db.row("SELECT host_client_id, region, closed_at, duration_seconds FROM room_history"),
            (Row{"<null>", "<null>", "<null>", "<null>"}));
  EXPECT_EQ(db.row("SELECT room_id, connection_type FROM connection_metrics"),
            (Row{"<null>", "<null>"}));
}

TEST_F(SqliteHistoryBackendTest, ClientUpsertUpdatesLastSeenAndKeepsCreatedAt) {
  HistoryBatch first;
  first.clients.push_back(room::ClientRow{"c-1", "alice", "linux", "1.0.0", kT0});
  write(first);

  HistoryBatch later;
  later.clients.push_back(room::ClientRow{"c-1", "alice2", "android", "1.1.0", kT0 + 60'000});
  write(later);

  RawDb db(path_);
  const std::string query =
      "SELECT username, created_at, last_seen, platform, sudachi_version FROM clients";
  const Row updated{"alice2", "2023-11-14T22:13:20.000Z", "2023-11-14T22:14:20.000Z", "android",
                    "1.1.0"};
  EXPECT_EQ(db.rows(query), Rows{updated});

  // A late, older sighting (e.g. a retried batch) must not move anything backwards.
  write(first);
  EXPECT_EQ(db.rows(query), Rows{updated});
}

TEST_F(SqliteHistoryBackendTest, RetriedRoomRowsAreStoredOnce) {
  HistoryBatch batch;
  batch.rooms.push_back(test::room_row("r-1"));
  batch.rooms.push_back(test::room_row("r-2"));
  batch.rooms.push_back(test::room_row("r-1"));  // the same room twice in one batch
  batch.clients.push_back(test::client_row("c-1"));
  write(batch);
  write(batch);  // the sink's retry after an ambiguous failure

  EXPECT_EQ(count(HistoryTable::room_history), 2);
  EXPECT_EQ(count(HistoryTable::clients), 1);
}

TEST_F(SqliteHistoryBackendTest, LockedDatabaseFailsWholeBatchThenSameBatchSucceeds) {
  backend_.reset();
  SqliteHistoryOptions options;
  options.busy_timeout = std::chrono::milliseconds{20};
  auto opened = open_sqlite_history(path_, options);
  ASSERT_TRUE(opened.ok());
  backend_ = std::move(opened).value();

  HistoryBatch batch;
  batch.clients.push_back(test::client_row("c-1"));
  batch.rooms.push_back(test::room_row("r-1"));
  batch.metrics.push_back(test::metric_row(1));

  RawDb other(path_);
  ASSERT_TRUE(other.exec("BEGIN IMMEDIATE"));  // another process holds the write lock
  const Status blocked = backend_->write_batch(batch);
  ASSERT_FALSE(blocked.ok());
  EXPECT_EQ(blocked.error().code, ErrorCode::unavailable) << blocked.error().message;
  ASSERT_TRUE(other.exec("COMMIT"));

  EXPECT_EQ(count(HistoryTable::clients), 0);
  write(batch);  // no transaction left open by the failure
  EXPECT_EQ(count(HistoryTable::clients), 1);
  EXPECT_EQ(count(HistoryTable::room_history), 1);
  EXPECT_EQ(count(HistoryTable::connection_metrics), 1);
}

TEST_F(SqliteHistoryBackendTest, PingAndEmptyBatchSucceed) {
  EXPECT_TRUE(backend_->ping().ok());
  EXPECT_TRUE(backend_->write_batch(HistoryBatch{}).ok());
}

}  // namespace
}  // namespace sudachi::storage

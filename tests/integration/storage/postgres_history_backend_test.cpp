// PostgresHistoryBackend against a real server: what is stored, and how failures are reported.
#include "storage/postgres/postgres_history_backend.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "postgres_test_support.hpp"
#include "storage_test_support.hpp"

namespace sudachi::storage {
namespace {

using namespace std::chrono_literals;
using test::kT0;
using Row = std::vector<std::string>;
using Rows = std::vector<Row>;
using Clock = std::chrono::steady_clock;

class PostgresHistoryBackendTest : public ::testing::Test {
 protected:
  void SetUp() override { open(PostgresHistoryOptions{}); }

  void open(const PostgresHistoryOptions& options) {
    backend_.reset();
    auto opened = open_postgres_history(url_, options);
    ASSERT_TRUE(opened.ok()) << opened.error().message;
    backend_ = std::move(opened).value();
  }

  void write(const HistoryBatch& batch) {
    const Status status = backend_->write_batch(batch);
    ASSERT_TRUE(status.ok()) << status.error().message;
  }

  std::string count(const std::string& table) { return db_.value("SELECT count(*) FROM " + table); }

  std::string url_ = test::fresh_database_url();
  test::RawPg db_{url_};
  std::unique_ptr<PostgresHistoryBackend> backend_;
};

TEST_F(PostgresHistoryBackendTest, BatchIsStoredWithExactContents) {
  HistoryBatch batch;
  batch.clients.push_back(room::ClientRow{"c-1", "alice", "windows", "1.2.3", kT0 + 123});
  room::RoomHistoryRow room = test::room_row("r-1");
  room.game_id = "8000000000000FFF";  // above INT64_MAX as a number: why game_id is text
  batch.rooms.push_back(room);
  batch.metrics.push_back(
      room::ConnectionMetricRow{"c-1", "r-1", "relay", 42, 0.125, 2'048, kT0 + 5'000});
  write(batch);

  // RawPg reads in UTC; the values are those the SQLite back end stores for the same rows.
  EXPECT_EQ(db_.rows("SELECT id, username, created_at, last_seen, platform, sudachi_version, "
                     "stats FROM clients"),
            (Rows{{"c-1", "alice", "2023-11-14 22:13:20.123+00", "2023-11-14 22:13:20.123+00",
                   "windows", "1.2.3", "{}"}}));
  EXPECT_EQ(db_.rows("SELECT id, game_id, host_client_id, max_players, actual_players, "
                     "created_at, closed_at, duration_seconds, region, "
                     "connection_types = '{\"direct\":2,\"relay\":1,\"failed\":1}'::jsonb "
                     "FROM room_history"),
            (Rows{{"r-1", "8000000000000FFF", "host-r-1", "4", "3", "2023-11-14 22:13:20+00",
                   "2023-11-14 22:14:50.5+00", "90", "eu", "t"}}));
  EXPECT_EQ(db_.rows("SELECT id, client_id, room_id, connection_type, latency_ms, "
                     "packet_loss_rate, bandwidth_kbps, recorded_at FROM connection_metrics"),
            (Rows{{"1", "c-1", "r-1", "relay", "42", "0.125", "2048", "2023-11-14 22:13:25+00"}}));
}

TEST_F(PostgresHistoryBackendTest, UnknownOptionalValuesAreNull) {
  room::RoomHistoryRow room = test::room_row("r-open");
  room.host_client_id.clear();
  room.region.clear();
  room.closed_at_ms = 0;
  HistoryBatch batch;
  batch.rooms.push_back(room);
  batch.metrics.push_back(room::ConnectionMetricRow{
      "c-1", "", "", 0, std::numeric_limits<double>::quiet_NaN(), 0, kT0});
  write(batch);

  EXPECT_EQ(db_.row("SELECT host_client_id, region, closed_at, duration_seconds FROM room_history"),
            (Row{"<null>", "<null>", "<null>", "<null>"}));
  EXPECT_EQ(db_.row("SELECT room_id, connection_type, packet_loss_rate FROM connection_metrics"),
            (Row{"<null>", "<null>", "<null>"}));
}

TEST_F(PostgresHistoryBackendTest, ClientUpsertUpdatesLastSeenAndKeepsCreatedAt) {
  HistoryBatch first;
  first.clients.push_back(room::ClientRow{"c-1", "alice", "linux", "1.0.0", kT0});
  write(first);

  HistoryBatch later;
  later.clients.push_back(room::ClientRow{"c-1", "alice2", "android", "1.1.0", kT0 + 60'000});
  write(later);

  const std::string query =
      "SELECT username, created_at, last_seen, platform, sudachi_version FROM clients";
  const Row updated{"alice2", "2023-11-14 22:13:20+00", "2023-11-14 22:14:20+00", "android",
                    "1.1.0"};
  EXPECT_EQ(db_.rows(query), Rows{updated});

  // A late, older sighting (e.g. a retried batch) must not move anything backwards.
  write(first);
  EXPECT_EQ(db_.rows(query), Rows{updated});
}

// One INSERT ... ON CONFLICT DO UPDATE cannot touch a row twice, so the batch is folded per
// client first; the result must equal one upsert per row in order.
TEST_F(PostgresHistoryBackendTest, OneBatchMayHoldAClientSeveralTimes) {
  HistoryBatch batch;
  batch.clients.push_back(room::ClientRow{"c-1", "first", "linux", "1.0.0", kT0 + 1'000});
  batch.clients.push_back(room::ClientRow{"c-2", "other", "linux", "1.0.0", kT0});
  batch.clients.push_back(room::ClientRow{"c-1", "newest", "linux", "1.0.0", kT0 + 5'000});
  batch.clients.push_back(room::ClientRow{"c-1", "stale", "linux", "1.0.0", kT0});
  write(batch);

  EXPECT_EQ(db_.rows("SELECT id, username, created_at, last_seen FROM clients ORDER BY id"),
            (Rows{{"c-1", "newest", "2023-11-14 22:13:20+00", "2023-11-14 22:13:25+00"},
                  {"c-2", "other", "2023-11-14 22:13:20+00", "2023-11-14 22:13:20+00"}}));
}

TEST_F(PostgresHistoryBackendTest, RetriedRoomRowsAreStoredOnce) {
  HistoryBatch batch;
  batch.rooms.push_back(test::room_row("r-1"));
  batch.rooms.push_back(test::room_row("r-2"));
  batch.rooms.push_back(test::room_row("r-1"));  // the same room twice in one batch
  batch.clients.push_back(test::client_row("c-1"));
  write(batch);
  write(batch);  // the sink's retry after an ambiguous failure (COMMIT lost in transit)

  EXPECT_EQ(count("room_history"), "2");
  EXPECT_EQ(count("clients"), "1");
}

TEST_F(PostgresHistoryBackendTest, LargeBatchesAreSplitIntoSeveralStatements) {
  HistoryBatch batch;
  for (int i = 0; i < 2'500; ++i) batch.metrics.push_back(test::metric_row(i));
  for (int i = 0; i < 1'200; ++i) batch.rooms.push_back(test::room_row("r" + std::to_string(i)));
  write(batch);
  EXPECT_EQ(count("connection_metrics"), "2500");
  EXPECT_EQ(count("room_history"), "1200");
  EXPECT_EQ(db_.value("SELECT count(*) FROM connection_metrics WHERE id = latency_ms + 1"), "2500");
}

// Invalid UTF-8 can never be stored (SQLSTATE 22021): INVALID_REQUEST, so that the sink drops
// the batch instead of retrying it forever. Nothing of the batch is stored, and the connection
// is still good for the next one.
TEST_F(PostgresHistoryBackendTest, UnstorableBatchIsInvalidRequestAndConnectionStaysUsable) {
  HistoryBatch bad;
  bad.metrics.push_back(test::metric_row(1));
  bad.clients.push_back(room::ClientRow{"c-1", "bad\xff", "linux", "1.0.0", kT0});
  const Status status = backend_->write_batch(bad);
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.error().code, ErrorCode::invalid_request) << status.error().message;
  EXPECT_NE(status.error().message.find("22021"), std::string::npos) << status.error().message;

  HistoryBatch good;
  good.metrics.push_back(test::metric_row(2));
  write(good);
  EXPECT_EQ(db_.rows("SELECT latency_ms FROM connection_metrics"), (Rows{{"2"}}));
  EXPECT_EQ(count("clients"), "0");
}

// An operator's session holds a lock: statement_timeout ends the wait, the whole batch fails
// as UNAVAILABLE (retryable), and the same batch succeeds once the lock is gone.
TEST_F(PostgresHistoryBackendTest, LockedTableFailsWholeBatchWithinTimeoutThenSucceeds) {
  PostgresHistoryOptions options;
  options.statement_timeout = 200ms;
  options.reply_timeout = 2s;
  open(options);

  HistoryBatch batch;
  batch.clients.push_back(test::client_row("c-1"));
  batch.rooms.push_back(test::room_row("r-1"));
  batch.metrics.push_back(test::metric_row(1));

  test::RawPg other(url_);
  ASSERT_TRUE(other.exec("BEGIN"));
  ASSERT_TRUE(other.exec("LOCK TABLE room_history IN ACCESS EXCLUSIVE MODE"));
  const auto started = Clock::now();
  const Status blocked = backend_->write_batch(batch);
  EXPECT_LT(Clock::now() - started, 1500ms);
  ASSERT_FALSE(blocked.ok());
  EXPECT_EQ(blocked.error().code, ErrorCode::unavailable) << blocked.error().message;
  EXPECT_NE(blocked.error().message.find("57014"), std::string::npos) << blocked.error().message;
  ASSERT_TRUE(other.exec("COMMIT"));

  EXPECT_EQ(count("clients"), "0");  // the client upsert before the lock was rolled back
  write(batch);
  EXPECT_EQ(count("clients"), "1");
  EXPECT_EQ(count("room_history"), "1");
  EXPECT_EQ(count("connection_metrics"), "1");
}

// A server process that stops answering cannot enforce statement_timeout; the client-side
// reply deadline must end the call, and the next call reconnects.
TEST_F(PostgresHistoryBackendTest, FrozenServerCannotHangAWrite) {
  PostgresHistoryOptions options;
  options.reply_timeout = 500ms;
  options.application_name = "sudachi-frozen-test";
  open(options);
  const std::string pid_text =
      db_.value("SELECT pid FROM pg_stat_activity WHERE application_name = 'sudachi-frozen-test'");
  const pid_t pid = static_cast<pid_t>(std::stol(pid_text));
  ASSERT_EQ(::kill(pid, SIGSTOP), 0);
  struct Resume {
    pid_t pid;
    ~Resume() { ::kill(pid, SIGCONT); }
  } resume{pid};

  HistoryBatch batch;
  batch.metrics.push_back(test::metric_row(1));
  const auto started = Clock::now();
  const Status frozen = backend_->write_batch(batch);
  EXPECT_LT(Clock::now() - started, 2s);
  ASSERT_FALSE(frozen.ok());
  EXPECT_EQ(frozen.error().code, ErrorCode::unavailable) << frozen.error().message;
  ::kill(pid, SIGCONT);

  write(batch);  // a new connection
  EXPECT_EQ(count("connection_metrics"), "1");
}

TEST_F(PostgresHistoryBackendTest, LostConnectionIsUnavailableThenReconnects) {
  PostgresHistoryOptions options;
  options.application_name = "sudachi-terminated-test";
  open(options);
  // The PostgreSQL 14+ form waits until the session is gone, so the next call must notice.
  EXPECT_EQ(db_.value("SELECT pg_terminate_backend(pid, 5000) FROM pg_stat_activity "
                      "WHERE application_name = 'sudachi-terminated-test'"),
            "t");
  const Status lost = backend_->ping();
  ASSERT_FALSE(lost.ok());
  EXPECT_EQ(lost.error().code, ErrorCode::unavailable) << lost.error().message;
  EXPECT_TRUE(backend_->ping().ok());
  HistoryBatch batch;
  batch.rooms.push_back(test::room_row("r-1"));
  write(batch);
  EXPECT_EQ(count("room_history"), "1");
}

TEST_F(PostgresHistoryBackendTest, PingAndEmptyBatchSucceed) {
  EXPECT_TRUE(backend_->ping().ok());
  EXPECT_TRUE(backend_->write_batch(HistoryBatch{}).ok());
}

TEST(PostgresHistoryOpen, MalformedUrlIsInvalidRequest) {
  auto backend = open_postgres_history("postgres://user@127.0.0.1:5432/db?no_such_option=1");
  ASSERT_FALSE(backend.ok());
  EXPECT_EQ(backend.error().code, ErrorCode::invalid_request) << backend.error().message;
}

TEST(PostgresHistoryOpen, WrongPasswordIsUnavailableAndDoesNotEchoIt) {
  std::string url = test::postgres_server().url("postgres");
  const std::string password = "sudachi-test-pw";
  url.replace(url.find(password), password.size(), "not-the-password");
  auto backend = open_postgres_history(url);
  ASSERT_FALSE(backend.ok());
  EXPECT_EQ(backend.error().code, ErrorCode::unavailable);
  EXPECT_EQ(backend.error().message.find("not-the-password"), std::string::npos)
      << backend.error().message;
}

TEST(PostgresHistoryOpen, NothingListeningFailsFast) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof address;
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
  ASSERT_EQ(::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length), 0);
  ::close(fd);  // the port is now (very probably) closed: connection refused

  const auto started = Clock::now();
  auto backend = open_postgres_history(
      "postgres://u:p@127.0.0.1:" + std::to_string(ntohs(address.sin_port)) + "/db");
  EXPECT_LT(Clock::now() - started, 2s);
  ASSERT_FALSE(backend.ok());
  EXPECT_EQ(backend.error().code, ErrorCode::unavailable) << backend.error().message;
}

// A peer that accepts TCP but never speaks (a hung server, a black-holing proxy): the connect
// timeout ends the attempt.
TEST(PostgresHistoryOpen, SilentServerTimesOut) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof address;
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
  ASSERT_EQ(::listen(fd, 8), 0);  // the kernel completes handshakes; nobody ever answers
  ASSERT_EQ(::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length), 0);

  PostgresHistoryOptions options;
  options.connect_timeout = 1s;  // libpq's minimum is 2 s
  const auto started = Clock::now();
  auto backend = open_postgres_history(
      "postgres://u:p@127.0.0.1:" + std::to_string(ntohs(address.sin_port)) + "/db", options);
  const auto elapsed = Clock::now() - started;
  ::close(fd);
  EXPECT_LT(elapsed, 6s);
  ASSERT_FALSE(backend.ok());
  EXPECT_EQ(backend.error().code, ErrorCode::unavailable) << backend.error().message;
}

}  // namespace
}  // namespace sudachi::storage

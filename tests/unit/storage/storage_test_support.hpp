#pragma once

#include <sqlite3.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "room/history_sink.hpp"

namespace sudachi::storage::test {

// A fresh directory per test, removed afterwards, so database files never leak between tests
// or between concurrent runs of the suite.
class TempDir {
 public:
  TempDir() {
    static std::atomic<int> counter{0};
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    path_ = std::filesystem::temp_directory_path() /
            ("sudachi-storage-" + std::to_string(::getpid()) + "-" +
             std::to_string(counter.fetch_add(1)) + "-" + (info ? info->name() : "x"));
    std::filesystem::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  std::string file(const std::string& name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

// A raw sqlite3 connection for checking what the code under test stored, independent of it.
class RawDb {
 public:
  explicit RawDb(const std::string& path) {
    if (sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READWRITE, nullptr) != SQLITE_OK) {
      ADD_FAILURE() << "cannot open " << path << ": " << sqlite3_errmsg(db_);
    }
    sqlite3_busy_timeout(db_, 2'000);
  }
  ~RawDb() { sqlite3_close_v2(db_); }
  RawDb(const RawDb&) = delete;
  RawDb& operator=(const RawDb&) = delete;

  // Every row of `sql`, each column as text; NULL reads as "<null>" so it cannot pass for "".
  std::vector<std::vector<std::string>> rows(const std::string& sql) {
    std::vector<std::vector<std::string>> result;
    sqlite3_stmt* stmt = nullptr;
    if (sqlite3_prepare_v2(db_, sql.c_str(), -1, &stmt, nullptr) != SQLITE_OK) {
      ADD_FAILURE() << sql << ": " << sqlite3_errmsg(db_);
      return result;
    }
    while (sqlite3_step(stmt) == SQLITE_ROW) {
      std::vector<std::string> row;
      for (int i = 0; i < sqlite3_column_count(stmt); ++i) {
        const auto* text = sqlite3_column_text(stmt, i);
        row.emplace_back(text ? reinterpret_cast<const char*>(text) : "<null>");
      }
      result.push_back(std::move(row));
    }
    sqlite3_finalize(stmt);
    return result;
  }

  std::vector<std::string> row(const std::string& sql) {
    auto all = rows(sql);
    if (all.size() != 1) {
      ADD_FAILURE() << sql << ": " << all.size() << " rows, expected 1";
      return {};
    }
    return all.front();
  }

  bool exec(const std::string& sql) {
    return sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, nullptr) == SQLITE_OK;
  }

 private:
  sqlite3* db_ = nullptr;
};

// Polls a condition that has no notification of its own (the sink's counters) with a bounded
// wait; returns as soon as it holds. 1 ms steps keep a passing test fast.
template <class Predicate>
bool eventually(Predicate predicate,
                std::chrono::milliseconds timeout = std::chrono::milliseconds{4'000}) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!predicate()) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds{1});
  }
  return true;
}

// 2023-11-14T22:13:20.000Z, a round number that makes expected timestamps easy to read.
constexpr std::int64_t kT0 = 1'700'000'000'000;

inline room::ClientRow client_row(const std::string& id, std::int64_t seen_at_ms = kT0) {
  return room::ClientRow{id, "user-" + id, "linux", "1.0.0", seen_at_ms};
}

inline room::RoomHistoryRow room_row(const std::string& id) {
  room::RoomHistoryRow row;
  row.room_id = id;
  row.game_id = "0100000000010000";
  row.host_client_id = "host-" + id;
  row.max_players = 4;
  row.actual_players = 3;
  row.created_at_ms = kT0;
  row.closed_at_ms = kT0 + 90'500;
  row.region = "eu";
  row.connections = room::ConnectionCounts{2, 1, 1};
  return row;
}

// `n` lands in latency_ms so that tests can tell rows apart and check order.
inline room::ConnectionMetricRow metric_row(int n) {
  return room::ConnectionMetricRow{
      "client-" + std::to_string(n % 7), "room-1", "direct", n, 0.25, 1'000, kT0 + n};
}

}  // namespace sudachi::storage::test

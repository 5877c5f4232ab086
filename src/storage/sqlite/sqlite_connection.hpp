#pragma once

#include <sqlite3.h>

#include <memory>
#include <string>
#include <string_view>

#include "common/result.hpp"

namespace sudachi::storage::sqlite {

// A SQLite failure as an Error for the history contract: values the schema refuses
// (constraint, type, size) are INVALID_REQUEST because retrying cannot help; everything else
// (busy, I/O, full disk, corruption) is UNAVAILABLE. The message names what was being done.
Error make_error(sqlite3* db, int rc, std::string_view what);

// Runs SQL that returns no rows we need (DDL, transaction control, several statements).
Status exec(sqlite3* db, const char* sql);

// Owns one sqlite3 handle. Closed with sqlite3_close_v2, which defers the close until every
// statement prepared on it is finalized, so member destruction order cannot leak or crash.
class Connection {
 public:
  // `flags` as for sqlite3_open_v2 (SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, ...).
  static Result<Connection> open(const std::string& path, int flags);

  sqlite3* get() const { return db_.get(); }
  Status exec(const char* sql) { return sqlite::exec(db_.get(), sql); }

 private:
  struct Closer {
    void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
  };
  explicit Connection(sqlite3* db) : db_(db) {}

  std::unique_ptr<sqlite3, Closer> db_;
};

}  // namespace sudachi::storage::sqlite

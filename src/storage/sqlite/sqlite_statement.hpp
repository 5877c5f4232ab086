#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "common/result.hpp"

namespace sudachi::storage::sqlite {

// A prepared statement, reused for every row: bind, run (which resets and clears the
// bindings), bind again. Bind failures are remembered and reported by the next run or step,
// so call sites bind a whole row without checking each call.
class Statement {
 public:
  static Result<Statement> prepare(sqlite3* db, std::string_view sql);

  // Parameters are 1-based, as in SQL (?1, ?2, ...). Text is copied (SQLITE_TRANSIENT)
  // because callers bind temporaries such as formatted timestamps.
  void bind_text(int index, std::string_view value);
  void bind_int(int index, std::int64_t value);
  void bind_double(int index, double value);
  void bind_null(int index);
  // Empty means "unknown" for the optional columns, stored as NULL rather than ''.
  void bind_text_or_null(int index, std::string_view value);

  // Executes a statement that returns no rows, then makes it ready for the next use.
  Status run();

  // Executes a query whose first row's first column is an integer (NULL reads as 0).
  Result<std::int64_t> query_int();

 private:
  struct Finalizer {
    void operator()(sqlite3_stmt* stmt) const { sqlite3_finalize(stmt); }
  };
  Statement(sqlite3* db, sqlite3_stmt* stmt) : db_(db), stmt_(stmt) {}
  void check_bind(int rc);
  Error failed(int rc);  // resets the statement and describes the failure

  sqlite3* db_;
  std::unique_ptr<sqlite3_stmt, Finalizer> stmt_;
  int bind_error_ = SQLITE_OK;
};

}  // namespace sudachi::storage::sqlite

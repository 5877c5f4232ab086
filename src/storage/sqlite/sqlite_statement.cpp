#include "storage/sqlite/sqlite_statement.hpp"

#include <climits>

#include "storage/sqlite/sqlite_connection.hpp"

namespace sudachi::storage::sqlite {

Result<Statement> Statement::prepare(sqlite3* db, std::string_view sql) {
  sqlite3_stmt* raw = nullptr;
  if (sql.size() > static_cast<std::size_t>(INT_MAX)) {
    return Error::make(ErrorCode::internal, "sqlite: statement too long");
  }
  // SQLITE_PREPARE_PERSISTENT: these statements live as long as the connection.
  const int rc = sqlite3_prepare_v3(db, sql.data(), static_cast<int>(sql.size()),
                                    SQLITE_PREPARE_PERSISTENT, &raw, nullptr);
  if (rc != SQLITE_OK) return make_error(db, rc, "prepare " + std::string(sql.substr(0, 60)));
  return Statement(db, raw);
}

void Statement::bind_text(int index, std::string_view value) {
  check_bind(sqlite3_bind_text64(stmt_.get(), index, value.data(), value.size(), SQLITE_TRANSIENT,
                                 SQLITE_UTF8));
}

void Statement::bind_int(int index, std::int64_t value) {
  check_bind(sqlite3_bind_int64(stmt_.get(), index, value));
}

void Statement::bind_double(int index, double value) {
  check_bind(sqlite3_bind_double(stmt_.get(), index, value));
}

void Statement::bind_null(int index) {
  check_bind(sqlite3_bind_null(stmt_.get(), index));
}

void Statement::bind_text_or_null(int index, std::string_view value) {
  if (value.empty()) {
    bind_null(index);
  } else {
    bind_text(index, value);
  }
}

void Statement::check_bind(int rc) {
  if (rc != SQLITE_OK && bind_error_ == SQLITE_OK) bind_error_ = rc;
}

Status Statement::run() {
  if (bind_error_ != SQLITE_OK) return failed(bind_error_);
  const int rc = sqlite3_step(stmt_.get());
  if (rc != SQLITE_DONE && rc != SQLITE_ROW) return failed(rc);
  sqlite3_reset(stmt_.get());
  sqlite3_clear_bindings(stmt_.get());
  return ok_status();
}

Result<std::int64_t> Statement::query_int() {
  if (bind_error_ != SQLITE_OK) return failed(bind_error_);
  const int rc = sqlite3_step(stmt_.get());
  if (rc != SQLITE_ROW) {
    // A query without a row is a programming error, and make_error(SQLITE_DONE) would read
    // "no more rows available": report it as what it is.
    if (rc == SQLITE_DONE) {
      sqlite3_reset(stmt_.get());
      sqlite3_clear_bindings(stmt_.get());
      return Error::make(ErrorCode::internal, "sqlite: query returned no row");
    }
    return failed(rc);
  }
  const std::int64_t value = sqlite3_column_int64(stmt_.get(), 0);
  sqlite3_reset(stmt_.get());
  sqlite3_clear_bindings(stmt_.get());
  return value;
}

Error Statement::failed(int rc) {
  // Describe before resetting: the reset may overwrite the connection's message.
  const std::string_view sql = sqlite3_sql(stmt_.get());
  Error error = make_error(db_, rc, sql.substr(0, 60));
  sqlite3_reset(stmt_.get());
  sqlite3_clear_bindings(stmt_.get());
  bind_error_ = SQLITE_OK;
  return error;
}

}  // namespace sudachi::storage::sqlite

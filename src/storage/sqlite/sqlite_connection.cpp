#include "storage/sqlite/sqlite_connection.hpp"

#include <algorithm>

namespace sudachi::storage::sqlite {

Error make_error(sqlite3* db, int rc, std::string_view what) {
  std::string message = "sqlite: ";
  message += what;
  message += ": ";
  // sqlite3_errmsg describes the connection's latest failure; without a handle (open failed
  // before allocating one) only the code's generic text is available.
  message += db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
  message += " (";
  message += std::to_string(rc);
  message += ")";
  switch (rc & 0xff) {
    case SQLITE_CONSTRAINT:
    case SQLITE_MISMATCH:
    case SQLITE_TOOBIG:
    case SQLITE_RANGE:
      return Error::make(ErrorCode::invalid_request, std::move(message));
    default:
      return Error::make(ErrorCode::unavailable, std::move(message));
  }
}

Result<Connection> Connection::open(const std::string& path, int flags) {
  sqlite3* raw = nullptr;
  const int rc = sqlite3_open_v2(path.c_str(), &raw, flags, nullptr);
  // The handle exists even when opening failed (it carries the message) and must be closed.
  Connection connection(raw);
  if (rc != SQLITE_OK) return make_error(raw, rc, "open " + path);
  // Extended codes distinguish SQLITE_IOERR_* and friends in messages and logs.
  sqlite3_extended_result_codes(raw, 1);
  return connection;
}

Status exec(sqlite3* db, const char* sql) {
  const int rc = sqlite3_exec(db, sql, nullptr, nullptr, nullptr);
  if (rc == SQLITE_OK) return ok_status();
  // The first non-empty line is enough to tell which statement failed; migrations are long.
  std::string_view text(sql);
  text.remove_prefix(std::min(text.find_first_not_of('\n'), text.size()));
  return make_error(db, rc, text.substr(0, text.find('\n')));
}

}  // namespace sudachi::storage::sqlite

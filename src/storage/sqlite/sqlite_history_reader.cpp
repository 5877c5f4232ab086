#include "storage/sqlite/sqlite_history_reader.hpp"

#include "storage/sqlite/sqlite_connection.hpp"
#include "storage/sqlite/sqlite_schema.hpp"
#include "storage/sqlite/sqlite_statement.hpp"

namespace sudachi::storage {
namespace {

// Table names come from this switch only, never from a caller's string, so the query text
// below cannot be injected into.
const char* count_query(HistoryTable table) {
  switch (table) {
    case HistoryTable::clients:
      return "SELECT count(*) FROM clients";
    case HistoryTable::room_history:
      return "SELECT count(*) FROM room_history";
    case HistoryTable::connection_metrics:
      return "SELECT count(*) FROM connection_metrics";
  }
  return "SELECT count(*) FROM clients";
}

Result<sqlite::Connection> open_read_only(const std::string& path) {
  return sqlite::Connection::open(path, SQLITE_OPEN_READONLY);
}

}  // namespace

Result<std::int64_t> count_history_rows(const std::string& path, HistoryTable table) {
  Result<sqlite::Connection> db = open_read_only(path);
  if (!db) return std::move(db).error();
  Result<sqlite::Statement> query = sqlite::Statement::prepare(db->get(), count_query(table));
  if (!query) return std::move(query).error();
  return query->query_int();
}

Result<int> read_history_schema_version(const std::string& path) {
  Result<sqlite::Connection> db = open_read_only(path);
  if (!db) return std::move(db).error();
  return sqlite::history_schema_version(db->get());
}

}  // namespace sudachi::storage

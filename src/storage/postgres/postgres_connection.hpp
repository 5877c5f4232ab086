#pragma once

#include <libpq-fe.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"

namespace sudachi::storage::pg {

// A PostgreSQL failure as an Error for the history contract. Only SQLSTATE classes 22 (data
// exception: bad encoding, out-of-range number, malformed timestamp) and 23 (integrity
// constraint) are INVALID_REQUEST: those rows can never be stored, so a retry would wedge the
// sink's queue. Everything else (connection lost, timeout, server shutting down, a missing
// table an operator is restoring) is UNAVAILABLE, which a later retry may cure.
Error make_error(const PGresult* result, std::string_view what);
Error connection_error(const PGconn* conn, std::string_view what);

struct ConnectOptions {
  std::string url;  // postgres://user:pass@host:port/db or any libpq connection string
  std::chrono::milliseconds connect_timeout{3'000};
  std::chrono::milliseconds statement_timeout{3'000};  // server side, each statement
  std::string application_name = "sudachi-room";
};

// Query parameters, sent as text (PostgreSQL parses them with the cast written in the SQL).
// Values are copied, so callers may pass temporaries such as formatted timestamps.
class Params {
 public:
  void add_text(std::string_view value);
  void add_null();
  void add_int(std::int64_t value);
  // NaN is stored as NULL, as the SQLite back end does: "no measurement", not a number.
  void add_double(double value);
  // Empty means "unknown" for the optional columns, stored as NULL rather than ''.
  void add_text_or_null(std::string_view value);

  std::size_t size() const { return values_.size(); }
  void clear();

 private:
  friend class Connection;
  std::vector<std::string> values_;
  std::vector<bool> null_;
};

// The last result of a successful exchange (tuples for a query, nothing for a command).
class QueryResult {
 public:
  int rows() const { return result_ ? PQntuples(result_.get()) : 0; }
  bool is_null(int row, int column) const;
  std::string_view text(int row, int column) const;
  // The first column of the first row as an integer; an error if there is none.
  Result<std::int64_t> first_int() const;

 private:
  friend class Connection;
  struct Clear {
    void operator()(PGresult* result) const { PQclear(result); }
  };
  explicit QueryResult(PGresult* result) : result_(result) {}
  std::unique_ptr<PGresult, Clear> result_;
};

// One libpq connection driven through its non-blocking API, so that every exchange is bounded
// by a client-side deadline as well: statement_timeout only helps while the server is alive to
// enforce it, and a frozen server or a silently dropped network would otherwise block the
// caller for as long as TCP keeps trying (many minutes). A timed-out or lost connection is
// closed at once (usable() turns false) and the owner opens a new one on its next call.
class Connection {
 public:
  // Connects (bounded by connect_timeout, libpq rounds it up to whole seconds, at least 2),
  // then applies the session settings. Host name resolution is not covered by the timeout:
  // use an address or a local resolver in production.
  static Result<Connection> open(const ConnectOptions& options);

  // One statement with parameters (extended protocol, so values are never spliced into SQL).
  // `timeout` bounds the whole exchange, sending included.
  Result<QueryResult> exec(const std::string& sql, const Params& params,
                           std::chrono::milliseconds timeout);
  // One or more statements without parameters (simple protocol): DDL, transaction control.
  Result<QueryResult> exec(const std::string& sql, std::chrono::milliseconds timeout);

  bool usable() const { return conn_ && PQstatus(conn_.get()) == CONNECTION_OK; }
  // True inside BEGIN ... COMMIT, also when a statement failed there (an aborted transaction).
  bool in_transaction() const;

 private:
  struct Finish {
    void operator()(PGconn* conn) const { PQfinish(conn); }
  };
  explicit Connection(PGconn* conn) : conn_(conn) {}
  Result<QueryResult> finish_exchange(std::string_view sql, std::chrono::milliseconds timeout);
  Error lost(std::string_view what);  // closes the connection and describes why
  Error timed_out(std::string_view sql, std::chrono::milliseconds timeout);  // closes it too

  std::unique_ptr<PGconn, Finish> conn_;
};

}  // namespace sudachi::storage::pg

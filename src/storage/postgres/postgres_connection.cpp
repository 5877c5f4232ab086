#include "storage/postgres/postgres_connection.hpp"

#include <poll.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <climits>
#include <cmath>
#include <cstring>

namespace sudachi::storage::pg {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

// Idle time allowed inside an open transaction. Ours are a few statements sent back to back;
// this only matters if the process stalls or the network drops mid-transaction, when it makes
// the server roll back and free the rows instead of holding them until TCP gives up.
constexpr int kIdleInTransactionTimeoutMs = 30'000;

// libpq messages end with a newline (sometimes two lines); one line reads better in logs.
std::string one_line(std::string_view text) {
  std::string out(text);
  std::replace(out.begin(), out.end(), '\n', ' ');
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

// The statement's first non-empty line, short: enough to tell which one failed, and never the
// parameter values (which may hold user data).
std::string_view describe(std::string_view sql) {
  sql.remove_prefix(std::min(sql.find_first_not_of(" \n"), sql.size()));
  return sql.substr(0, std::min<std::size_t>(sql.find('\n'), 60));
}

enum class Wait { ready, timed_out, failed };

// Waits for the connection's socket (readable, or also writable while a query is being sent)
// until `deadline`. EINTR is retried: a signal is not a reason to fail a write.
Wait wait_socket(PGconn* conn, bool want_write, Clock::time_point deadline) {
  pollfd fd{};
  fd.fd = PQsocket(conn);
  fd.events = static_cast<short>(POLLIN | (want_write ? POLLOUT : 0));
  if (fd.fd < 0) return Wait::failed;
  for (;;) {
    const auto left = std::chrono::ceil<milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) return Wait::timed_out;
    const int n = ::poll(&fd, 1, static_cast<int>(std::min<std::int64_t>(left.count(), INT_MAX)));
    if (n > 0) return Wait::ready;
    if (n < 0 && errno != EINTR) return Wait::failed;
  }
}

void ignore_notice(void*, const char*) {
  // Notices ("relation already exists, skipping") are informational; libpq's default prints
  // them to stderr, which would interleave raw text with the server's JSON log lines.
}

}  // namespace

Error make_error(const PGresult* result, std::string_view what) {
  const char* state = result ? PQresultErrorField(result, PG_DIAG_SQLSTATE) : nullptr;
  const char* primary = result ? PQresultErrorField(result, PG_DIAG_MESSAGE_PRIMARY) : nullptr;
  std::string message = "postgres: ";
  message += what;
  message += ": ";
  message += one_line(primary ? primary : (result ? PQresultErrorMessage(result) : "no result"));
  if (state) {
    message += " (SQLSTATE ";
    message += state;
    message += ")";
  }
  const bool data_error =
      state && (std::strncmp(state, "22", 2) == 0 || std::strncmp(state, "23", 2) == 0);
  return Error::make(data_error ? ErrorCode::invalid_request : ErrorCode::unavailable,
                     std::move(message));
}

Error connection_error(const PGconn* conn, std::string_view what) {
  std::string message = "postgres: ";
  message += what;
  message += ": ";
  message += conn ? one_line(PQerrorMessage(conn)) : "out of memory";
  return Error::make(ErrorCode::unavailable, std::move(message));
}

void Params::add_text(std::string_view value) {
  values_.emplace_back(value);
  null_.push_back(false);
}

void Params::add_null() {
  values_.emplace_back();
  null_.push_back(true);
}

void Params::add_int(std::int64_t value) {
  add_text(std::to_string(value));
}

void Params::add_double(double value) {
  if (std::isnan(value)) return add_null();
  if (std::isinf(value)) return add_text(value > 0 ? "Infinity" : "-Infinity");
  char text[32];
  // Shortest text that reads back as the same double: no precision lost in transit.
  const auto [end, ec] = std::to_chars(std::begin(text), std::end(text), value);
  add_text(ec == std::errc{} ? std::string_view(text, static_cast<std::size_t>(end - text))
                             : std::string_view("0"));
}

void Params::add_text_or_null(std::string_view value) {
  if (value.empty()) {
    add_null();
  } else {
    add_text(value);
  }
}

void Params::clear() {
  values_.clear();
  null_.clear();
}

bool QueryResult::is_null(int row, int column) const {
  return PQgetisnull(result_.get(), row, column) != 0;
}

std::string_view QueryResult::text(int row, int column) const {
  return {PQgetvalue(result_.get(), row, column),
          static_cast<std::size_t>(PQgetlength(result_.get(), row, column))};
}

Result<std::int64_t> QueryResult::first_int() const {
  if (rows() < 1 || PQnfields(result_.get()) < 1 || is_null(0, 0)) {
    return Error::make(ErrorCode::internal, "postgres: query returned no value");
  }
  const std::string_view value = text(0, 0);
  std::int64_t number = 0;
  const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), number);
  if (ec != std::errc{} || end != value.data() + value.size()) {
    return Error::make(ErrorCode::internal, "postgres: not an integer: " + std::string(value));
  }
  return number;
}

Result<Connection> Connection::open(const ConnectOptions& options) {
  // Checked first so that a malformed URL is reported as configuration, not as an outage.
  char* parse_error = nullptr;
  PQconninfoOption* parsed = PQconninfoParse(options.url.c_str(), &parse_error);
  if (parsed == nullptr) {
    std::string message = "postgres: invalid database URL: ";
    message += parse_error ? one_line(parse_error) : "out of memory";
    PQfreemem(parse_error);
    return Error::make(ErrorCode::invalid_request, std::move(message));
  }
  PQconninfoFree(parsed);

  const auto seconds = std::max<std::int64_t>(
      std::chrono::ceil<std::chrono::seconds>(options.connect_timeout).count(), 1);
  const std::string connect_timeout = std::to_string(seconds);
  // Our defaults come before dbname (the URL) so that parameters written in the URL
  // (?connect_timeout=10, ?sslmode=require) override them: libpq keeps the last value.
  // Keepalives let the kernel notice a peer that vanished while the connection is idle.
  const char* const keywords[] = {"connect_timeout",  "application_name", "client_encoding",
                                  "keepalives",       "keepalives_idle",  "keepalives_interval",
                                  "keepalives_count", "dbname",           nullptr};
  const char* const values[] = {connect_timeout.c_str(),
                                options.application_name.c_str(),
                                "UTF8",
                                "1",
                                "30",
                                "10",
                                "3",
                                options.url.c_str(),
                                nullptr};
  Connection connection(PQconnectdbParams(keywords, values, /*expand_dbname=*/1));
  PGconn* conn = connection.conn_.get();
  if (conn == nullptr || PQstatus(conn) != CONNECTION_OK) return connection_error(conn, "connect");
  PQsetNoticeProcessor(conn, ignore_notice, nullptr);
  if (PQsetnonblocking(conn, 1) != 0) return connection_error(conn, "set non-blocking");

  const std::string settings =
      "SET statement_timeout = " + std::to_string(options.statement_timeout.count()) +
      "; SET idle_in_transaction_session_timeout = " + std::to_string(kIdleInTransactionTimeoutMs);
  Result<QueryResult> set = connection.exec(settings, options.connect_timeout);
  if (!set) return std::move(set).error();
  return connection;
}

Result<QueryResult> Connection::exec(const std::string& sql, const Params& params,
                                     milliseconds timeout) {
  if (!usable()) return Error::make(ErrorCode::unavailable, "postgres: not connected");
  if (params.size() > 65'535) {  // the protocol's limit: a bug in the caller's chunking
    return Error::make(ErrorCode::internal, "postgres: too many parameters");
  }
  std::vector<const char*> values(params.size());
  for (std::size_t i = 0; i < params.size(); ++i) {
    values[i] = params.null_[i] ? nullptr : params.values_[i].c_str();
  }
  if (PQsendQueryParams(conn_.get(), sql.c_str(), static_cast<int>(values.size()), nullptr,
                        values.data(), nullptr, nullptr, 0) == 0) {
    return lost(describe(sql));
  }
  return finish_exchange(sql, timeout);
}

Result<QueryResult> Connection::exec(const std::string& sql, milliseconds timeout) {
  if (!usable()) return Error::make(ErrorCode::unavailable, "postgres: not connected");
  if (PQsendQuery(conn_.get(), sql.c_str()) == 0) return lost(describe(sql));
  return finish_exchange(sql, timeout);
}

bool Connection::in_transaction() const {
  if (!conn_) return false;
  const PGTransactionStatusType status = PQtransactionStatus(conn_.get());
  return status == PQTRANS_INTRANS || status == PQTRANS_INERROR;
}

// Sends what libpq buffered, then collects every result of the exchange. The first error wins
// (later results of a failed script say only "transaction aborted"); otherwise the last result
// is returned, which for a one-statement query is its rows.
Result<QueryResult> Connection::finish_exchange(std::string_view sql, milliseconds timeout) {
  PGconn* conn = conn_.get();
  const Clock::time_point deadline = Clock::now() + timeout;
  for (;;) {
    const int pending = PQflush(conn);
    if (pending == 0) break;
    if (pending < 0) return lost(describe(sql));
    const Wait waited = wait_socket(conn, /*want_write=*/true, deadline);
    if (waited == Wait::timed_out) return timed_out(sql, timeout);
    if (waited == Wait::failed) return lost(describe(sql));
    // The server may answer (say, with an error) before it has read the whole query; reading
    // its reply meanwhile keeps both sides from waiting on full buffers.
    if (PQconsumeInput(conn) == 0) return lost(describe(sql));
  }

  QueryResult last(nullptr);
  QueryResult first_error(nullptr);
  for (;;) {
    while (PQisBusy(conn)) {
      const Wait waited = wait_socket(conn, /*want_write=*/false, deadline);
      if (waited == Wait::timed_out) return timed_out(sql, timeout);
      if (waited == Wait::failed || PQconsumeInput(conn) == 0) return lost(describe(sql));
    }
    PGresult* result = PQgetResult(conn);
    if (result == nullptr) break;
    const ExecStatusType status = PQresultStatus(result);
    if (status == PGRES_FATAL_ERROR || status == PGRES_BAD_RESPONSE) {
      if (!first_error.result_) {
        first_error.result_.reset(result);
      } else {
        PQclear(result);
      }
    } else {
      last.result_.reset(result);
    }
  }
  if (first_error.result_) {
    Error error = make_error(first_error.result_.get(), describe(sql));
    // A lost connection arrives as an error result; drop the handle so the owner reconnects.
    if (PQstatus(conn) != CONNECTION_OK) conn_.reset();
    return error;
  }
  if (PQstatus(conn) != CONNECTION_OK) return lost(describe(sql));
  return last;
}

Error Connection::lost(std::string_view what) {
  Error error = connection_error(conn_.get(), what);
  // After a timeout the protocol state is unknown (a reply may still arrive), so the handle
  // cannot be reused. Closing it also ends the server's side of the session, which rolls
  // back any open transaction.
  conn_.reset();
  return error;
}

Error Connection::timed_out(std::string_view sql, milliseconds timeout) {
  conn_.reset();  // as in lost(): the exchange is half done, the handle is unusable
  return Error::make(ErrorCode::unavailable, "postgres: " + std::string(describe(sql)) +
                                                 ": no reply within " +
                                                 std::to_string(timeout.count()) + " ms");
}

}  // namespace sudachi::storage::pg

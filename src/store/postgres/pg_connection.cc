#include "store/postgres/pg_connection.h"

#include <array>
#include <cstdint>
#include <utility>
#include <vector>

namespace coffer::store::postgres {
namespace {

// How a SQLSTATE (or its two-character class) maps to a Status: what a
// caller can do about it decides the code, not which layer noticed it.
struct SqlStateRow {
  std::string_view state;  // five characters, or a two-character class
  ErrorCode code;
  std::string_view meaning;
};
constexpr std::array kSqlStates = {
    // Writers are serialised by an advisory lock, so these need a writer that
    // bypasses it (or a server-side change); the request may be retried.
    SqlStateRow{"40001", ErrorCode::kUnavailable, "serialization failure"},
    SqlStateRow{"40P01", ErrorCode::kUnavailable, "deadlock detected"},
    SqlStateRow{"55P03", ErrorCode::kDependencyTimeout, "store busy: lock wait timed out"},
    SqlStateRow{"57014", ErrorCode::kDependencyTimeout, "statement cancelled"},
    SqlStateRow{"08", ErrorCode::kUnavailable, "connection failure"},
    SqlStateRow{"57P", ErrorCode::kUnavailable, "server shutting down or restarting"},
    SqlStateRow{"53", ErrorCode::kUnavailable, "server out of resources"},
    SqlStateRow{"3D000", ErrorCode::kUnavailable, "database does not exist"},
};

const SqlStateRow* FindSqlState(std::string_view state) {
  for (const SqlStateRow& row : kSqlStates) {
    if (state.starts_with(row.state)) {
      return &row;
    }
  }
  return nullptr;
}

std::string Trimmed(const char* text) {
  std::string out = text == nullptr ? "" : text;
  while (!out.empty() && (out.back() == '\n' || out.back() == ' ')) {
    out.pop_back();
  }
  return out;
}

}  // namespace

std::string Int8Param(long long value) {
  std::string out(8, '\0');
  auto bits = static_cast<std::uint64_t>(value);
  for (int i = 7; i >= 0; --i) {
    out[static_cast<std::size_t>(i)] = static_cast<char>(bits & 0xff);
    bits >>= 8;
  }
  return out;
}

Connection::Connection(std::string conninfo, int connect_timeout_seconds, SessionSettings settings,
                       const char* application_name)
    : conninfo_(std::move(conninfo)),
      connect_timeout_(std::to_string(connect_timeout_seconds)),
      settings_(settings),
      application_name_(application_name) {}

Connection::~Connection() { PQfinish(conn_); }

Status Connection::Connect() {
  PQfinish(conn_);
  // conninfo is expanded where "dbname" stands, so its own settings win
  // over the defaults before it.
  const char* keys[] = {"connect_timeout", "fallback_application_name", "dbname", nullptr};
  const char* values[] = {connect_timeout_.c_str(), application_name_, conninfo_.c_str(), nullptr};
  conn_ = PQconnectdbParams(keys, values, /*expand_dbname=*/1);
  if (conn_ == nullptr || PQstatus(conn_) != CONNECTION_OK) {
    return Status(ErrorCode::kUnavailable, "postgres store cannot connect: " +
                                               Trimmed(conn_ ? PQerrorMessage(conn_) : "out of memory"));
  }
  // A lock wait is bounded like SQLite's busy timeout. synchronous_commit is
  // left as the server has it (with a synchronous standby a commit is then
  // on two machines) unless it is off, which would break Commit's promise.
  const std::string lock_timeout = std::to_string(settings_.lock_timeout_ms);
  const Param params[] = {{kTextOid, lock_timeout}};
  return Query(
             "SELECT set_config('lock_timeout', $1, false), "
             "CASE WHEN current_setting('synchronous_commit') = 'off' "
             "THEN set_config('synchronous_commit', 'on', false) END",
             params, "session setup")
      .status();
}

Status Connection::EnsureReady() {
  if (Lost()) {
    return Connect();
  }
  switch (PQtransactionStatus(conn_)) {
    case PQTRANS_IDLE:
      return Status::Ok();
    case PQTRANS_INTRANS:
    case PQTRANS_INERROR:
      if (Exec("ROLLBACK", "rollback").ok()) {
        return Status::Ok();
      }
      return Connect();
    default:
      return Connect();
  }
}

Status Connection::CheckResult(const PGresult* res, std::string_view what) const {
  const ExecStatusType st = res == nullptr ? PGRES_FATAL_ERROR : PQresultStatus(res);
  if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK) {
    return Status::Ok();
  }
  const char* state = res == nullptr ? nullptr : PQresultErrorField(res, PG_DIAG_SQLSTATE);
  // The primary message only: DETAIL lines may quote key values.
  const char* primary = res == nullptr ? nullptr : PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
  std::string message = "postgres store " + std::string(what) + " failed: ";
  message += primary != nullptr ? Trimmed(primary) : Trimmed(PQerrorMessage(conn_));
  const SqlStateRow* row = state == nullptr ? nullptr : FindSqlState(state);
  if (state != nullptr) {
    message += " (SQLSTATE " + std::string(state) + (row ? ", " + std::string(row->meaning) : "") + ")";
  }
  if (row != nullptr) {
    return Status(row->code, std::move(message));
  }
  if (Lost()) {
    return Status(ErrorCode::kUnavailable, std::move(message) + " (connection lost)");
  }
  return InternalError(std::move(message));
}

Status Connection::Exec(const char* sql, std::string_view what) {
  if (Lost()) {
    return Status(ErrorCode::kUnavailable, "postgres store " + std::string(what) + " failed: not connected");
  }
  Result res(PQexec(conn_, sql));
  return CheckResult(res.get(), what);
}

StatusOr<Result> Connection::Query(const char* sql, std::span<const Param> params, std::string_view what) {
  if (Lost()) {
    return Status(ErrorCode::kUnavailable, "postgres store " + std::string(what) + " failed: not connected");
  }
  std::vector<Oid> types;
  std::vector<const char*> values;
  std::vector<int> lengths;
  std::vector<int> formats(params.size(), 1);
  for (const Param& p : params) {
    types.push_back(p.type);
    // libpq wants a non-null pointer for a non-NULL parameter, even when empty.
    values.push_back(p.bytes.data() != nullptr ? p.bytes.data() : "");
    lengths.push_back(static_cast<int>(p.bytes.size()));
  }
  Result res(PQexecParams(conn_, sql, static_cast<int>(params.size()), types.data(), values.data(),
                          lengths.data(), formats.data(), /*resultFormat=*/1));
  RETURN_IF_ERROR(CheckResult(res.get(), what));
  return res;
}

bool Connection::Lost() const { return conn_ == nullptr || PQstatus(conn_) != CONNECTION_OK; }

bool Connection::InTransaction() const {
  if (Lost()) {
    return false;
  }
  const PGTransactionStatusType st = PQtransactionStatus(conn_);
  return st == PQTRANS_INTRANS || st == PQTRANS_INERROR;
}

std::string_view Connection::CommandTag(PGresult* res) { return PQcmdStatus(res); }

int Connection::Socket() const { return Lost() ? -1 : PQsocket(conn_); }

Status Connection::ConsumeInput() {
  if (Lost() || PQconsumeInput(conn_) == 0 || Lost()) {
    return Status(ErrorCode::kUnavailable, "postgres store notification read failed: connection lost");
  }
  return Status::Ok();
}

std::optional<std::string> Connection::NextNotification() {
  if (conn_ == nullptr) return std::nullopt;
  std::unique_ptr<PGnotify, decltype(&PQfreemem)> notice(PQnotifies(conn_), &PQfreemem);
  if (!notice) return std::nullopt;
  return std::string(notice->extra == nullptr ? "" : notice->extra);
}

}  // namespace coffer::store::postgres

#include "store/sqlite/sqlite_connection.h"

#include <string>
#include <utility>

namespace coffer::store::sqlite {

Status SqliteStatus(int rc, std::string_view what) {
  const int primary = rc & 0xff;
  if (primary == SQLITE_BUSY || primary == SQLITE_LOCKED) {
    return {ErrorCode::kDependencyTimeout, "store busy: " + std::string(what)};
  }
  return InternalError("sqlite " + std::string(what) + " failed: " + sqlite3_errstr(rc));
}

StatementUse::~StatementUse() {
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
}

Status StatementUse::BindText(int index, std::string_view text) {
  // A null pointer would bind SQL NULL; an empty string_view may carry one.
  const char* data = text.empty() ? "" : text.data();
  const int rc = sqlite3_bind_text64(stmt_, index, data, text.size(), SQLITE_STATIC, SQLITE_UTF8);
  return rc == SQLITE_OK ? Status::Ok() : SqliteStatus(rc, "bind");
}

Status StatementUse::BindBlob(int index, std::string_view bytes) {
  const int rc = bytes.empty() ? sqlite3_bind_zeroblob(stmt_, index, 0)
                               : sqlite3_bind_blob64(stmt_, index, bytes.data(), bytes.size(), SQLITE_STATIC);
  return rc == SQLITE_OK ? Status::Ok() : SqliteStatus(rc, "bind");
}

Status StatementUse::BindInt64(int index, std::int64_t value) {
  const int rc = sqlite3_bind_int64(stmt_, index, value);
  return rc == SQLITE_OK ? Status::Ok() : SqliteStatus(rc, "bind");
}

StatusOr<bool> StatementUse::Step() {
  const int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) {
    return true;
  }
  if (rc == SQLITE_DONE) {
    return false;
  }
  return SqliteStatus(rc, "step");
}

std::string StatementUse::ColumnBlob(int column) const {
  const void* data = sqlite3_column_blob(stmt_, column);
  const int size = sqlite3_column_bytes(stmt_, column);
  if (data == nullptr || size <= 0) {
    return {};
  }
  return {static_cast<const char*>(data), static_cast<std::size_t>(size)};
}

std::int64_t StatementUse::ColumnInt64(int column) const { return sqlite3_column_int64(stmt_, column); }

StatusOr<std::unique_ptr<Connection>> Connection::Open(const std::string& path, int busy_timeout_ms,
                                                       bool query_only) {
  sqlite3* raw = nullptr;
  // NOMUTEX: a connection is only ever used by one thread at a time (the
  // store hands it out under its own locks).
  const int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
  const int rc = sqlite3_open_v2(path.c_str(), &raw, flags, nullptr);
  DbPtr db(raw);  // owns the handle even when open failed
  if (rc != SQLITE_OK) {
    return SqliteStatus(rc, "open of database '" + path + "'");
  }
  sqlite3_extended_result_codes(db.get(), 1);
  sqlite3_busy_timeout(db.get(), busy_timeout_ms);

  std::unique_ptr<Connection> conn(new Connection(std::move(db)));
  RETURN_IF_ERROR(conn->Exec("PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;"));
  if (query_only) {
    RETURN_IF_ERROR(conn->Exec("PRAGMA query_only=ON;"));
  }
  return conn;
}

Status Connection::Exec(const char* sql) {
  const int rc = sqlite3_exec(db_.get(), sql, nullptr, nullptr, nullptr);
  return rc == SQLITE_OK ? Status::Ok() : SqliteStatus(rc, "exec");
}

Status Connection::Run(const std::string& sql) {
  ASSIGN_OR_RETURN(sqlite3_stmt * stmt, Prepare(sql));
  const int rc = sqlite3_step(stmt);
  sqlite3_reset(stmt);
  return rc == SQLITE_DONE ? Status::Ok() : SqliteStatus(rc, "exec");
}

StatusOr<sqlite3_stmt*> Connection::Prepare(const std::string& sql) {
  if (auto it = statements_.find(sql); it != statements_.end()) {
    return it->second.get();
  }
  sqlite3_stmt* raw = nullptr;
  const int rc = sqlite3_prepare_v3(db_.get(), sql.c_str(), static_cast<int>(sql.size() + 1),
                                    SQLITE_PREPARE_PERSISTENT, &raw, nullptr);
  StmtPtr stmt(raw);
  if (rc != SQLITE_OK) {
    return SqliteStatus(rc, "prepare");
  }
  sqlite3_stmt* result = stmt.get();
  statements_.emplace(sql, std::move(stmt));
  return result;
}

}  // namespace coffer::store::sqlite

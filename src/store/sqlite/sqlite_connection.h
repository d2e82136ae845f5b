// One SQLite connection with its prepared-statement cache, and the RAII types
// that own SQLite handles. Internal to src/store/sqlite/: nothing outside this
// directory includes <sqlite3.h>.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>

#include "common/status_or.h"

namespace coffer::store::sqlite {

struct DbDeleter {
  void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
};
struct StmtDeleter {
  void operator()(sqlite3_stmt* stmt) const { sqlite3_finalize(stmt); }
};
using DbPtr = std::unique_ptr<sqlite3, DbDeleter>;
using StmtPtr = std::unique_ptr<sqlite3_stmt, StmtDeleter>;

// Maps a SQLite result code to a Status. Busy/locked beyond the busy timeout
// becomes kDependencyTimeout ("store busy"); everything else kInternal. The
// message names the operation and SQLite's generic text for the code, never
// bound values.
Status SqliteStatus(int rc, std::string_view what);

// One use of a cached prepared statement: binds, steps, and on destruction
// resets it and clears its bindings so the next user starts clean (and no
// pointer to a caller's buffer outlives the call).
class StatementUse {
 public:
  explicit StatementUse(sqlite3_stmt* stmt) : stmt_(stmt) {}
  ~StatementUse();
  StatementUse(const StatementUse&) = delete;
  StatementUse& operator=(const StatementUse&) = delete;

  // Parameters are 1-based. The bytes must stay alive until this object dies.
  Status BindText(int index, std::string_view text);
  Status BindBlob(int index, std::string_view bytes);
  Status BindInt64(int index, std::int64_t value);

  // True when a row is available, false when the statement is done.
  StatusOr<bool> Step();

  std::string ColumnBlob(int column) const;
  std::int64_t ColumnInt64(int column) const;

 private:
  sqlite3_stmt* stmt_;
};

class Connection {
 public:
  // Opens (creating if missing) the file, sets busy_timeout, synchronous=FULL
  // and foreign_keys=ON. `query_only` connections refuse writes at the SQLite
  // level too.
  static StatusOr<std::unique_ptr<Connection>> Open(const std::string& path, int busy_timeout_ms,
                                                    bool query_only);

  // Runs SQL without parameters (may hold several statements).
  Status Exec(const char* sql);
  // Runs one statement without parameters or rows (BEGIN, COMMIT, ROLLBACK)
  // from the statement cache: Exec would parse it again on every transaction.
  Status Run(const std::string& sql);

  // The cached prepared statement for `sql`, preparing it on first use.
  StatusOr<sqlite3_stmt*> Prepare(const std::string& sql);

  // True while a transaction is open on this connection.
  bool InTransaction() const { return sqlite3_get_autocommit(db_.get()) == 0; }

  sqlite3* db() const { return db_.get(); }

 private:
  explicit Connection(DbPtr db) : db_(std::move(db)) {}

  DbPtr db_;  // declared first so cached statements are finalised before close
  std::unordered_map<std::string, StmtPtr> statements_;
};

}  // namespace coffer::store::sqlite

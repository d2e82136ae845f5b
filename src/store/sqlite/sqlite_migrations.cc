#include "store/sqlite/sqlite_migrations.h"

#include <array>
#include <cstddef>
#include <string>

#include "store/migration_steps.h"

namespace coffer::store::sqlite {
namespace {

// Append only: a released step never changes, a new schema is a new step.
constexpr std::array kMigrations = {
    // Keys are BLOBs so SQLite compares them bytewise (memcmp, then length).
    Migration{1,
              "CREATE TABLE kv("
              "  tbl TEXT NOT NULL,"
              "  k BLOB NOT NULL,"
              "  v BLOB NOT NULL,"
              "  PRIMARY KEY(tbl, k)"
              ") WITHOUT ROWID;"},
};

static_assert(VersionsAreConsecutive(kMigrations), "migration versions must be 1, 2, 3, ... in order");

constexpr const char* kCreateMigrationsTable =
    "CREATE TABLE IF NOT EXISTS schema_migrations("
    "  version INTEGER PRIMARY KEY,"
    "  applied_at INTEGER"
    ");";

StatusOr<int> CurrentVersion(Connection& conn) {
  ASSIGN_OR_RETURN(sqlite3_stmt * stmt,
                   conn.Prepare("SELECT coalesce(max(version), 0) FROM schema_migrations"));
  StatementUse use(stmt);
  ASSIGN_OR_RETURN(bool has_row, use.Step());
  if (!has_row) {
    return InternalError("sqlite schema version query returned no row");
  }
  return static_cast<int>(use.ColumnInt64(0));
}

Status RecordStep(Connection& conn, int version) {
  ASSIGN_OR_RETURN(sqlite3_stmt * stmt, conn.Prepare("INSERT INTO schema_migrations(version, applied_at) "
                                                     "VALUES(?1, CAST(strftime('%s', 'now') AS INTEGER))"));
  StatementUse use(stmt);
  RETURN_IF_ERROR(use.BindInt64(1, version));
  return use.Step().status();
}

// Inside an open write transaction: applies `step` unless the database is
// already at or past it (another process may have migrated concurrently).
Status ApplyInTransaction(Connection& conn, const Migration& step) {
  RETURN_IF_ERROR(conn.Exec(kCreateMigrationsTable));
  ASSIGN_OR_RETURN(int current, CurrentVersion(conn));
  ASSIGN_OR_RETURN(bool needed, StepNeeded(current, step, LatestSchemaVersion(), "sqlite"));
  if (!needed) {
    return Status::Ok();
  }
  RETURN_IF_ERROR(conn.Exec(step.sql));
  return RecordStep(conn, step.version);
}

Status ApplyStep(Connection& conn, const Migration& step) {
  RETURN_IF_ERROR(conn.Exec("BEGIN IMMEDIATE"));
  Status status = ApplyInTransaction(conn, step);
  if (status.ok()) {
    status = conn.Exec("COMMIT");
  }
  if (!status.ok() && conn.InTransaction()) {
    (void)conn.Exec("ROLLBACK");
  }
  return status;
}

}  // namespace

int LatestSchemaVersion() { return kMigrations.back().version; }

StatusOr<int> Migrate(Connection& conn) {
  for (const Migration& step : kMigrations) {
    RETURN_IF_ERROR(ApplyStep(conn, step));
  }
  ASSIGN_OR_RETURN(int version, CurrentVersion(conn));
  RETURN_IF_ERROR(CheckNotNewer(version, LatestSchemaVersion()));
  return version;
}

}  // namespace coffer::store::sqlite

#include "store/postgres/pg_migrations.h"

#include <array>
#include <charconv>
#include <cstddef>
#include <string>

#include "store/migration_steps.h"

namespace coffer::store::postgres {
namespace {

// Append only: a released step never changes, a new schema is a new step.
constexpr std::array kMigrations = {
    // bytea compares bytewise (memcmp, then length): the store's key order.
    Migration{1,
              "CREATE TABLE kv("
              "  tbl text NOT NULL,"
              "  k bytea NOT NULL,"
              "  v bytea NOT NULL,"
              "  PRIMARY KEY (tbl, k)"
              ")"},
    // One row counting committed write transactions that changed something;
    // each bump is announced on the coffer_changes channel (change_watcher.h).
    Migration{2,
              "CREATE TABLE cluster_generation("
              "  id integer PRIMARY KEY CHECK (id = 1),"
              "  generation bigint NOT NULL"
              ");"
              "INSERT INTO cluster_generation VALUES (1, 0)"},
    // One row per node, its last heartbeat in the server's clock
    // (NodeRegistry, store.h).
    Migration{3,
              "CREATE TABLE cluster_nodes("
              "  node_id text PRIMARY KEY,"
              "  heartbeat_at timestamptz NOT NULL"
              ")"},
};

static_assert(VersionsAreConsecutive(kMigrations), "migration versions must be 1, 2, 3, ... in order");

constexpr const char* kCreateVersionTable =
    "CREATE TABLE IF NOT EXISTS schema_version("
    "  version integer PRIMARY KEY,"
    "  applied_at timestamptz NOT NULL DEFAULT now()"
    ")";

StatusOr<int> CurrentVersion(Connection& conn) {
  // As text, whose binary form is its characters.
  ASSIGN_OR_RETURN(Result res, conn.Query("SELECT coalesce(max(version), 0)::text FROM schema_version", {},
                                          "schema version query"));
  if (PQntuples(res.get()) != 1) {
    return InternalError("postgres schema version query returned no row");
  }
  const char* text = PQgetvalue(res.get(), 0, 0);
  int version = 0;
  const auto [end, ec] = std::from_chars(text, text + PQgetlength(res.get(), 0, 0), version);
  if (ec != std::errc()) {
    return InternalError("postgres schema version is not a number");
  }
  return version;
}

Status ApplyInTransaction(Connection& conn, const Migration& step) {
  ASSIGN_OR_RETURN(int current, CurrentVersion(conn));
  ASSIGN_OR_RETURN(bool needed, StepNeeded(current, step, LatestSchemaVersion(), "postgres"));
  if (!needed) {
    return Status::Ok();
  }
  RETURN_IF_ERROR(conn.Exec(step.sql, "schema migration"));
  const std::string version = Int8Param(step.version);
  const Param params[] = {{kInt8Oid, version}};
  return conn.Query("INSERT INTO schema_version(version) VALUES($1)", params, "schema migration record")
      .status();
}

// Each step commits on its own, so a failure leaves the last good version.
Status ApplyStep(Connection& conn, const Migration& step) {
  RETURN_IF_ERROR(conn.Exec("BEGIN", "schema migration"));
  Status status = ApplyInTransaction(conn, step);
  if (status.ok()) {
    status = conn.Exec("COMMIT", "schema migration commit");
  }
  if (!status.ok() && conn.InTransaction()) {
    (void)conn.Exec("ROLLBACK", "schema migration rollback");
  }
  return status;
}

StatusOr<int> MigrateLocked(Connection& conn) {
  RETURN_IF_ERROR(conn.Exec(kCreateVersionTable, "schema version table"));
  for (const Migration& step : kMigrations) {
    RETURN_IF_ERROR(ApplyStep(conn, step));
  }
  ASSIGN_OR_RETURN(int version, CurrentVersion(conn));
  RETURN_IF_ERROR(CheckNotNewer(version, LatestSchemaVersion()));
  return version;
}

}  // namespace

int LatestSchemaVersion() { return kMigrations.back().version; }

StatusOr<int> Migrate(Connection& conn) {
  // Concurrent CREATE TABLE IF NOT EXISTS can still collide in the catalog,
  // hence the lock around the whole run, taken before anything is read. It is
  // a session lock, so it also goes if this connection dies.
  const std::string key = Int8Param(kMigrationLockKey);
  const Param params[] = {{kInt8Oid, key}};
  RETURN_IF_ERROR(conn.Query("SELECT pg_advisory_lock($1)", params, "migration lock").status());
  StatusOr<int> version = MigrateLocked(conn);
  Status unlocked = conn.Query("SELECT pg_advisory_unlock($1)", params, "migration unlock").status();
  if (version.ok() && !unlocked.ok()) {
    return unlocked;
  }
  return version;
}

}  // namespace coffer::store::postgres

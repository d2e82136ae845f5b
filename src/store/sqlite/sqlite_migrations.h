// Versioned schema migrations for the SQLite store.
#pragma once

#include "common/status_or.h"
#include "store/sqlite/sqlite_connection.h"

namespace coffer::store::sqlite {

// The newest schema version this binary knows.
int LatestSchemaVersion();

// Brings the database on `conn` up to LatestSchemaVersion(), each step in its
// own write transaction, recording it in schema_migrations. Refuses (and
// changes nothing) when the database is at a newer version than this binary
// knows. Returns the version the database is at afterwards.
StatusOr<int> Migrate(Connection& conn);

}  // namespace coffer::store::sqlite

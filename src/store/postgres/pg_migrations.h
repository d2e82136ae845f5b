// Schema migrations of the PostgreSQL store, run at open under a session
// advisory lock so nodes starting together migrate once, one after another.
#pragma once

#include "common/status_or.h"
#include "store/postgres/pg_connection.h"

namespace coffer::store::postgres {

// Advisory lock keys (one 64-bit space per database): "Coffer" in ASCII,
// then which lock. Anything else in the database must not use them.
inline constexpr long long kMigrationLockKey = 0x436f66666572'0001;
inline constexpr long long kWriterLockKey = 0x436f66666572'0002;
inline constexpr long long kSweeperLockKey = 0x436f66666572'0003;

// The newest schema version this binary knows.
int LatestSchemaVersion();

// Brings the database on `conn` to the latest schema and returns its version;
// kInternal when the database is already newer than this binary.
StatusOr<int> Migrate(Connection& conn);

}  // namespace coffer::store::postgres

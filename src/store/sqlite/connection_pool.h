// The SQLite store's pools: one of a single writer connection (which is what
// serialises write transactions) and one of query-only readers.
#pragma once

#include "store/lease_pool.h"
#include "store/sqlite/sqlite_connection.h"

namespace coffer::store::sqlite {

using ConnectionPool = LeasePool<Connection>;

}  // namespace coffer::store::sqlite

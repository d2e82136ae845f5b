// The PostgreSQL store: a pool of libpq connections, each leased to one
// transaction at a time. Write transactions on every node are serialised by
// one transaction-scoped advisory lock, so they never fail with a
// serialization error; read transactions are REPEATABLE READ READ ONLY, one
// snapshot taken at BeginRead. Txn objects must not outlive their Store.
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <limits>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "store/key_range.h"
#include "store/lease_pool.h"
#include "store/postgres/change_watcher.h"
#include "store/postgres/pg_connection.h"
#include "store/postgres/pg_migrations.h"
#include "store/store.h"
#include "store/txn_use.h"

namespace coffer::store {
namespace postgres {
namespace {

using Pool = LeasePool<Connection>;

// The writer lock is the first statement, and the transaction is READ
// COMMITTED on purpose: under REPEATABLE READ the snapshot would be taken as
// that statement starts, before the wait for the lock, so a writer queued
// behind another would not see its commit and would fail on the row it had
// changed (SQLSTATE 40001). Here every statement after the lock sees all
// earlier writers' commits (a holder's commit is visible before its lock is
// released), and no other writer can commit until this one ends: the writes
// run one after another, which is serialisable.
const std::string& BeginWriteSql() {
  static const auto* sql =
      new std::string("BEGIN ISOLATION LEVEL READ COMMITTED READ WRITE; SELECT pg_advisory_xact_lock(" +
                      std::to_string(kWriterLockKey) + ")");
  return *sql;
}
// The SELECT pins the snapshot now rather than at the first query.
constexpr const char* kBeginReadSql = "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY; SELECT 1";

std::string ScanSql(bool inclusive_lower, bool has_upper) {
  std::string sql = "SELECT k, v FROM kv WHERE tbl = $1 AND k ";
  sql += inclusive_lower ? ">= $2" : "> $2";
  if (has_upper) {
    sql += " AND k < $4";
  }
  sql += " ORDER BY k LIMIT $3";
  return sql;
}

std::string Column(const PGresult* res, int row, int col) {
  return std::string(PQgetvalue(res, row, col), static_cast<std::size_t>(PQgetlength(res, row, col)));
}

// Bumps the cluster generation and announces the change in the same
// transaction: a NOTIFY is delivered on commit only, so listeners never hear
// of a write that rolled back. Payload (change_watcher.h): node, generation,
// tables.
constexpr const char* kAnnounceSql =
    "WITH g AS (UPDATE cluster_generation SET generation = generation + 1 RETURNING generation) "
    "SELECT pg_notify('coffer_changes', $1 || ' ' || g.generation::text || ' ' || $2) FROM g";

class PostgresTxn final : public Txn {
 public:
  PostgresTxn(Pool::Lease lease, bool writable, const std::string& node_id)
      : lease_(std::move(lease)), use_(writable), node_id_(node_id) {}
  PostgresTxn(const PostgresTxn&) = delete;
  PostgresTxn& operator=(const PostgresTxn&) = delete;

  ~PostgresTxn() override {
    // Also covers a failed COMMIT; a lost connection has nothing to undo.
    if (lease_ && lease_->InTransaction()) {
      (void)lease_->Exec("ROLLBACK", "rollback");
    }
  }

  StatusOr<std::optional<std::string>> Get(std::string_view table, std::string_view key) override {
    RETURN_IF_ERROR(use_.CheckActive());
    const Param params[] = {{kTextOid, table}, {kByteaOid, key}};
    ASSIGN_OR_RETURN(Result res, lease_->Query("SELECT v FROM kv WHERE tbl = $1 AND k = $2", params, "get"));
    if (PQntuples(res.get()) == 0) {
      return std::optional<std::string>();
    }
    return std::optional<std::string>(Column(res.get(), 0, 0));
  }

  Status Put(std::string_view table, std::string_view key, std::string_view value) override {
    RETURN_IF_ERROR(use_.CheckWritable());
    touched_.emplace(table);
    const Param params[] = {{kTextOid, table}, {kByteaOid, key}, {kByteaOid, value}};
    return lease_
        ->Query(
            "INSERT INTO kv(tbl, k, v) VALUES($1, $2, $3) ON CONFLICT (tbl, k) DO UPDATE SET v = EXCLUDED.v",
            params, "put")
        .status();
  }

  Status Delete(std::string_view table, std::string_view key) override {
    RETURN_IF_ERROR(use_.CheckWritable());
    touched_.emplace(table);
    const Param params[] = {{kTextOid, table}, {kByteaOid, key}};
    return lease_->Query("DELETE FROM kv WHERE tbl = $1 AND k = $2", params, "delete").status();
  }

  StatusOr<std::vector<Entry>> Scan(std::string_view table, std::string_view prefix,
                                    std::string_view start_after, std::size_t limit) override {
    RETURN_IF_ERROR(use_.CheckActive());
    std::vector<Entry> entries;
    if (limit == 0) {
      return entries;
    }
    const ScanBounds bounds = ScanBoundsFor(prefix, start_after);
    const auto max_rows = static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());
    const std::string rows = Int8Param(static_cast<long long>(std::min<std::uint64_t>(limit, max_rows)));
    // A named string: value_or() would return a temporary the view outlives.
    const std::string upper = bounds.upper.value_or("");
    const Param params[] = {
        {kTextOid, table}, {kByteaOid, bounds.lower}, {kInt8Oid, rows}, {kByteaOid, upper}};
    const std::string sql = ScanSql(bounds.lower_inclusive, bounds.upper.has_value());
    ASSIGN_OR_RETURN(Result res, lease_->Query(sql.c_str(), std::span(params, bounds.upper ? 4 : 3), "scan"));
    const int count = PQntuples(res.get());
    entries.reserve(static_cast<std::size_t>(count));
    for (int row = 0; row < count; ++row) {
      entries.push_back(Entry{Column(res.get(), row, 0), Column(res.get(), row, 1)});
    }
    return entries;
  }

  Status Commit() override {
    RETURN_IF_ERROR(use_.CheckActive());
    if (!touched_.empty()) {
      const std::string tables = ChangedTablesPayload(touched_);
      const Param params[] = {{kTextOid, node_id_}, {kTextOid, tables}};
      RETURN_IF_ERROR(lease_->Query(kAnnounceSql, params, "change announcement").status());
    }
    // With synchronous_commit on, COMMIT returns once the WAL is flushed
    // (and, with a synchronous standby, on the standby too). A connection
    // lost during COMMIT leaves the outcome unknown: kUnavailable says so.
    ASSIGN_OR_RETURN(Result res, lease_->Query("COMMIT", {}, "commit"));
    // COMMIT of a transaction an earlier error aborted "succeeds" as ROLLBACK.
    if (Connection::CommandTag(res.get()) != "COMMIT") {
      return InternalError("postgres store commit rolled back: an earlier statement failed");
    }
    use_.Finish();
    lease_.reset();  // the connection is idle: the next transaction may have it now
    return Status::Ok();
  }

 private:
  Pool::Lease lease_;  // null once committed
  TxnUse use_;
  const std::string& node_id_;
  std::set<std::string, std::less<>> touched_;  // tables written
};

// A pooled connection may have died with the server since its last use,
// which only shows when it is next used. BEGIN has no effects, so it is
// retried once on a fresh connection when the first try lost it.
Status StartTransaction(Connection& conn, const char* begin_sql) {
  for (int attempt = 0;; ++attempt) {
    RETURN_IF_ERROR(conn.EnsureReady());
    Status status = conn.Exec(begin_sql, "begin");
    if (status.ok() || attempt > 0 || !conn.Lost()) {
      return status;
    }
  }
}

class PostgresStore final : public Store {
 public:
  PostgresStore(std::vector<std::unique_ptr<Connection>> connections,
                std::chrono::milliseconds acquire_timeout, int schema_version, std::string node_id)
      : pool_(std::move(connections), acquire_timeout, "postgres"),
        schema_version_(schema_version),
        node_id_(std::move(node_id)) {}

  StatusOr<std::unique_ptr<Txn>> BeginRead() override { return Begin(kBeginReadSql, /*writable=*/false); }
  StatusOr<std::unique_ptr<Txn>> BeginWrite() override {
    return Begin(BeginWriteSql().c_str(), /*writable=*/true);
  }
  int SchemaVersion() const override { return schema_version_; }
  // SELECT 1 on an idle pooled connection, retried once on a fresh one when
  // the pooled one had died with a restarted server. Every connection leased
  // means transactions are running (each reports its own failure): busy,
  // not down, so no wait for one.
  Status Ping() override {
    std::optional<Pool::Lease> lease = pool_.TryAcquire();
    if (!lease) return Status::Ok();
    for (int attempt = 0;; ++attempt) {
      RETURN_IF_ERROR((*lease)->EnsureReady());
      Status status = (*lease)->Exec("SELECT 1", "health check");
      if (status.ok() || attempt > 0 || !(*lease)->Lost()) return status;
    }
  }

 private:
  StatusOr<std::unique_ptr<Txn>> Begin(const char* begin_sql, bool writable) {
    ASSIGN_OR_RETURN(Pool::Lease lease, pool_.Acquire());
    RETURN_IF_ERROR(StartTransaction(*lease, begin_sql));
    return std::unique_ptr<Txn>(std::make_unique<PostgresTxn>(std::move(lease), writable, node_id_));
  }

  Pool pool_;
  int schema_version_;
  std::string node_id_;
};

}  // namespace
}  // namespace postgres

StatusOr<std::unique_ptr<Store>> OpenPostgresStore(const PostgresOptions& options) {
  using postgres::Connection;
  const postgres::SessionSettings settings{.lock_timeout_ms = options.lock_timeout_ms};
  auto make = [&] {
    return std::make_unique<Connection>(options.conninfo, options.connect_timeout_seconds, settings);
  };
  std::vector<std::unique_ptr<Connection>> connections;
  connections.push_back(make());
  RETURN_IF_ERROR(connections.front()->EnsureReady());
  ASSIGN_OR_RETURN(int version, postgres::Migrate(*connections.front()));
  // The others connect on first use.
  for (std::size_t i = 1; i < std::max<std::size_t>(options.pool_size, 1); ++i) {
    connections.push_back(make());
  }
  return std::unique_ptr<Store>(std::make_unique<postgres::PostgresStore>(
      std::move(connections), std::chrono::milliseconds(options.acquire_timeout_ms), version,
      options.node_id));
}

}  // namespace coffer::store

// The SQLite store: one writer connection leased to one write transaction at
// a time (BEGIN IMMEDIATE, so write transactions are serial and never hit a
// lock upgrade), and a pool of query-only reader connections whose WAL
// snapshot is pinned at BeginRead. The writer is a pool of one rather than a
// timed_mutex so the wait for it is bounded by busy_timeout and visible to
// TSan (g++ 12's TSan does not intercept pthread_mutex_clocklock).
// Txn objects must not outlive the Store that made them.
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "store/key_range.h"
#include "store/sqlite/connection_pool.h"
#include "store/sqlite/sqlite_connection.h"
#include "store/sqlite/sqlite_migrations.h"
#include "store/store.h"
#include "store/txn_use.h"

namespace coffer::store {
namespace sqlite {
namespace {

std::string ScanSql(bool inclusive_lower, bool has_upper) {
  std::string sql = "SELECT k, v FROM kv WHERE tbl = ?1 AND k ";
  sql += inclusive_lower ? ">= ?2" : "> ?2";
  if (has_upper) {
    sql += " AND k < ?3";
  }
  sql += " ORDER BY k LIMIT ?4";
  return sql;
}

class SqliteTxn final : public Txn {
 public:
  SqliteTxn(ConnectionPool::Lease lease, bool writable) : lease_(std::move(lease)), use_(writable) {}
  SqliteTxn(const SqliteTxn&) = delete;
  SqliteTxn& operator=(const SqliteTxn&) = delete;

  ~SqliteTxn() override {
    // Also covers a failed COMMIT that left the transaction open.
    if (lease_ && lease_->InTransaction()) {
      (void)lease_->Run("ROLLBACK");
    }
  }

  // Starts the read transaction and takes its WAL snapshot now rather than at
  // the first query, so the snapshot is the state as of BeginRead.
  Status BeginReadSnapshot() {
    RETURN_IF_ERROR(lease_->Run("BEGIN DEFERRED"));
    ASSIGN_OR_RETURN(sqlite3_stmt * stmt, lease_->Prepare("SELECT version FROM schema_migrations LIMIT 1"));
    StatementUse use(stmt);
    return use.Step().status();
  }

  StatusOr<std::optional<std::string>> Get(std::string_view table, std::string_view key) override {
    RETURN_IF_ERROR(use_.CheckActive());
    ASSIGN_OR_RETURN(sqlite3_stmt * stmt, lease_->Prepare("SELECT v FROM kv WHERE tbl = ?1 AND k = ?2"));
    StatementUse use(stmt);
    RETURN_IF_ERROR(use.BindText(1, table));
    RETURN_IF_ERROR(use.BindBlob(2, key));
    ASSIGN_OR_RETURN(bool has_row, use.Step());
    if (!has_row) {
      return std::optional<std::string>();
    }
    return std::optional<std::string>(use.ColumnBlob(0));
  }

  Status Put(std::string_view table, std::string_view key, std::string_view value) override {
    RETURN_IF_ERROR(use_.CheckWritable());
    ASSIGN_OR_RETURN(sqlite3_stmt * stmt,
                     lease_->Prepare("INSERT INTO kv(tbl, k, v) VALUES(?1, ?2, ?3) "
                                     "ON CONFLICT(tbl, k) DO UPDATE SET v = excluded.v"));
    StatementUse use(stmt);
    RETURN_IF_ERROR(use.BindText(1, table));
    RETURN_IF_ERROR(use.BindBlob(2, key));
    RETURN_IF_ERROR(use.BindBlob(3, value));
    return use.Step().status();
  }

  Status Delete(std::string_view table, std::string_view key) override {
    RETURN_IF_ERROR(use_.CheckWritable());
    ASSIGN_OR_RETURN(sqlite3_stmt * stmt, lease_->Prepare("DELETE FROM kv WHERE tbl = ?1 AND k = ?2"));
    StatementUse use(stmt);
    RETURN_IF_ERROR(use.BindText(1, table));
    RETURN_IF_ERROR(use.BindBlob(2, key));
    return use.Step().status();
  }

  StatusOr<std::vector<Entry>> Scan(std::string_view table, std::string_view prefix,
                                    std::string_view start_after, std::size_t limit) override {
    RETURN_IF_ERROR(use_.CheckActive());
    std::vector<Entry> entries;
    if (limit == 0) {
      return entries;
    }
    const ScanBounds bounds = ScanBoundsFor(prefix, start_after);
    ASSIGN_OR_RETURN(sqlite3_stmt * stmt,
                     lease_->Prepare(ScanSql(bounds.lower_inclusive, bounds.upper.has_value())));
    StatementUse use(stmt);
    RETURN_IF_ERROR(use.BindText(1, table));
    RETURN_IF_ERROR(use.BindBlob(2, bounds.lower));
    if (bounds.upper.has_value()) {
      RETURN_IF_ERROR(use.BindBlob(3, *bounds.upper));
    }
    const auto max_rows = static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());
    RETURN_IF_ERROR(use.BindInt64(4, static_cast<std::int64_t>(std::min<std::uint64_t>(limit, max_rows))));
    while (true) {
      ASSIGN_OR_RETURN(bool has_row, use.Step());
      if (!has_row) {
        break;
      }
      entries.push_back(Entry{use.ColumnBlob(0), use.ColumnBlob(1)});
    }
    return entries;
  }

  Status Commit() override {
    RETURN_IF_ERROR(use_.CheckActive());
    RETURN_IF_ERROR(lease_->Run("COMMIT"));
    use_.Finish();
    // The connection is idle again: let the next transaction have it now
    // rather than when this object happens to be destroyed.
    lease_.reset();
    return Status::Ok();
  }

 private:
  // Goes back to its pool at Commit or after the destructor's ROLLBACK, so a
  // pooled connection is always idle. Null once committed.
  ConnectionPool::Lease lease_;
  TxnUse use_;
};

class SqliteStore final : public Store {
 public:
  SqliteStore(std::vector<std::unique_ptr<Connection>> writer,
              std::vector<std::unique_ptr<Connection>> readers, int schema_version,
              std::chrono::milliseconds busy_timeout)
      : writer_(std::move(writer), busy_timeout, "writer"),
        readers_(std::move(readers), busy_timeout, "reader"),
        schema_version_(schema_version) {}

  StatusOr<std::unique_ptr<Txn>> BeginRead() override {
    ASSIGN_OR_RETURN(ConnectionPool::Lease lease, readers_.Acquire());
    auto txn = std::make_unique<SqliteTxn>(std::move(lease), /*writable=*/false);
    RETURN_IF_ERROR(txn->BeginReadSnapshot());
    return std::unique_ptr<Txn>(std::move(txn));
  }

  StatusOr<std::unique_ptr<Txn>> BeginWrite() override {
    ASSIGN_OR_RETURN(ConnectionPool::Lease lease, writer_.Acquire());
    RETURN_IF_ERROR(lease->Run("BEGIN IMMEDIATE"));
    return std::unique_ptr<Txn>(std::make_unique<SqliteTxn>(std::move(lease), /*writable=*/true));
  }

  int SchemaVersion() const override { return schema_version_; }
  // A read of the schema on an idle reader (all busy: in use, not down).
  Status Ping() override {
    std::optional<ConnectionPool::Lease> lease = readers_.TryAcquire();
    if (!lease) return Status::Ok();
    return (*lease)->Exec("SELECT count(*) FROM sqlite_master");
  }

 private:
  ConnectionPool writer_;  // exactly one connection
  ConnectionPool readers_;
  int schema_version_;
};

Status EnableWal(Connection& conn) {
  ASSIGN_OR_RETURN(sqlite3_stmt * stmt, conn.Prepare("PRAGMA journal_mode=WAL"));
  StatementUse use(stmt);
  ASSIGN_OR_RETURN(bool has_row, use.Step());
  if (!has_row || use.ColumnBlob(0) != "wal") {
    return InternalError("sqlite store could not switch the database to WAL mode");
  }
  return Status::Ok();
}

}  // namespace
}  // namespace sqlite

StatusOr<std::unique_ptr<Store>> OpenSqliteStore(const SqliteOptions& options) {
  using sqlite::Connection;
  if (options.path.empty()) {
    return InternalError("sqlite store path is empty");
  }
  ASSIGN_OR_RETURN(std::unique_ptr<Connection> writer,
                   Connection::Open(options.path, options.busy_timeout_ms, /*query_only=*/false));
  RETURN_IF_ERROR(sqlite::EnableWal(*writer));
  ASSIGN_OR_RETURN(int version, sqlite::Migrate(*writer));

  std::vector<std::unique_ptr<Connection>> readers;
  const std::size_t reader_count = std::max<std::size_t>(options.read_connections, 1);
  for (std::size_t i = 0; i < reader_count; ++i) {
    ASSIGN_OR_RETURN(std::unique_ptr<Connection> reader,
                     Connection::Open(options.path, options.busy_timeout_ms, /*query_only=*/true));
    readers.push_back(std::move(reader));
  }
  std::vector<std::unique_ptr<Connection>> writers;
  writers.push_back(std::move(writer));
  return std::unique_ptr<Store>(std::make_unique<sqlite::SqliteStore>(
      std::move(writers), std::move(readers), version, std::chrono::milliseconds(options.busy_timeout_ms)));
}

}  // namespace coffer::store

// Store: the durable state of Coffer, as ordered key-value tables inside
// transactions. Service code sees only this interface; SQLite (embedded
// default) and PostgreSQL (cluster mode) implement it. Values are opaque bytes to the
// store (services encode records as JSON); secrets in them are already wrapped
// under the root key.
//
// Contract every implementation keeps:
// - A write transaction sees its own writes; Commit() returns only after the
//   data is durable (fsync'd). Destroying a Txn without Commit() rolls back.
// - Write transactions are serialisable with each other; a read transaction
//   sees one consistent snapshot.
// - Scan returns keys in ascending byte order.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status_or.h"

namespace coffer::store {

struct Entry {
  std::string key;
  std::string value;
};

class Txn {
 public:
  virtual ~Txn() = default;
  virtual StatusOr<std::optional<std::string>> Get(std::string_view table, std::string_view key) = 0;
  // Inserts or replaces. Only on write transactions.
  virtual Status Put(std::string_view table, std::string_view key, std::string_view value) = 0;
  // Removes the key if present (absent is not an error). Only on write transactions.
  virtual Status Delete(std::string_view table, std::string_view key) = 0;
  // Up to `limit` entries whose key starts with `prefix` and is strictly
  // greater than `start_after` (empty: from the first), ascending.
  virtual StatusOr<std::vector<Entry>> Scan(std::string_view table, std::string_view prefix,
                                            std::string_view start_after, std::size_t limit) = 0;
  // Makes the writes durable. A read transaction may call it to end early.
  virtual Status Commit() = 0;
};

class Store {
 public:
  virtual ~Store() = default;
  virtual StatusOr<std::unique_ptr<Txn>> BeginRead() = 0;
  virtual StatusOr<std::unique_ptr<Txn>> BeginWrite() = 0;
  // Schema version the store is at after migrations.
  virtual int SchemaVersion() const = 0;
  // Whether the store answers now (GET /healthz): one cheap round trip,
  // bounded by the store's own timeouts. kUnavailable (or the failure seen)
  // when it cannot be used.
  virtual Status Ping() = 0;
};

struct SqliteOptions {
  std::string path;  // database file; created if missing
  int busy_timeout_ms = 5000;
  std::size_t read_connections = 4;
};

// Opens (creating and migrating as needed) the SQLite store in WAL mode with
// synchronous=FULL.
StatusOr<std::unique_ptr<Store>> OpenSqliteStore(const SqliteOptions& options);

struct PostgresOptions {
  // A libpq connection string or URI ("postgresql://user@host/db").
  std::string conninfo;
  // Connections opened (lazily, after the first) and shared by transactions.
  std::size_t pool_size = 8;
  // How long BeginRead/BeginWrite wait for a free pooled connection before
  // kDependencyTimeout ("store busy").
  int acquire_timeout_ms = 5000;
  // How long a write transaction waits for the cluster-wide writer lock (and
  // any statement for a row or table lock) before kDependencyTimeout.
  int lock_timeout_ms = 5000;
  // Default libpq connect_timeout; one set in `conninfo` wins.
  int connect_timeout_seconds = 5;
  // This process among the nodes sharing the database (no spaces): named in
  // every change announcement so its own ChangeWatcher can skip them.
  std::string node_id = "-";
};

// Opens the PostgreSQL store, migrating the schema under an advisory lock so
// nodes starting together migrate once. Write transactions on all nodes
// sharing the database are serialised by one advisory lock; Commit returns
// once PostgreSQL has flushed the commit (synchronous_commit is forced on if
// the server has it off; with a synchronous standby a commit is then on two
// machines). A lost server or database makes calls fail with kUnavailable;
// the connection is re-established on a later transaction.
StatusOr<std::unique_ptr<Store>> OpenPostgresStore(const PostgresOptions& options);

// Cluster mode: what other nodes sharing a PostgreSQL database committed, so
// each node's caches forget what another node changed. Every write
// transaction that changed something bumps one generation counter and
// announces (node, generation, tables) on a LISTEN/NOTIFY channel in the same
// transaction. The watcher hears announcements at once, and also reads the
// counter every `check_interval`: a generation it did not hear of (a lost
// notification), a gap, a lost or new connection all say "everything". So a
// cache entry another node made stale is dropped at most one check interval
// (plus a query) after the commit, or is never served at all once the watcher
// cannot confirm the generation (it then says "everything" each interval).
struct ChangeNotice {
  bool everything = false;          // the caller cannot know what changed
  std::vector<std::string> tables;  // else: the tables another node wrote
};

struct ChangeWatchOptions {
  std::string conninfo = "";
  std::string node_id = "-";  // this node's PostgresOptions::node_id: its own writes are skipped
  std::chrono::milliseconds check_interval{1000};
  int connect_timeout_seconds = 5;
};

// Listens until destroyed; `on_change` runs on the watcher's own thread.
class ChangeWatcher {
 public:
  virtual ~ChangeWatcher() = default;
  // Generation counter confirmed by the last check or announcement.
  virtual std::int64_t confirmed_generation() const = 0;
};

// Starts watching; the first notice (everything) comes once it listens. The
// database must already be migrated (OpenPostgresStore does it).
std::unique_ptr<ChangeWatcher> WatchPostgresChanges(const ChangeWatchOptions& options,
                                                    std::function<void(const ChangeNotice&)> on_change);

// Cluster mode: work that one node at a time must do (the sweeper), guarded
// by a PostgreSQL session advisory lock on a connection of its own. The lock
// goes with the session, so when the holder dies (or loses the database) the
// server releases it and another node's next HeldNow() takes it.
class LeaderLock {
 public:
  virtual ~LeaderLock() = default;
  // True while this process holds the lock: takes it when free, confirms a
  // held one with a round trip (a lost connection lost the lock). Never
  // waits for another holder.
  virtual bool HeldNow() = 0;
};

std::unique_ptr<LeaderLock> NewPostgresSweeperLock(const std::string& conninfo,
                                                   int connect_timeout_seconds = 5);

// Cluster mode: which nodes are alive, for budgets each node holds a share of
// (request quotas, docs/operations.md "Quotas in a cluster"). A node's
// heartbeat is a row stamped with PostgreSQL's clock (node clocks may
// disagree), written on a connection of its own
// (`application_name` coffer-nodes); a node is alive while its last heartbeat
// is younger than `stale_after`.
class NodeRegistry {
 public:
  virtual ~NodeRegistry() = default;
  // Records this node's heartbeat and returns the nodes alive now, this one
  // included. kUnavailable when the database cannot be reached (the
  // connection is re-opened on a later call).
  virtual StatusOr<int> Heartbeat() = 0;
  // Removes this node's row, so the others stop counting it at their next
  // heartbeat (a clean shutdown).
  virtual Status Leave() = 0;
};

std::unique_ptr<NodeRegistry> NewPostgresNodeRegistry(const std::string& conninfo, const std::string& node_id,
                                                      std::chrono::milliseconds stale_after,
                                                      int connect_timeout_seconds = 5);

// In-memory store for unit tests only: defined in coffer_store_memory, which
// only test binaries link.
std::unique_ptr<Store> NewMemoryStore();

}  // namespace coffer::store

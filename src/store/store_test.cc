// The Store contract, run against every implementation (PostgreSQL on a
// throwaway server, see store/postgres/test_postgres.h), followed by the
// SQLite-specific guarantees (durability across reopen, migrations, WAL).
#include "store/store.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>
#include <type_traits>
#include <vector>

#include "store/postgres/test_postgres.h"
#include "store/sqlite/sqlite_connection.h"

namespace coffer::store {
namespace {

using ::testing::ElementsAre;
using ::testing::ElementsAreArray;
using ::testing::HasSubstr;
using namespace std::string_literals;

// A fresh directory under the system temp dir, removed with everything in it.
class TempDir {
 public:
  TempDir() {
    static std::atomic<int> counter{0};
    path_ = std::filesystem::temp_directory_path() /
            ("coffer-store-test-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  std::string File(const std::string& name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

struct MemoryImpl {
  static std::unique_ptr<Store> Open(const TempDir& /*dir*/) { return NewMemoryStore(); }
};

struct SqliteImpl {
  static std::unique_ptr<Store> Open(const TempDir& dir) {
    StatusOr<std::unique_ptr<Store>> store = OpenSqliteStore({.path = dir.File("coffer.db")});
    EXPECT_TRUE(store.ok()) << store.status().ToString();
    return store.ok() ? std::move(store).value() : nullptr;
  }
};

// A fresh database on the test server for each test.
struct PostgresImpl {
  static std::unique_ptr<Store> Open(const TempDir& /*dir*/) {
    test_support::TestPostgres* pg = test_support::TestPostgres::Get();
    if (pg == nullptr) {
      ADD_FAILURE() << test_support::TestPostgres::StartError();
      return nullptr;
    }
    StatusOr<std::string> conninfo = pg->NewDatabase();
    EXPECT_TRUE(conninfo.ok()) << conninfo.status().ToString();
    if (!conninfo.ok()) {
      return nullptr;
    }
    StatusOr<std::unique_ptr<Store>> store = OpenPostgresStore({.conninfo = *conninfo});
    EXPECT_TRUE(store.ok()) << store.status().ToString();
    return store.ok() ? std::move(store).value() : nullptr;
  }
};

// Keys in ascending unsigned byte order; bytes >= 0x80 sort after ASCII.
const std::vector<std::string>& SortedScanKeys() {
  static const auto* keys = new std::vector<std::string>{
      "a", "a\0"s, "a\x7f", "a\x80", "a\xff", "a\xff\0"s, "a\xff\xff", "b", "\x80", "\xff", "\xff\xff\x01",
  };
  return *keys;
}

template <typename Impl>
class StoreContractTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = Impl::Open(dir_);
    ASSERT_NE(store_, nullptr);
  }

  std::unique_ptr<Txn> Write() {
    StatusOr<std::unique_ptr<Txn>> txn = store_->BeginWrite();
    EXPECT_TRUE(txn.ok()) << txn.status().ToString();
    return txn.ok() ? std::move(txn).value() : nullptr;
  }
  std::unique_ptr<Txn> Read() {
    StatusOr<std::unique_ptr<Txn>> txn = store_->BeginRead();
    EXPECT_TRUE(txn.ok()) << txn.status().ToString();
    return txn.ok() ? std::move(txn).value() : nullptr;
  }
  void PutCommitted(std::string_view table, std::string_view key, std::string_view value) {
    auto txn = Write();
    ASSERT_TRUE(txn->Put(table, key, value).ok());
    ASSERT_TRUE(txn->Commit().ok());
  }
  std::optional<std::string> GetCommitted(std::string_view table, std::string_view key) {
    auto txn = Read();
    StatusOr<std::optional<std::string>> value = txn->Get(table, key);
    EXPECT_TRUE(value.ok()) << value.status().ToString();
    return value.ok() ? *value : std::nullopt;
  }
  std::vector<std::string> ScanKeys(std::string_view table, std::string_view prefix,
                                    std::string_view start_after, std::size_t limit) {
    auto txn = Read();
    StatusOr<std::vector<Entry>> entries = txn->Scan(table, prefix, start_after, limit);
    EXPECT_TRUE(entries.ok()) << entries.status().ToString();
    std::vector<std::string> keys;
    if (entries.ok()) {
      for (const Entry& e : *entries) {
        keys.push_back(e.key);
      }
    }
    return keys;
  }

  void PutScanKeys() {
    auto txn = Write();
    // Inserted in reverse so the order comes from the store, not insertion.
    for (auto it = SortedScanKeys().rbegin(); it != SortedScanKeys().rend(); ++it) {
      ASSERT_TRUE(txn->Put("scan", *it, "v:" + *it).ok());
    }
    ASSERT_TRUE(txn->Put("other", "a-other", "v").ok());
    ASSERT_TRUE(txn->Commit().ok());
  }

  TempDir dir_;
  std::unique_ptr<Store> store_;
};

using Implementations = ::testing::Types<MemoryImpl, SqliteImpl, PostgresImpl>;
class ImplName {
 public:
  template <typename T>
  static std::string GetName(int /*index*/) {
    if constexpr (std::is_same_v<T, MemoryImpl>) {
      return "Memory";
    } else if constexpr (std::is_same_v<T, SqliteImpl>) {
      return "Sqlite";
    } else {
      return "Postgres";
    }
  }
};
TYPED_TEST_SUITE(StoreContractTest, Implementations, ImplName);

TYPED_TEST(StoreContractTest, PingAnswersWhileTheStoreIsUsable) {
  EXPECT_TRUE(this->store_->Ping().ok());
  auto open = this->Read();  // a transaction in flight leaves Ping working
  EXPECT_TRUE(this->store_->Ping().ok());
}

TYPED_TEST(StoreContractTest, GetMissingIsNullopt) {
  auto txn = this->Read();
  StatusOr<std::optional<std::string>> value = txn->Get("keys", "absent");
  ASSERT_TRUE(value.ok());
  EXPECT_EQ(*value, std::nullopt);
}

TYPED_TEST(StoreContractTest, PutThenGet) {
  this->PutCommitted("keys", "k1", "v1");
  EXPECT_EQ(this->GetCommitted("keys", "k1"), "v1");
}

TYPED_TEST(StoreContractTest, BinaryKeysAndValuesRoundTrip) {
  const std::string key = "\0\xff\x80k"s;
  const std::string value = "\0v\0\xfe"s;
  this->PutCommitted("keys", key, value);
  this->PutCommitted("keys", "", "");
  EXPECT_EQ(this->GetCommitted("keys", key), value);
  EXPECT_EQ(this->GetCommitted("keys", ""), "");
  EXPECT_EQ(this->GetCommitted("keys", "\0\xff\x80"s), std::nullopt);
}

TYPED_TEST(StoreContractTest, PutOverwrites) {
  this->PutCommitted("keys", "k1", "v1");
  this->PutCommitted("keys", "k1", "v2");
  EXPECT_EQ(this->GetCommitted("keys", "k1"), "v2");
}

TYPED_TEST(StoreContractTest, DeleteRemoves) {
  this->PutCommitted("keys", "k1", "v1");
  auto txn = this->Write();
  ASSERT_TRUE(txn->Delete("keys", "k1").ok());
  ASSERT_TRUE(txn->Commit().ok());
  EXPECT_EQ(this->GetCommitted("keys", "k1"), std::nullopt);
}

TYPED_TEST(StoreContractTest, DeleteMissingIsOk) {
  auto txn = this->Write();
  EXPECT_TRUE(txn->Delete("keys", "absent").ok());
  EXPECT_TRUE(txn->Delete("no-such-table", "absent").ok());
  EXPECT_TRUE(txn->Commit().ok());
}

TYPED_TEST(StoreContractTest, WritesOnReadTxnAreInternalErrors) {
  auto txn = this->Read();
  EXPECT_EQ(txn->Put("keys", "k", "v").code(), ErrorCode::kInternal);
  EXPECT_EQ(txn->Delete("keys", "k").code(), ErrorCode::kInternal);
}

TYPED_TEST(StoreContractTest, TxnIsUnusableAfterCommit) {
  auto txn = this->Write();
  ASSERT_TRUE(txn->Commit().ok());
  EXPECT_EQ(txn->Put("keys", "k", "v").code(), ErrorCode::kInternal);
  EXPECT_EQ(txn->Get("keys", "k").status().code(), ErrorCode::kInternal);
  EXPECT_FALSE(txn->Commit().ok());
}

TYPED_TEST(StoreContractTest, CommitReleasesTheWriterBeforeDestruction) {
  auto first = this->Write();
  ASSERT_TRUE(first->Put("keys", "k", "v1").ok());
  ASSERT_TRUE(first->Commit().ok());
  auto second = this->Write();  // would deadlock if `first` still held the writer
  ASSERT_NE(second, nullptr);
  EXPECT_EQ(*second->Get("keys", "k"), "v1");
}

TYPED_TEST(StoreContractTest, ReadTxnMayCommitToEndEarly) {
  auto txn = this->Read();
  EXPECT_TRUE(txn->Commit().ok());
  EXPECT_EQ(txn->Get("keys", "k").status().code(), ErrorCode::kInternal);
}

TYPED_TEST(StoreContractTest, DestructionWithoutCommitRollsBack) {
  this->PutCommitted("keys", "kept", "v1");
  {
    auto txn = this->Write();
    ASSERT_TRUE(txn->Put("keys", "dropped", "v").ok());
    ASSERT_TRUE(txn->Put("keys", "kept", "v2").ok());
    ASSERT_TRUE(txn->Delete("keys", "kept").ok());
  }
  EXPECT_EQ(this->GetCommitted("keys", "dropped"), std::nullopt);
  EXPECT_EQ(this->GetCommitted("keys", "kept"), "v1");
  this->PutCommitted("keys", "after", "v");  // the writer is free again
  EXPECT_EQ(this->GetCommitted("keys", "after"), "v");
}

TYPED_TEST(StoreContractTest, WriteTxnSeesItsOwnWrites) {
  this->PutCommitted("keys", "old", "v");
  auto txn = this->Write();
  ASSERT_TRUE(txn->Put("keys", "new", "v1").ok());
  ASSERT_TRUE(txn->Delete("keys", "old").ok());
  EXPECT_EQ(*txn->Get("keys", "new"), "v1");
  EXPECT_EQ(*txn->Get("keys", "old"), std::nullopt);
  StatusOr<std::vector<Entry>> entries = txn->Scan("keys", "", "", 10);
  ASSERT_TRUE(entries.ok());
  ASSERT_EQ(entries->size(), 1u);
  EXPECT_EQ((*entries)[0].key, "new");
  EXPECT_EQ((*entries)[0].value, "v1");
}

TYPED_TEST(StoreContractTest, ReadTxnDoesNotSeeConcurrentUncommittedWrites) {
  this->PutCommitted("keys", "k", "committed");
  auto before = this->Read();
  ASSERT_EQ(*before->Get("keys", "k"), "committed");
  auto writer = this->Write();
  ASSERT_TRUE(writer->Put("keys", "k", "pending").ok());
  ASSERT_TRUE(writer->Put("keys", "new", "pending").ok());
  auto during = this->Read();
  EXPECT_EQ(*during->Get("keys", "k"), "committed");
  EXPECT_EQ(*during->Get("keys", "new"), std::nullopt);
  ASSERT_TRUE(writer->Commit().ok());
  // Snapshots taken before the commit stay as they were.
  EXPECT_EQ(*before->Get("keys", "k"), "committed");
  EXPECT_EQ(*during->Get("keys", "new"), std::nullopt);
  EXPECT_EQ(this->GetCommitted("keys", "k"), "pending");
}

TYPED_TEST(StoreContractTest, ReadSnapshotIsTakenAtBeginRead) {
  this->PutCommitted("keys", "k", "v1");
  auto reader = this->Read();  // no query yet
  this->PutCommitted("keys", "k", "v2");
  EXPECT_EQ(*reader->Get("keys", "k"), "v1");
}

TYPED_TEST(StoreContractTest, TablesAreIndependent) {
  this->PutCommitted("a", "k", "in-a");
  this->PutCommitted("b", "k", "in-b");
  EXPECT_EQ(this->GetCommitted("a", "k"), "in-a");
  EXPECT_EQ(this->GetCommitted("b", "k"), "in-b");
  EXPECT_EQ(this->GetCommitted("c", "k"), std::nullopt);
  auto txn = this->Write();
  ASSERT_TRUE(txn->Delete("a", "k").ok());
  ASSERT_TRUE(txn->Commit().ok());
  EXPECT_EQ(this->GetCommitted("b", "k"), "in-b");
  EXPECT_THAT(this->ScanKeys("b", "", "", 10), ElementsAre("k"));
  EXPECT_TRUE(this->ScanKeys("a", "", "", 10).empty());
}

TYPED_TEST(StoreContractTest, ScanWholeTableInByteOrder) {
  this->PutScanKeys();
  EXPECT_THAT(this->ScanKeys("scan", "", "", 100), ElementsAreArray(SortedScanKeys()));
  auto txn = this->Read();
  StatusOr<std::vector<Entry>> entries = txn->Scan("scan", "b", "", 10);
  ASSERT_TRUE(entries.ok());
  ASSERT_EQ(entries->size(), 1u);
  EXPECT_EQ((*entries)[0].value, "v:b");
}

TYPED_TEST(StoreContractTest, ScanByPrefix) {
  this->PutScanKeys();
  EXPECT_THAT(this->ScanKeys("scan", "a", "", 100),
              ElementsAre("a", "a\0"s, "a\x7f", "a\x80", "a\xff", "a\xff\0"s, "a\xff\xff"));
  EXPECT_THAT(this->ScanKeys("scan", "a\x80", "", 100), ElementsAre("a\x80"));
  EXPECT_TRUE(this->ScanKeys("scan", "c", "", 100).empty());
}

TYPED_TEST(StoreContractTest, ScanByPrefixEndingInFF) {
  this->PutScanKeys();
  EXPECT_THAT(this->ScanKeys("scan", "a\xff", "", 100), ElementsAre("a\xff", "a\xff\0"s, "a\xff\xff"));
  EXPECT_THAT(this->ScanKeys("scan", "a\xff\xff", "", 100), ElementsAre("a\xff\xff"));
  EXPECT_THAT(this->ScanKeys("scan", "\xff", "", 100), ElementsAre("\xff", "\xff\xff\x01"));
  EXPECT_THAT(this->ScanKeys("scan", "\xff\xff", "", 100), ElementsAre("\xff\xff\x01"));
}

TYPED_TEST(StoreContractTest, ScanStartAfterIsExclusive) {
  this->PutScanKeys();
  EXPECT_THAT(this->ScanKeys("scan", "a", "a\x7f", 100),
              ElementsAre("a\x80", "a\xff", "a\xff\0"s, "a\xff\xff"));
  // start_after before the prefix range: the whole prefix range.
  EXPECT_THAT(this->ScanKeys("scan", "a\xff", "a", 100), ElementsAre("a\xff", "a\xff\0"s, "a\xff\xff"));
  // start_after not itself a key.
  EXPECT_THAT(this->ScanKeys("scan", "", "a\xfe", 2), ElementsAre("a\xff", "a\xff\0"s));
  EXPECT_TRUE(this->ScanKeys("scan", "a", "a\xff\xff", 100).empty());
  EXPECT_TRUE(this->ScanKeys("scan", "a", "b", 100).empty());
}

TYPED_TEST(StoreContractTest, ScanLimitPagesThroughEverything) {
  this->PutScanKeys();
  EXPECT_TRUE(this->ScanKeys("scan", "", "", 0).empty());
  EXPECT_THAT(this->ScanKeys("scan", "a", "", 2), ElementsAre("a", "a\0"s));
  std::vector<std::string> all;
  std::string marker;
  for (int page = 0; page < 20; ++page) {
    std::vector<std::string> keys = this->ScanKeys("scan", "", marker, 3);
    if (keys.empty()) {
      break;
    }
    EXPECT_LE(keys.size(), 3u);
    all.insert(all.end(), keys.begin(), keys.end());
    marker = keys.back();
  }
  EXPECT_THAT(all, ElementsAreArray(SortedScanKeys()));
}

TYPED_TEST(StoreContractTest, ScanEmptyKeyIsFirst) {
  this->PutCommitted("scan", "", "empty");
  this->PutCommitted("scan", "a", "v");
  EXPECT_THAT(this->ScanKeys("scan", "", "", 10), ElementsAre("", "a"));
  EXPECT_THAT(this->ScanKeys("scan", "", "", 1), ElementsAre(""));
}

TYPED_TEST(StoreContractTest, ConcurrentIncrementsAreSerialisable) {
  constexpr int kThreads = 4;
  constexpr int kIncrements = 25;
  this->PutCommitted("counters", "c", "0");
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < kIncrements; ++i) {
        StatusOr<std::unique_ptr<Txn>> txn = this->store_->BeginWrite();
        if (!txn.ok()) {
          ++failures;
          continue;
        }
        StatusOr<std::optional<std::string>> value = (*txn)->Get("counters", "c");
        if (!value.ok() || !value->has_value()) {
          ++failures;
          continue;
        }
        const int next = std::stoi(**value) + 1;
        if (!(*txn)->Put("counters", "c", std::to_string(next)).ok() || !(*txn)->Commit().ok()) {
          ++failures;
        }
      }
    });
  }
  for (std::thread& thread : threads) {
    thread.join();
  }
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(this->GetCommitted("counters", "c"), std::to_string(kThreads * kIncrements));
}

// A reader runs alongside the writer; each commit waits until the reader
// has completed a read after it, so reads really interleave with writes
// (without the handshake the reader might never run before `done`).
TYPED_TEST(StoreContractTest, ConcurrentReadersDuringWrites) {
  this->PutCommitted("keys", "a", "0");
  this->PutCommitted("keys", "b", "0");
  std::atomic<bool> done{false};
  std::atomic<int> torn{0};
  std::atomic<int> reads{0};
  std::atomic<int> last_seen{-1};
  std::thread reader([&] {
    while (!done) {
      StatusOr<std::unique_ptr<Txn>> txn = this->store_->BeginRead();
      if (!txn.ok()) {
        continue;
      }
      auto a = (*txn)->Get("keys", "a");
      auto b = (*txn)->Get("keys", "b");
      if (!a.ok() || !b.ok() || !a->has_value() || *a != *b) {
        ++torn;
      } else {
        last_seen = std::stoi(**a);
      }
      ++reads;
    }
  });
  auto wait_for_a_read = [&] {
    const int before = reads.load();
    while (reads.load() == before) std::this_thread::yield();
  };
  for (int i = 1; i <= 20; ++i) {
    wait_for_a_read();
    auto txn = this->Write();
    ASSERT_TRUE(txn->Put("keys", "a", std::to_string(i)).ok());
    ASSERT_TRUE(txn->Put("keys", "b", std::to_string(i)).ok());
    ASSERT_TRUE(txn->Commit().ok());
  }
  wait_for_a_read();
  wait_for_a_read();  // the second read started after the last commit
  done = true;
  reader.join();
  EXPECT_EQ(torn.load(), 0);
  EXPECT_GE(reads.load(), 22);
  EXPECT_EQ(last_seen.load(), 20);
}

// ---- SQLite only ----

class SqliteStoreTest : public ::testing::Test {
 protected:
  StatusOr<std::unique_ptr<Store>> Open(int busy_timeout_ms = 5000, std::size_t readers = 4) {
    return OpenSqliteStore({.path = path_, .busy_timeout_ms = busy_timeout_ms, .read_connections = readers});
  }
  // Runs SQL through a separate raw connection, as another process would.
  void RawExec(const std::string& sql) {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(path_.c_str(), &db), SQLITE_OK);
    EXPECT_EQ(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr), SQLITE_OK) << sqlite3_errmsg(db);
    sqlite3_close(db);
  }

  TempDir dir_;
  std::string path_ = dir_.File("coffer.db");
};

TEST_F(SqliteStoreTest, ReopenKeepsCommittedData) {
  {
    auto store = Open();
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    {
      auto txn = (*store)->BeginWrite();
      ASSERT_TRUE(txn.ok());
      ASSERT_TRUE((*txn)->Put("keys", "k", "durable").ok());
      ASSERT_TRUE((*txn)->Commit().ok());
    }
    auto dropped = (*store)->BeginWrite();
    ASSERT_TRUE(dropped.ok());
    ASSERT_TRUE((*dropped)->Put("keys", "gone", "v").ok());
  }
  auto store = Open();
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  auto txn = (*store)->BeginRead();
  ASSERT_TRUE(txn.ok());
  EXPECT_EQ(*(*txn)->Get("keys", "k"), "durable");
  EXPECT_EQ(*(*txn)->Get("keys", "gone"), std::nullopt);
}

TEST_F(SqliteStoreTest, ReportsSchemaVersionAndRecordsMigrations) {
  auto store = Open();
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  EXPECT_EQ((*store)->SchemaVersion(), 1);
  store = Open();  // reopening applies nothing twice
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  EXPECT_EQ((*store)->SchemaVersion(), 1);

  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path_.c_str(), &db), SQLITE_OK);
  sqlite3_stmt* stmt = nullptr;
  ASSERT_EQ(
      sqlite3_prepare_v2(db, "SELECT count(*), max(version) FROM schema_migrations", -1, &stmt, nullptr),
      SQLITE_OK);
  ASSERT_EQ(sqlite3_step(stmt), SQLITE_ROW);
  EXPECT_EQ(sqlite3_column_int(stmt, 0), 1);
  EXPECT_EQ(sqlite3_column_int(stmt, 1), 1);
  sqlite3_finalize(stmt);
  sqlite3_close(db);
}

TEST_F(SqliteStoreTest, RefusesNewerSchemaVersion) {
  ASSERT_TRUE(Open().ok());
  RawExec("INSERT INTO schema_migrations(version, applied_at) VALUES(999, 0)");
  auto store = Open();
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), ErrorCode::kInternal);
  EXPECT_THAT(store.status().message(), HasSubstr("999"));
  EXPECT_THAT(store.status().message(), HasSubstr("newer"));
}

TEST_F(SqliteStoreTest, DatabaseIsInWalMode) {
  ASSERT_TRUE(Open().ok());
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path_.c_str(), &db), SQLITE_OK);
  sqlite3_stmt* stmt = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &stmt, nullptr), SQLITE_OK);
  ASSERT_EQ(sqlite3_step(stmt), SQLITE_ROW);
  EXPECT_STREQ(reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0)), "wal");
  sqlite3_finalize(stmt);
  sqlite3_close(db);
}

TEST_F(SqliteStoreTest, LockHeldByAnotherProcessIsStoreBusy) {
  auto store = Open(/*busy_timeout_ms=*/50);
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  sqlite3* other = nullptr;
  ASSERT_EQ(sqlite3_open(path_.c_str(), &other), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(other, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr), SQLITE_OK);
  auto txn = (*store)->BeginWrite();
  EXPECT_EQ(txn.status().code(), ErrorCode::kDependencyTimeout);
  EXPECT_TRUE((*store)->BeginRead().ok());  // WAL readers are not blocked by a writer
  ASSERT_EQ(sqlite3_exec(other, "ROLLBACK", nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(other);
  EXPECT_TRUE((*store)->BeginWrite().ok());
}

TEST_F(SqliteStoreTest, ExhaustedReaderPoolIsStoreBusy) {
  auto store = Open(/*busy_timeout_ms=*/50, /*readers=*/1);
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  {
    auto held = (*store)->BeginRead();
    ASSERT_TRUE(held.ok());
    EXPECT_EQ((*store)->BeginRead().status().code(), ErrorCode::kDependencyTimeout);
  }
  EXPECT_TRUE((*store)->BeginRead().ok());
}

// Transaction control runs from the connection's statement cache: the same
// statement again and again, a refused one, and a statement with rows.
TEST_F(SqliteStoreTest, CachedTransactionStatementsRunEachTime) {
  auto conn = sqlite::Connection::Open(path_, 1000, /*query_only=*/false);
  ASSERT_TRUE(conn.ok()) << conn.status().ToString();
  ASSERT_TRUE((*conn)->Exec("CREATE TABLE t (v INTEGER)").ok());
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE((*conn)->Run("BEGIN IMMEDIATE").ok());
    EXPECT_TRUE((*conn)->InTransaction());
    EXPECT_FALSE((*conn)->Run("BEGIN IMMEDIATE").ok());  // no nested transaction
    ASSERT_TRUE((*conn)->Exec(("INSERT INTO t VALUES (" + std::to_string(i) + ")").c_str()).ok());
    ASSERT_TRUE((*conn)->Run(i == 1 ? "ROLLBACK" : "COMMIT").ok());
    EXPECT_FALSE((*conn)->InTransaction());
  }
  EXPECT_FALSE((*conn)->Run("COMMIT").ok());    // no transaction to commit
  EXPECT_FALSE((*conn)->Run("SELECT 1").ok());  // a row: not a statement for Run
  ASSERT_TRUE((*conn)->Run("BEGIN DEFERRED").ok());
  ASSERT_TRUE((*conn)->Run("COMMIT").ok());
  RawExec("INSERT INTO t VALUES (9)");  // another connection sees no lock left behind
  sqlite3_stmt* count = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2((*conn)->db(), "SELECT group_concat(v) FROM t", -1, &count, nullptr),
            SQLITE_OK);
  ASSERT_EQ(sqlite3_step(count), SQLITE_ROW);
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(sqlite3_column_text(count, 0))), "0,2,9");
  sqlite3_finalize(count);
}

TEST_F(SqliteStoreTest, UnopenablePathIsAnError) {
  auto store = OpenSqliteStore({.path = dir_.File("missing-dir/coffer.db")});
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), ErrorCode::kInternal);
}

}  // namespace
}  // namespace coffer::store

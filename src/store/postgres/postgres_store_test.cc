// The PostgreSQL store against a real server: the throwaway server that the
// contract tests in store_test.cc also use, then the guarantees only this
// store has (migration under an advisory lock, reconnection, cluster-wide
// writer lock).
#include <arpa/inet.h>
#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <libpq-fe.h>
#include <netinet/in.h>
#include <pwd.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "store/postgres/pg_migrations.h"
#include "store/postgres/test_postgres.h"
#include "store/store.h"

extern char** environ;

namespace coffer::store::test_support {

struct TestPostgresAccess {
  static Status Init(TestPostgres& pg);
  static void Destroy(TestPostgres& pg);
};

namespace {

namespace fs = std::filesystem;
using namespace std::string_literals;

std::string& StartErrorText() {
  static auto* text = new std::string;
  return *text;
}

// The newest /usr/lib/postgresql/<version>/bin that has pg_ctl and initdb.
std::string FindBinDir() {
  std::vector<std::pair<int, std::string>> found;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator("/usr/lib/postgresql", ec)) {
    const fs::path bin = entry.path() / "bin";
    if (fs::exists(bin / "pg_ctl") && fs::exists(bin / "initdb")) {
      found.emplace_back(std::atoi(entry.path().filename().c_str()), bin.string());
    }
  }
  if (found.empty()) {
    return "";
  }
  return std::max_element(found.begin(), found.end())->second;
}

int FreeLoopbackPort() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(addr);
  int port = 0;
  if (fd >= 0 && ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0 &&
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
    port = ntohs(addr.sin_port);
  }
  if (fd >= 0) ::close(fd);
  return port;
}

std::string ReadFile(const fs::path& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// Runs `args` in `cwd` with output to `log`, as the postgres user when this
// process is root (initdb and postgres refuse to run as root).
Status RunAsOwner(std::vector<std::string> args, const std::string& cwd, const std::string& log) {
  if (::geteuid() == 0) {
    args.insert(args.begin(), {"runuser", "-u", "postgres", "--"});
  }
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addchdir_np(&actions, cwd.c_str());
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
  posix_spawn_file_actions_adddup2(&actions, STDOUT_FILENO, STDERR_FILENO);
  pid_t pid = 0;
  const int rc = posix_spawnp(&pid, argv[0], &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  int wstatus = 0;
  if (rc != 0 || ::waitpid(pid, &wstatus, 0) != pid || !WIFEXITED(wstatus) || WEXITSTATUS(wstatus) != 0) {
    return InternalError(args[::geteuid() == 0 ? 4 : 0] + " failed:\n" + ReadFile(log));
  }
  return Status::Ok();
}

Status ChownToPostgres(const std::string& path) {
  if (::geteuid() != 0) return Status::Ok();
  const passwd* pw = ::getpwnam("postgres");
  if (pw == nullptr || ::chown(path.c_str(), pw->pw_uid, pw->pw_gid) != 0) {
    return InternalError("cannot hand " + path +
                         " to the postgres user (is the postgresql package installed?)");
  }
  return Status::Ok();
}

class Environment final : public ::testing::Environment {
 public:
  static TestPostgres*& Instance() {
    static TestPostgres* instance = nullptr;
    return instance;
  }
  void TearDown() override {
    if (Instance() != nullptr) TestPostgresAccess::Destroy(*Instance());
  }
};
[[maybe_unused]] ::testing::Environment* const kEnvironment =
    ::testing::AddGlobalTestEnvironment(new Environment);

}  // namespace

Status TestPostgresAccess::Init(TestPostgres& pg) {
  pg.bin_dir_ = FindBinDir();
  if (pg.bin_dir_.empty()) {
    return InternalError(
        "PostgreSQL server binaries (initdb, pg_ctl) not found under /usr/lib/postgresql/*/bin: "
        "run scripts/install-deps.sh test, which installs the postgresql package");
  }
  std::string root = (fs::temp_directory_path() / "coffer-pg-XXXXXX").string();
  if (::mkdtemp(root.data()) == nullptr) return InternalError("mkdtemp failed for " + root);
  pg.root_ = root;
  RETURN_IF_ERROR(ChownToPostgres(pg.root_));
  pg.port_ = FreeLoopbackPort();
  RETURN_IF_ERROR(RunAsOwner({pg.bin_dir_ + "/initdb", "-D", pg.root_ + "/data", "-U", "coffer", "-A",
                              "trust", "-E", "UTF8", "--locale=C", "--no-sync"},
                             pg.root_, pg.root_ + "/initdb.log"));
  return pg.Start();
}

void TestPostgresAccess::Destroy(TestPostgres& pg) {
  if (pg.running_) {
    (void)RunAsOwner({pg.bin_dir_ + "/pg_ctl", "-D", pg.root_ + "/data", "-w", "-m", "immediate", "stop"},
                     pg.root_, pg.root_ + "/pg_ctl.log");
    pg.running_ = false;
  }
  std::error_code ignored;
  fs::remove_all(pg.root_, ignored);
}

TestPostgres* TestPostgres::Get() {
  static const bool started = [] {
    auto* pg = new TestPostgres;
    Environment::Instance() = pg;
    Status status = TestPostgresAccess::Init(*pg);
    StartErrorText() = status.message();
    return status.ok();
  }();
  return started ? Environment::Instance() : nullptr;
}

const std::string& TestPostgres::StartError() { return StartErrorText(); }

Status TestPostgres::Start() {
  const std::string server_options =
      "-k " + root_ + " -p " + std::to_string(port_) + " -c listen_addresses=127.0.0.1";
  RETURN_IF_ERROR(RunAsOwner({bin_dir_ + "/pg_ctl", "-D", root_ + "/data", "-l", root_ + "/server.log", "-w",
                              "-t", "60", "-o", server_options, "start"},
                             root_, root_ + "/pg_ctl.log"));
  running_ = true;
  return Status::Ok();
}

Status TestPostgres::Stop() {
  RETURN_IF_ERROR(
      RunAsOwner({bin_dir_ + "/pg_ctl", "-D", root_ + "/data", "-w", "-t", "60", "-m", "fast", "stop"}, root_,
                 root_ + "/pg_ctl.log"));
  running_ = false;
  return Status::Ok();
}

Status TestPostgres::Restart() {
  // pg_ctl restart reuses the options of the last start (postmaster.opts).
  return RunAsOwner({bin_dir_ + "/pg_ctl", "-D", root_ + "/data", "-l", root_ + "/server.log", "-w", "-t",
                     "60", "-m", "fast", "restart"},
                    root_, root_ + "/pg_ctl.log");
}

std::string TestPostgres::Conninfo(const std::string& database) const {
  return "host=127.0.0.1 port=" + std::to_string(port_) + " user=coffer dbname=" + database;
}

StatusOr<std::string> TestPostgres::AdminQuery(const std::string& database, const std::string& sql) const {
  std::unique_ptr<PGconn, decltype(&PQfinish)> conn(PQconnectdb(Conninfo(database).c_str()), &PQfinish);
  if (PQstatus(conn.get()) != CONNECTION_OK) {
    return InternalError("admin connection failed: "s + PQerrorMessage(conn.get()));
  }
  std::unique_ptr<PGresult, decltype(&PQclear)> res(PQexec(conn.get(), sql.c_str()), &PQclear);
  const ExecStatusType st = PQresultStatus(res.get());
  if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
    return InternalError(sql + ": " + PQresultErrorMessage(res.get()));
  }
  return std::string(PQntuples(res.get()) > 0 ? PQgetvalue(res.get(), 0, 0) : "");
}

StatusOr<std::string> TestPostgres::NewDatabase() {
  const std::string name = "coffer_test_" + std::to_string(++databases_);
  RETURN_IF_ERROR(AdminQuery("postgres", "CREATE DATABASE " + name).status());
  return Conninfo(name);
}

}  // namespace coffer::store::test_support

// ---- PostgreSQL only ----

namespace coffer::store {
namespace {

using test_support::TestPostgres;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using namespace std::string_literals;

class PostgresStoreTest : public test_support::PostgresDatabaseTest {
 protected:
  StatusOr<std::unique_ptr<Store>> Open(int lock_timeout_ms = 5000) {
    return OpenPostgresStore({.conninfo = conninfo_, .lock_timeout_ms = lock_timeout_ms});
  }
  std::unique_ptr<Store> OpenOk() {
    StatusOr<std::unique_ptr<Store>> store = Open();
    EXPECT_TRUE(store.ok()) << store.status().ToString();
    return store.ok() ? std::move(store).value() : nullptr;
  }
  std::string Admin(const std::string& sql) {
    StatusOr<std::string> out = pg_->AdminQuery(database_, sql);
    EXPECT_TRUE(out.ok()) << out.status().ToString();
    return out.ok() ? *out : "";
  }
  static void PutCommitted(Store& store, std::string_view key, std::string_view value) {
    StatusOr<std::unique_ptr<Txn>> txn = store.BeginWrite();
    ASSERT_TRUE(txn.ok()) << txn.status().ToString();
    ASSERT_TRUE((*txn)->Put("keys", key, value).ok());
    ASSERT_TRUE((*txn)->Commit().ok());
  }
};

TEST_F(PostgresStoreTest, MigratesOnceWhenNodesOpenTogether) {
  constexpr int kNodes = 4;
  std::vector<std::optional<StatusOr<std::unique_ptr<Store>>>> stores(kNodes);
  std::vector<std::thread> threads;
  for (int i = 0; i < kNodes; ++i) {
    threads.emplace_back([&, i] { stores[i].emplace(Open()); });
  }
  for (std::thread& t : threads) t.join();
  for (const auto& store : stores) {
    ASSERT_TRUE(store->ok()) << store->status().ToString();
    EXPECT_EQ((**store)->SchemaVersion(), postgres::LatestSchemaVersion());
  }
  const std::string latest = std::to_string(postgres::LatestSchemaVersion());
  EXPECT_EQ(Admin("SELECT count(*) || ':' || max(version) FROM schema_version"), latest + ":" + latest);
  ASSERT_NE(OpenOk(), nullptr);  // reopening applies nothing twice
  EXPECT_EQ(Admin("SELECT count(*) FROM schema_version"), latest);
  // The session lock went with the migration; nobody holds it now.
  EXPECT_EQ(Admin("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'"), "0");
}

TEST_F(PostgresStoreTest, RefusesNewerSchemaVersion) {
  ASSERT_NE(OpenOk(), nullptr);
  Admin("INSERT INTO schema_version(version) VALUES(999)");
  auto store = Open();
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), ErrorCode::kInternal);
  EXPECT_THAT(store.status().message(), HasSubstr("999"));
  EXPECT_THAT(store.status().message(), HasSubstr("newer"));
}

TEST_F(PostgresStoreTest, ByteaKeysWithZeroAndFFBytesScanInByteOrder) {
  auto store = OpenOk();
  ASSERT_NE(store, nullptr);
  const std::vector<std::string> sorted = {""s,     "\0"s,   "\0\0"s, "\0\xff"s, "\x01"s,
                                           "\x7f"s, "\x80"s, "\xff"s, "\xff\0"s, "\xff\xff"s};
  {
    auto txn = store->BeginWrite();
    ASSERT_TRUE(txn.ok());
    for (auto it = sorted.rbegin(); it != sorted.rend(); ++it) {
      ASSERT_TRUE((*txn)->Put("bytes", *it, *it + "\0v"s).ok());
    }
    ASSERT_TRUE((*txn)->Commit().ok());
  }
  // Stored as the bytes themselves, not an escaped text form.
  EXPECT_EQ(Admin("SELECT string_agg(encode(k, 'hex'), ',' ORDER BY k) FROM kv WHERE tbl = 'bytes'"),
            ",00,0000,00ff,01,7f,80,ff,ff00,ffff");
  auto txn = store->BeginRead();
  ASSERT_TRUE(txn.ok());
  auto keys = [&](std::string_view prefix, std::string_view after) {
    std::vector<std::string> out;
    auto entries = (*txn)->Scan("bytes", prefix, after, 100);
    EXPECT_TRUE(entries.ok()) << entries.status().ToString();
    for (const Entry& e : *entries) {
      EXPECT_EQ(e.value, e.key + "\0v"s);
      out.push_back(e.key);
    }
    return out;
  };
  EXPECT_EQ(keys("", ""), sorted);
  EXPECT_THAT(keys("\0"s, ""), ElementsAre("\0"s, "\0\0"s, "\0\xff"s));
  EXPECT_THAT(keys("\0"s, "\0\0"s), ElementsAre("\0\xff"s));
  EXPECT_THAT(keys("\xff", ""), ElementsAre("\xff"s, "\xff\0"s, "\xff\xff"s));
  EXPECT_THAT(keys("\xff\xff", ""), ElementsAre("\xff\xff"s));
}

TEST_F(PostgresStoreTest, ReconnectsAfterServerRestart) {
  auto store = OpenOk();
  ASSERT_NE(store, nullptr);
  PutCommitted(*store, "k", "before");
  // Several open transactions, so several pooled connections go stale.
  std::vector<std::unique_ptr<Txn>> open;
  for (int i = 0; i < 3; ++i) {
    auto txn = i == 0 ? store->BeginWrite() : store->BeginRead();
    ASSERT_TRUE(txn.ok()) << txn.status().ToString();
    open.push_back(std::move(txn).value());
  }
  ASSERT_TRUE(pg_->Restart().ok());
  // The idle pooled connections died with the server: Ping reconnects.
  EXPECT_TRUE(store->Ping().ok()) << store->Ping().ToString();

  auto lost = open[0]->Get("keys", "k");
  EXPECT_EQ(lost.status().code(), ErrorCode::kUnavailable) << lost.status().ToString();
  EXPECT_EQ(open[0]->Put("keys", "k", "x").code(), ErrorCode::kUnavailable);
  EXPECT_EQ(open[0]->Commit().code(), ErrorCode::kUnavailable);
  EXPECT_EQ(open[1]->Scan("keys", "", "", 10).status().code(), ErrorCode::kUnavailable);
  open.clear();

  for (int i = 0; i < 10; ++i) {  // every pooled connection, stale or not, works again
    PutCommitted(*store, "k", "after" + std::to_string(i));
  }
  auto txn = store->BeginRead();
  ASSERT_TRUE(txn.ok()) << txn.status().ToString();
  EXPECT_EQ(*(*txn)->Get("keys", "k"), "after9");
}

TEST_F(PostgresStoreTest, ServerDownIsUnavailableUntilItReturns) {
  auto store = OpenOk();
  ASSERT_NE(store, nullptr);
  PutCommitted(*store, "k", "v");
  EXPECT_TRUE(store->Ping().ok());
  ASSERT_TRUE(pg_->Stop().ok());
  EXPECT_EQ(store->Ping().code(), ErrorCode::kUnavailable);
  EXPECT_EQ(store->BeginWrite().status().code(), ErrorCode::kUnavailable);
  EXPECT_EQ(store->BeginRead().status().code(), ErrorCode::kUnavailable);
  EXPECT_EQ(Open().status().code(), ErrorCode::kUnavailable);
  ASSERT_TRUE(pg_->Start().ok());
  EXPECT_TRUE(store->Ping().ok()) << store->Ping().ToString();  // a fresh connection
  PutCommitted(*store, "k", "back");
}

TEST_F(PostgresStoreTest, DroppedDatabaseIsUnavailable) {
  auto store = OpenOk();
  ASSERT_NE(store, nullptr);
  PutCommitted(*store, "k", "v");
  auto txn = store->BeginRead();
  ASSERT_TRUE(txn.ok());
  ASSERT_TRUE(pg_->AdminQuery("postgres", "DROP DATABASE " + database_ + " WITH (FORCE)").ok());
  EXPECT_EQ((*txn)->Get("keys", "k").status().code(), ErrorCode::kUnavailable);
  txn = store->BeginWrite();
  ASSERT_FALSE(txn.ok());
  EXPECT_EQ(txn.status().code(), ErrorCode::kUnavailable);
  EXPECT_THAT(txn.status().message(), HasSubstr("does not exist"));
}

TEST_F(PostgresStoreTest, UnreachableServerIsUnavailable) {
  auto store = OpenPostgresStore({.conninfo = "host=127.0.0.1 port=1 user=coffer dbname=none"});
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), ErrorCode::kUnavailable);
}

// Two stores stand in for two nodes sharing the database.
TEST_F(PostgresStoreTest, WritersOnTwoNodesAreSerialised) {
  auto node_a = OpenOk();
  auto node_b = OpenOk();
  ASSERT_NE(node_a, nullptr);
  ASSERT_NE(node_b, nullptr);
  PutCommitted(*node_a, "c", "0");
  constexpr int kIncrements = 25;
  std::atomic<int> failures{0};
  auto increment = [&](Store* store) {
    for (int i = 0; i < kIncrements; ++i) {
      auto txn = store->BeginWrite();
      auto value = txn.ok() ? (*txn)->Get("keys", "c") : StatusOr<std::optional<std::string>>(txn.status());
      if (!value.ok() || !value->has_value() ||
          !(*txn)->Put("keys", "c", std::to_string(std::stoi(**value) + 1)).ok() || !(*txn)->Commit().ok()) {
        ++failures;
      }
    }
  };
  std::vector<std::thread> threads;
  for (Store* store : {node_a.get(), node_b.get(), node_a.get(), node_b.get()}) {
    threads.emplace_back(increment, store);
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
  auto txn = node_b->BeginRead();
  ASSERT_TRUE(txn.ok());
  EXPECT_EQ(*(*txn)->Get("keys", "c"), std::to_string(4 * kIncrements));
}

TEST_F(PostgresStoreTest, WriterLockHeldElsewhereIsStoreBusy) {
  auto store = Open(/*lock_timeout_ms=*/100);
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  // Another node in the middle of a write transaction.
  std::unique_ptr<PGconn, decltype(&PQfinish)> other(PQconnectdb(conninfo_.c_str()), &PQfinish);
  ASSERT_EQ(PQstatus(other.get()), CONNECTION_OK);
  const std::string lock = "SELECT pg_advisory_lock(" + std::to_string(postgres::kWriterLockKey) + ")";
  PQclear(PQexec(other.get(), lock.c_str()));
  auto txn = (*store)->BeginWrite();
  ASSERT_FALSE(txn.ok());
  EXPECT_EQ(txn.status().code(), ErrorCode::kDependencyTimeout) << txn.status().ToString();
  EXPECT_TRUE((*store)->BeginRead().ok());  // readers do not wait for writers
  PQclear(PQexec(other.get(), "SELECT pg_advisory_unlock_all()"));
  EXPECT_TRUE((*store)->BeginWrite().ok());
}

TEST_F(PostgresStoreTest, ExhaustedPoolIsStoreBusy) {
  auto store = OpenPostgresStore({.conninfo = conninfo_, .pool_size = 1, .acquire_timeout_ms = 50});
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  {
    auto held = (*store)->BeginRead();
    ASSERT_TRUE(held.ok());
    EXPECT_EQ((*store)->BeginRead().status().code(), ErrorCode::kDependencyTimeout);
  }
  EXPECT_TRUE((*store)->BeginRead().ok());
}

TEST_F(PostgresStoreTest, FailedStatementMakesCommitFail) {
  auto store = OpenOk();
  ASSERT_NE(store, nullptr);
  {
    auto txn = store->BeginWrite();
    ASSERT_TRUE(txn.ok());
    ASSERT_TRUE((*txn)->Put("keys", "k", "v").ok());
    // A NUL cannot be in a text value: the statement fails, aborting the transaction.
    EXPECT_EQ((*txn)->Put("bad\0table"s, "k", "v").code(), ErrorCode::kInternal);
    EXPECT_EQ((*txn)->Commit().code(), ErrorCode::kInternal);
  }
  auto read = store->BeginRead();
  ASSERT_TRUE(read.ok());
  EXPECT_EQ(*(*read)->Get("keys", "k"), std::nullopt);
}

}  // namespace
}  // namespace coffer::store

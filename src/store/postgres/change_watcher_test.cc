// Cross-node change announcements against the throwaway PostgreSQL server:
// two stores on one database stand for two nodes, a watcher for one of them.
#include "store/postgres/change_watcher.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "store/postgres/test_postgres.h"
#include "store/store.h"

namespace coffer::store {
namespace {

using ::testing::ElementsAre;
using ::testing::UnorderedElementsAre;
using namespace std::chrono_literals;

// Every notice the watcher delivered, in order, and a way to wait for one.
class NoticeLog {
 public:
  std::function<void(const ChangeNotice&)> Sink() {
    return [this](const ChangeNotice& notice) {
      std::lock_guard lock(mu_);
      notices_.push_back(notice);
      cv_.notify_all();
    };
  }
  // Waits (bounded) until `done` holds for the notices so far.
  bool WaitUntil(const std::function<bool(const std::vector<ChangeNotice>&)>& done,
                 std::chrono::milliseconds limit = 10s) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, limit, [&] { return done(notices_); });
  }
  std::vector<ChangeNotice> Snapshot() {
    std::lock_guard lock(mu_);
    return notices_;
  }
  std::size_t Count() {
    std::lock_guard lock(mu_);
    return notices_.size();
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<ChangeNotice> notices_;
};

bool AnyEverythingAfter(const std::vector<ChangeNotice>& notices, std::size_t from) {
  for (std::size_t i = from; i < notices.size(); ++i) {
    if (notices[i].everything) return true;
  }
  return false;
}

bool AnyTablesAfter(const std::vector<ChangeNotice>& notices, std::size_t from) {
  for (std::size_t i = from; i < notices.size(); ++i) {
    if (!notices[i].everything) return true;
  }
  return false;
}

class ChangeWatcherTest : public test_support::PostgresDatabaseTest {
 protected:
  void SetUp() override {
    PostgresDatabaseTest::SetUp();
    if (HasFatalFailure()) return;
    node_a_ = Open("node-a");
    node_b_ = Open("node-b");
    ASSERT_NE(node_a_, nullptr);
    ASSERT_NE(node_b_, nullptr);
  }

  std::unique_ptr<Store> Open(const std::string& node_id) {
    StatusOr<std::unique_ptr<Store>> store = OpenPostgresStore({.conninfo = conninfo_, .node_id = node_id});
    EXPECT_TRUE(store.ok()) << store.status().ToString();
    return store.ok() ? std::move(store).value() : nullptr;
  }

  // Watches as node B; returns once the first notice (everything) came.
  std::unique_ptr<ChangeWatcher> WatchAsB(std::chrono::milliseconds interval = 60s) {
    auto watcher = WatchPostgresChanges(
        {.conninfo = conninfo_, .node_id = "node-b", .check_interval = interval}, log_.Sink());
    EXPECT_TRUE(log_.WaitUntil([](const auto& n) { return AnyEverythingAfter(n, 0); }));
    return watcher;
  }

  static void Write(Store& store, const std::string& table, const std::string& key) {
    auto txn = store.BeginWrite();
    ASSERT_TRUE(txn.ok()) << txn.status().ToString();
    ASSERT_TRUE((*txn)->Put(table, key, "v").ok());
    ASSERT_TRUE((*txn)->Commit().ok());
  }

  // The stored generation as text, or the error's text.
  std::string Generation() const {
    StatusOr<std::string> value = pg_->AdminQuery(database_, "SELECT generation FROM cluster_generation");
    return value.ok() ? *value : value.status().ToString();
  }

  std::unique_ptr<Store> node_a_;
  std::unique_ptr<Store> node_b_;
  NoticeLog log_;
};

TEST(ChangeAnnouncementTest, PayloadRoundTrips) {
  const std::string tables = postgres::ChangedTablesPayload({"keys", "grants"});
  const auto parsed = postgres::ParseAnnouncement("node-1 42 " + tables);
  ASSERT_TRUE(parsed.has_value());
  EXPECT_EQ(parsed->node_id, "node-1");
  EXPECT_EQ(parsed->generation, 42);
  EXPECT_FALSE(parsed->all_tables);
  EXPECT_THAT(parsed->tables, ElementsAre("grants", "keys"));
}

TEST(ChangeAnnouncementTest, UnlistableTablesBecomeAll) {
  EXPECT_EQ(postgres::ChangedTablesPayload({"a,b"}), "*");
  EXPECT_EQ(postgres::ChangedTablesPayload({"has space"}), "*");
  EXPECT_EQ(postgres::ChangedTablesPayload({std::string(5000, 't')}), "*");
  const auto parsed = postgres::ParseAnnouncement("n 1 *");
  ASSERT_TRUE(parsed.has_value());
  EXPECT_TRUE(parsed->all_tables);
}

TEST(ChangeAnnouncementTest, MalformedPayloadsAreRefused) {
  EXPECT_FALSE(postgres::ParseAnnouncement("").has_value());
  EXPECT_FALSE(postgres::ParseAnnouncement("node-only").has_value());
  EXPECT_FALSE(postgres::ParseAnnouncement("n notanumber keys").has_value());
  EXPECT_FALSE(postgres::ParseAnnouncement("n 12x keys").has_value());
  EXPECT_FALSE(postgres::ParseAnnouncement(" 1 keys").has_value());
}

TEST_F(ChangeWatcherTest, WritesBumpTheGenerationOnceEachAndReadsNever) {
  ASSERT_EQ(Generation(), "0");
  Write(*node_a_, "keys", "k1");
  Write(*node_b_, "grants", "g1");
  {
    auto read = node_a_->BeginRead();
    ASSERT_TRUE(read.ok());
    ASSERT_TRUE((*read)->Get("keys", "k1").ok());
    ASSERT_TRUE((*read)->Commit().ok());
    auto empty_write = node_a_->BeginWrite();
    ASSERT_TRUE(empty_write.ok());
    ASSERT_TRUE((*empty_write)->Commit().ok());
  }
  EXPECT_EQ(Generation(), "2");
}

TEST_F(ChangeWatcherTest, RolledBackWritesAreNotAnnounced) {
  {
    auto txn = node_a_->BeginWrite();
    ASSERT_TRUE(txn.ok());
    ASSERT_TRUE((*txn)->Put("keys", "k", "v").ok());
  }  // destroyed without Commit
  EXPECT_EQ(Generation(), "0");
}

TEST_F(ChangeWatcherTest, AnotherNodesWriteNamesItsTables) {
  auto watcher = WatchAsB();
  const std::size_t before = log_.Count();
  {
    auto txn = node_a_->BeginWrite();
    ASSERT_TRUE(txn.ok());
    ASSERT_TRUE((*txn)->Put("grants", "g", "v").ok());
    ASSERT_TRUE((*txn)->Delete("keys", "k").ok());
    ASSERT_TRUE((*txn)->Commit().ok());
  }
  ASSERT_TRUE(log_.WaitUntil([&](const auto& n) { return AnyTablesAfter(n, before); }));
  const std::vector<ChangeNotice> notices = log_.Snapshot();
  EXPECT_FALSE(notices.back().everything);
  EXPECT_THAT(notices.back().tables, UnorderedElementsAre("grants", "keys"));
  EXPECT_EQ(watcher->confirmed_generation(), 1);
}

TEST_F(ChangeWatcherTest, OwnWritesAreSkipped) {
  auto watcher = WatchAsB();
  const std::size_t before = log_.Count();
  Write(*node_b_, "keys", "own");   // generation 1, node B's own
  Write(*node_a_, "grants", "g1");  // generation 2, node A's
  ASSERT_TRUE(log_.WaitUntil([&](const auto& n) { return AnyTablesAfter(n, before); }));
  const std::vector<ChangeNotice> notices = log_.Snapshot();
  ASSERT_EQ(notices.size(), before + 1);
  EXPECT_THAT(notices.back().tables, ElementsAre("grants"));
  EXPECT_EQ(watcher->confirmed_generation(), 2);
}

// A commit nobody announced (as if its notification were lost) is found by
// the generation check within one interval.
TEST_F(ChangeWatcherTest, UnannouncedCommitIsCaughtByTheGenerationCheck) {
  auto watcher = WatchAsB(/*interval=*/200ms);
  const std::size_t before = log_.Count();
  ASSERT_TRUE(pg_->AdminQuery(database_, "UPDATE cluster_generation SET generation = generation + 1").ok());
  const auto start = std::chrono::steady_clock::now();
  ASSERT_TRUE(log_.WaitUntil([&](const auto& n) { return AnyEverythingAfter(n, before); }));
  EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);
  EXPECT_EQ(watcher->confirmed_generation(), 1);
}

// A jump in the announced generations means announcements were missed.
TEST_F(ChangeWatcherTest, GenerationGapMeansEverything) {
  auto watcher = WatchAsB();
  const std::size_t before = log_.Count();
  ASSERT_TRUE(pg_->AdminQuery(database_,
                              "UPDATE cluster_generation SET generation = generation + 5; "
                              "SELECT pg_notify('coffer_changes', 'node-a 5 keys')")
                  .ok());
  ASSERT_TRUE(log_.WaitUntil([&](const auto& n) { return AnyEverythingAfter(n, before); }));
  EXPECT_FALSE(AnyTablesAfter(log_.Snapshot(), before));
  EXPECT_EQ(watcher->confirmed_generation(), 5);
}

TEST_F(ChangeWatcherTest, GarbledAnnouncementMeansEverything) {
  auto watcher = WatchAsB();
  const std::size_t before = log_.Count();
  ASSERT_TRUE(pg_->AdminQuery(database_, "SELECT pg_notify('coffer_changes', 'garbage')").ok());
  EXPECT_TRUE(log_.WaitUntil([&](const auto& n) { return AnyEverythingAfter(n, before); }));
}

// A lost listening connection: everything, then listening again.
// (A long check interval: the loss must be seen on the socket, and no check
// may race the announcement below.)
TEST_F(ChangeWatcherTest, LostConnectionMeansEverythingAndListensAgain) {
  auto watcher = WatchAsB();
  const std::size_t before = log_.Count();
  ASSERT_TRUE(pg_->AdminQuery(database_,
                              "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                              "WHERE application_name = 'coffer-changes' AND datname = current_database()")
                  .ok());
  ASSERT_TRUE(log_.WaitUntil([&](const auto& n) { return AnyEverythingAfter(n, before); }));
  // Listening again: another node's write is heard with its tables.
  const std::size_t after_loss = log_.Count();
  Write(*node_a_, "quotas", "q");
  ASSERT_TRUE(log_.WaitUntil([&](const auto& n) { return AnyTablesAfter(n, after_loss); }));
  EXPECT_THAT(log_.Snapshot().back().tables, ElementsAre("quotas"));
  EXPECT_EQ(watcher->confirmed_generation(), 1);
}

}  // namespace
}  // namespace coffer::store

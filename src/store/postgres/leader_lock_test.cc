// The sweeper's leader lock on the throwaway PostgreSQL server: one holder
// at a time, and the lock moves when the holder's session ends.
#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <string>

#include "store/postgres/test_postgres.h"
#include "store/store.h"

namespace coffer::store {
namespace {

// Polls (no sleep stands in for the server noticing a session end) until
// `lock` is held or a generous deadline passes.
bool TakenWithin(LeaderLock& lock, std::chrono::seconds limit) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    if (lock.HeldNow()) return true;
  }
  return false;
}

using LeaderLockTest = test_support::PostgresDatabaseTest;

TEST_F(LeaderLockTest, OneHolderAtATime) {
  auto a = NewPostgresSweeperLock(conninfo_);
  auto b = NewPostgresSweeperLock(conninfo_);
  EXPECT_TRUE(a->HeldNow());
  EXPECT_FALSE(b->HeldNow());
  EXPECT_TRUE(a->HeldNow());  // still held: confirmed, not taken twice
  EXPECT_FALSE(b->HeldNow());
}

TEST_F(LeaderLockTest, MovesWhenTheHolderGoes) {
  auto a = NewPostgresSweeperLock(conninfo_);
  auto b = NewPostgresSweeperLock(conninfo_);
  ASSERT_TRUE(a->HeldNow());
  ASSERT_FALSE(b->HeldNow());
  a.reset();  // the session closes with the process that held it
  EXPECT_TRUE(TakenWithin(*b, std::chrono::seconds(10)));
}

TEST_F(LeaderLockTest, HolderThatLostItsSessionNoLongerLeads) {
  auto a = NewPostgresSweeperLock(conninfo_);
  auto b = NewPostgresSweeperLock(conninfo_);
  ASSERT_TRUE(a->HeldNow());
  const auto killed =
      pg_->AdminQuery(database_,
                      "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                      "WHERE application_name = 'coffer-leader' AND datname = current_database()");
  ASSERT_TRUE(killed.ok()) << killed.status().ToString();
  ASSERT_EQ(*killed, "1");
  EXPECT_TRUE(TakenWithin(*b, std::chrono::seconds(10)));
  EXPECT_FALSE(a->HeldNow());  // reconnects, finds the lock taken
}

TEST_F(LeaderLockTest, UnreachableServerDoesNotLead) {
  auto lock = NewPostgresSweeperLock("host=127.0.0.1 port=1 user=coffer dbname=none connect_timeout=2");
  EXPECT_FALSE(lock->HeldNow());
}

}  // namespace
}  // namespace coffer::store

// The node registry on the throwaway PostgreSQL server: every heartbeating
// node is counted, a node that left or went quiet for longer than the bound is
// not, and a lost session comes back on the next heartbeat.
#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <string>

#include "store/postgres/test_postgres.h"
#include "store/store.h"

namespace coffer::store {
namespace {

constexpr std::chrono::milliseconds kStaleAfter{3000};

class NodeRegistryTest : public test_support::PostgresDatabaseTest {
 protected:
  void SetUp() override {
    PostgresDatabaseTest::SetUp();
    // The schema (cluster_nodes) comes with the store's migrations.
    ASSERT_TRUE(OpenPostgresStore({.conninfo = conninfo_}).ok());
  }
  std::unique_ptr<NodeRegistry> Node(const std::string& id) {
    return NewPostgresNodeRegistry(conninfo_, id, kStaleAfter);
  }
  int Beat(NodeRegistry& node) {
    StatusOr<int> live = node.Heartbeat();
    EXPECT_TRUE(live.ok()) << live.status().ToString();
    return live.ok() ? *live : -1;
  }
};

TEST_F(NodeRegistryTest, EveryHeartbeatingNodeIsCounted) {
  auto a = Node("a");
  auto b = Node("b");
  auto c = Node("c");
  EXPECT_EQ(Beat(*a), 1);
  EXPECT_EQ(Beat(*b), 2);
  EXPECT_EQ(Beat(*c), 3);
  EXPECT_EQ(Beat(*a), 3);  // a second beat is the same row
  EXPECT_EQ(pg_->AdminQuery(database_, "SELECT count(*) FROM cluster_nodes").value(), "3");
}

TEST_F(NodeRegistryTest, ANodeThatLeftIsNoLongerCounted) {
  auto a = Node("a");
  auto b = Node("b");
  Beat(*a);
  ASSERT_EQ(Beat(*b), 2);
  ASSERT_TRUE(b->Leave().ok());
  EXPECT_EQ(Beat(*a), 1);
}

// A node killed with kill -9 never leaves: its row ages past the bound.
TEST_F(NodeRegistryTest, ANodeQuietForLongerThanTheBoundDropsOut) {
  auto a = Node("a");
  auto b = Node("b");
  Beat(*b);
  ASSERT_EQ(Beat(*a), 2);
  ASSERT_TRUE(pg_->AdminQuery(database_,
                              "UPDATE cluster_nodes SET heartbeat_at = now() - interval '2900 milliseconds' "
                              "WHERE node_id = 'b'")
                  .ok());
  EXPECT_EQ(Beat(*a), 2);  // still within the bound
  ASSERT_TRUE(pg_->AdminQuery(database_,
                              "UPDATE cluster_nodes SET heartbeat_at = now() - interval '3100 milliseconds' "
                              "WHERE node_id = 'b'")
                  .ok());
  EXPECT_EQ(Beat(*a), 1);
  EXPECT_EQ(Beat(*b), 2);  // and counts again once it beats
}

TEST_F(NodeRegistryTest, RowsDeadForADayAreForgotten) {
  auto a = Node("a");
  Beat(*a);
  ASSERT_TRUE(pg_->AdminQuery(database_,
                              "INSERT INTO cluster_nodes VALUES ('gone', now() - interval '25 hours') "
                              "RETURNING node_id")
                  .ok());
  EXPECT_EQ(Beat(*a), 1);
  EXPECT_EQ(pg_->AdminQuery(database_, "SELECT count(*) FROM cluster_nodes WHERE node_id = 'gone'").value(),
            "0");
}

TEST_F(NodeRegistryTest, ALostSessionIsReopenedByTheNextHeartbeat) {
  auto a = Node("a");
  ASSERT_EQ(Beat(*a), 1);
  const auto killed =
      pg_->AdminQuery(database_,
                      "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                      "WHERE application_name = 'coffer-nodes' AND datname = current_database()");
  ASSERT_EQ(killed.value(), "1");
  // The first call may still find the dead session; one after it reconnects.
  StatusOr<int> first = a->Heartbeat();
  if (!first.ok()) {
    EXPECT_EQ(first.status().code(), ErrorCode::kUnavailable) << first.status().ToString();
  }
  EXPECT_EQ(Beat(*a), 1);
}

TEST_F(NodeRegistryTest, AnUnreachableServerIsUnavailable) {
  auto a = NewPostgresNodeRegistry("host=127.0.0.1 port=1 user=coffer dbname=none connect_timeout=2", "a",
                                   kStaleAfter);
  EXPECT_EQ(a->Heartbeat().status().code(), ErrorCode::kUnavailable);
}

}  // namespace
}  // namespace coffer::store

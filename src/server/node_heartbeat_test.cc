// NodeHeartbeat: the first heartbeat runs before the constructor returns (a
// node starts serving with its quota share known), a failed heartbeat keeps
// the last count, and destruction leaves the registry.
#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <mutex>
#include <vector>

#include "server/cluster.h"

namespace coffer::server {
namespace {

// A registry whose answers the test scripts. The heartbeat thread calls it
// only from the constructor here (the interval is an hour), so no test waits.
struct ScriptedRegistry final : store::NodeRegistry {
  struct Log {
    std::mutex mu;
    int beats = 0;
    int leaves = 0;
  };
  ScriptedRegistry(std::shared_ptr<Log> log, StatusOr<int> answer) : log(std::move(log)), answer(answer) {}
  StatusOr<int> Heartbeat() override {
    std::lock_guard lock(log->mu);
    ++log->beats;
    return answer;
  }
  Status Leave() override {
    std::lock_guard lock(log->mu);
    ++log->leaves;
    return Status::Ok();
  }
  std::shared_ptr<Log> log;
  StatusOr<int> answer;
};

constexpr std::chrono::hours kNeverAgain{1};

TEST(NodeHeartbeatTest, TheFirstHeartbeatSetsTheShareBeforeServing) {
  auto log = std::make_shared<ScriptedRegistry::Log>();
  std::vector<int> heard;
  {
    NodeHeartbeat heartbeat(std::make_unique<ScriptedRegistry>(log, 3), kNeverAgain,
                            [&heard](int live) { heard.push_back(live); });
    EXPECT_EQ(heard, std::vector<int>{3});
    EXPECT_EQ(log->beats, 1);
    EXPECT_EQ(log->leaves, 0);
  }
  EXPECT_EQ(log->leaves, 1);  // a clean stop leaves the registry
}

TEST(NodeHeartbeatTest, AnUnreachableDatabaseLeavesTheShareAlone) {
  auto log = std::make_shared<ScriptedRegistry::Log>();
  std::vector<int> heard;
  {
    NodeHeartbeat heartbeat(
        std::make_unique<ScriptedRegistry>(log, Status(ErrorCode::kUnavailable, "postgres is down")),
        kNeverAgain, [&heard](int live) { heard.push_back(live); });
    EXPECT_TRUE(heard.empty());
    EXPECT_EQ(log->beats, 1);
  }
  EXPECT_EQ(log->leaves, 1);
}

}  // namespace
}  // namespace coffer::server

// The blocking-work pool: FIFO start order, a bound on parallel tasks, and a
// shutdown that still runs what was queued (a queued task is a connection
// waiting for its answer).
#include "server/blocking_pool.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <future>
#include <memory>
#include <mutex>
#include <numeric>
#include <vector>

namespace coffer::server {
namespace {

using std::chrono::seconds;

TEST(BlockingPoolTest, TasksStartInTheOrderPosted) {
  std::vector<int> order;
  {
    BlockingPool pool(1);
    for (int i = 0; i < 100; ++i) pool.Post([&order, i] { order.push_back(i); });
  }
  std::vector<int> expected(100);
  std::iota(expected.begin(), expected.end(), 0);
  EXPECT_EQ(order, expected);
}

// Each task waits until all of them have started: that only ends if the pool
// runs `threads` tasks at the same time.
TEST(BlockingPoolTest, RunsAsManyTasksAtOnceAsItHasThreads) {
  constexpr int kThreads = 4;
  std::mutex mu;
  std::condition_variable cv;
  int started = 0;
  int saw_all = 0;
  {
    BlockingPool pool(kThreads);
    EXPECT_EQ(pool.threads(), static_cast<std::size_t>(kThreads));
    for (int i = 0; i < kThreads; ++i) {
      pool.Post([&] {
        std::unique_lock lock(mu);
        ++started;
        cv.notify_all();
        if (cv.wait_for(lock, seconds(30), [&] { return started == kThreads; })) ++saw_all;
      });
    }
  }
  EXPECT_EQ(saw_all, kThreads);
}

TEST(BlockingPoolTest, NeverRunsMoreTasksAtOnceThanThreads) {
  std::mutex mu;
  int running = 0;
  int most = 0;
  {
    BlockingPool pool(2);
    for (int i = 0; i < 200; ++i) {
      pool.Post([&] {
        {
          std::lock_guard lock(mu);
          most = std::max(most, ++running);
        }
        std::this_thread::yield();
        std::lock_guard lock(mu);
        --running;
      });
    }
  }
  EXPECT_GE(most, 1);
  EXPECT_LE(most, 2);
}

TEST(BlockingPoolTest, ZeroThreadsMeansOne) {
  std::promise<void> ran;
  BlockingPool pool(0);
  EXPECT_EQ(pool.threads(), 1u);
  pool.Post([&ran] { ran.set_value(); });
  EXPECT_EQ(ran.get_future().wait_for(seconds(30)), std::future_status::ready);
}

// Tasks queued behind a blocked one when the pool is destroyed still run,
// before the destructor returns, in order.
TEST(BlockingPoolTest, DestructionRunsTheTasksStillQueued) {
  auto pool = std::make_unique<BlockingPool>(1);
  std::promise<void> gate;
  std::promise<void> entered;
  std::vector<int> ran;
  pool->Post([&] {
    entered.set_value();
    gate.get_future().wait();
    ran.push_back(0);
  });
  for (int i = 1; i <= 5; ++i) pool->Post([&ran, i] { ran.push_back(i); });
  entered.get_future().wait();
  auto destroyed = std::async(std::launch::async, [&pool] { pool.reset(); });
  EXPECT_EQ(destroyed.wait_for(std::chrono::milliseconds(50)), std::future_status::timeout)
      << "the destructor returned while a task was still running";
  gate.set_value();
  destroyed.get();
  EXPECT_EQ(ran, (std::vector<int>{0, 1, 2, 3, 4, 5}));
}

}  // namespace
}  // namespace coffer::server

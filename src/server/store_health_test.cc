#include "server/store_health.h"

#include <gtest/gtest.h>

#include <atomic>
#include <future>
#include <thread>

namespace coffer::server {
namespace {

using std::chrono::milliseconds;

const TimePoint kStart = FromEpochMillis(1'700'000'000'000);

Status Down() { return Status(ErrorCode::kUnavailable, "postgres store cannot connect"); }

TEST(StoreHealth, PingsAtMostOncePerInterval) {
  FakeClock clock(kStart);
  int pings = 0;
  StoreHealth health(
      clock, [&] { return ++pings, Status::Ok(); }, milliseconds(1000));
  EXPECT_TRUE(health.Check().ok());
  EXPECT_TRUE(health.Check().ok());
  clock.Advance(milliseconds(999));
  EXPECT_TRUE(health.Check().ok());
  EXPECT_EQ(pings, 1);
  clock.Advance(milliseconds(1));
  EXPECT_TRUE(health.Check().ok());
  EXPECT_EQ(pings, 2);
}

TEST(StoreHealth, AFailureStandsForTheIntervalThenRecovers) {
  FakeClock clock(kStart);
  Status next = Down();
  int pings = 0;
  StoreHealth health(
      clock, [&] { return ++pings, next; }, milliseconds(1000));
  Status first = health.Check();
  EXPECT_EQ(first.code(), ErrorCode::kUnavailable);
  next = Status::Ok();
  clock.Advance(milliseconds(500));
  EXPECT_FALSE(health.Check().ok());  // cached
  EXPECT_EQ(pings, 1);
  clock.Advance(milliseconds(500));
  EXPECT_TRUE(health.Check().ok());
  next = Down();
  clock.Advance(milliseconds(1000));
  EXPECT_FALSE(health.Check().ok());
  EXPECT_EQ(pings, 3);
}

TEST(StoreHealth, AClockThatWentBackPingsAgain) {
  FakeClock clock(kStart);
  int pings = 0;
  StoreHealth health(
      clock, [&] { return ++pings, Status::Ok(); }, milliseconds(1000));
  EXPECT_TRUE(health.Check().ok());
  clock.Set(kStart - milliseconds(10));
  EXPECT_TRUE(health.Check().ok());
  EXPECT_EQ(pings, 2);
}

// A probe arriving while another runs a slow ping answers with the last
// result at once instead of queueing a second round trip.
TEST(StoreHealth, ConcurrentProbesShareOnePing) {
  FakeClock clock(kStart);
  std::atomic<int> pings{0};
  std::promise<void> entered;
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  bool slow = false;
  StoreHealth health(
      clock,
      [&] {
        ++pings;
        if (slow) {
          entered.set_value();
          released.wait();
          return Down();
        }
        return Status::Ok();
      },
      milliseconds(1000));
  EXPECT_TRUE(health.Check().ok());
  clock.Advance(milliseconds(1000));
  slow = true;
  std::future<Status> running = std::async(std::launch::async, [&] { return health.Check(); });
  entered.get_future().wait();
  EXPECT_TRUE(health.Check().ok());  // the previous answer, no second ping
  EXPECT_EQ(pings.load(), 2);
  release.set_value();
  EXPECT_FALSE(running.get().ok());
  EXPECT_FALSE(health.Check().ok());
  EXPECT_EQ(pings.load(), 2);
}

}  // namespace
}  // namespace coffer::server

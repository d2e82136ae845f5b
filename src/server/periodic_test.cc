#include "server/periodic.h"

#include <gtest/gtest.h>

#include <boost/asio/post.hpp>

namespace coffer::server {
namespace {

using std::chrono::milliseconds;

// The shutdown race: Stop() arrives when the timer has fired and its callback
// is already on its way, so the timer has nothing left to cancel. Stopping
// from inside the callback is that case made deterministic; without the stop
// flag the zero interval re-arms for the whole run_for bound.
TEST(Periodic, StopWhenNothingIsLeftToCancelEndsIt) {
  boost::asio::io_context io;
  int runs = 0;
  std::unique_ptr<Periodic> p;
  p = std::make_unique<Periodic>(io, milliseconds(0), [&] {
    if (++runs == 3) p->Stop();
  });
  io.run_for(std::chrono::seconds(5));  // returns as soon as nothing is armed
  EXPECT_EQ(runs, 3);
  EXPECT_TRUE(io.stopped());
}

TEST(Periodic, StopFromAnotherHandlerEndsIt) {
  boost::asio::io_context io;
  int runs = 0;
  std::unique_ptr<Periodic> p;
  p = std::make_unique<Periodic>(io, milliseconds(0), [&] {
    ++runs;
    boost::asio::post(io, [&] { p->Stop(); });
  });
  io.run_for(std::chrono::seconds(5));
  EXPECT_LE(runs, 2);
  EXPECT_TRUE(io.stopped());
}

TEST(Periodic, StopBeforeTheFirstRunMeansNoRun) {
  boost::asio::io_context io;
  int runs = 0;
  Periodic p(io, milliseconds(0), [&] { ++runs; });
  p.Stop();
  io.run_for(std::chrono::seconds(5));
  EXPECT_EQ(runs, 0);
}

}  // namespace
}  // namespace coffer::server

// The --test-clock process clock: it follows the offset file on every call,
// keeps the last good offset when the file goes bad, and is refused for a
// listener that is not loopback.
#include "server/test_clock.h"

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>

#include "common/files.h"

namespace coffer::server {
namespace {

// How far Now() is ahead of the system clock, to the nearest second (the two
// reads are microseconds apart).
std::int64_t AheadSeconds(const ProcessClock& clock) {
  const auto ahead = clock.Now() - std::chrono::system_clock::now();
  return std::chrono::round<std::chrono::seconds>(ahead).count();
}

class TestClockTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("coffer-test-clock-" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_);
    file_ = dir_ / "clock";
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  void Write(std::string_view text) { ASSERT_TRUE(WriteFileAtomically(file_, text, 0600).ok()); }

  std::filesystem::path dir_;
  std::filesystem::path file_;
};

TEST_F(TestClockTest, WithoutTheFlagItIsTheSystemClock) {
  ProcessClock clock;
  EXPECT_FALSE(clock.test_mode());
  EXPECT_EQ(AheadSeconds(clock), 0);
}

TEST_F(TestClockTest, FollowsTheOffsetFileOnEveryCall) {
  ProcessClock clock;
  ASSERT_TRUE(clock.UseOffsetFile(file_).ok());  // no file yet: offset 0
  EXPECT_TRUE(clock.test_mode());
  EXPECT_EQ(AheadSeconds(clock), 0);
  Write("901\n");
  EXPECT_EQ(AheadSeconds(clock), 901);
  Write("-30");
  EXPECT_EQ(AheadSeconds(clock), -30);
}

TEST_F(TestClockTest, KeepsTheLastGoodOffsetWhenTheFileGoesBad) {
  ProcessClock clock;
  ASSERT_TRUE(clock.UseOffsetFile(file_).ok());
  Write("3600");
  EXPECT_EQ(AheadSeconds(clock), 3600);
  Write("soon");
  EXPECT_EQ(AheadSeconds(clock), 3600);
  std::filesystem::remove(file_);
  EXPECT_EQ(AheadSeconds(clock), 3600);
}

TEST_F(TestClockTest, AnExistingFileMustHoldAnOffset) {
  Write("tomorrow");
  ProcessClock clock;
  const Status st = clock.UseOffsetFile(file_);
  EXPECT_EQ(st.code(), ErrorCode::kValidation);
  EXPECT_NE(st.message().find("does not hold an offset"), std::string::npos) << st.message();
  EXPECT_FALSE(clock.test_mode());
  EXPECT_EQ(ProcessClock().UseOffsetFile("").code(), ErrorCode::kValidation);
}

TEST_F(TestClockTest, AnAtSignStopsTheClockUntilTheFileChanges) {
  ProcessClock clock;
  ASSERT_TRUE(clock.UseOffsetFile(file_).ok());
  Write("@1700000000\n");
  const TimePoint stopped = TimePoint(std::chrono::seconds(1700000000));
  EXPECT_EQ(clock.Now(), stopped);
  EXPECT_EQ(clock.Now(), stopped);
  Write("@1700000060");
  EXPECT_EQ(clock.Now(), stopped + std::chrono::seconds(60));
  Write("0");
  EXPECT_EQ(AheadSeconds(clock), 0);
}

TEST(ClockOffsetTest, AStoppedClockNeedsANonNegativeUnixTime) {
  EXPECT_EQ(ParseClockSetting("@-1"), std::nullopt);
  EXPECT_EQ(ParseClockSetting("@"), std::nullopt);
  EXPECT_EQ(ParseClockSetting("@@5"), std::nullopt);
  ASSERT_TRUE(ParseClockSetting("@5").has_value());
  EXPECT_TRUE(ParseClockSetting("@5")->frozen);
  EXPECT_EQ(ParseClockSetting("@5")->seconds, 5);
  ASSERT_TRUE(ParseClockSetting("-5").has_value());
  EXPECT_FALSE(ParseClockSetting("-5")->frozen);
  EXPECT_EQ(ParseClockSetting("-5")->seconds, -5);
}

TEST(ClockOffsetTest, ParsesWholeSecondsOnly) {
  EXPECT_EQ(ParseClockOffset("0"), 0);
  EXPECT_EQ(ParseClockOffset("901\n"), 901);
  EXPECT_EQ(ParseClockOffset("-5 \r\n"), -5);
  EXPECT_EQ(ParseClockOffset(""), std::nullopt);
  EXPECT_EQ(ParseClockOffset("\n"), std::nullopt);
  EXPECT_EQ(ParseClockOffset("1.5"), std::nullopt);
  EXPECT_EQ(ParseClockOffset("+5"), std::nullopt);
  EXPECT_EQ(ParseClockOffset("5s"), std::nullopt);
  EXPECT_EQ(ParseClockOffset(" 5"), std::nullopt);
  EXPECT_EQ(ParseClockOffset("99999999999999999999"), std::nullopt);  // overflows int64
  EXPECT_EQ(ParseClockOffset("3162240000"), 3162240000);              // 100 years of 366 days
  EXPECT_EQ(ParseClockOffset("3162240001"), std::nullopt);
}

TEST(ClockOffsetTest, OnlyLoopbackListenersQualify) {
  EXPECT_TRUE(IsLoopbackHost("127.0.0.1"));
  EXPECT_TRUE(IsLoopbackHost("127.8.9.10"));
  EXPECT_TRUE(IsLoopbackHost("::1"));
  EXPECT_FALSE(IsLoopbackHost("0.0.0.0"));
  EXPECT_FALSE(IsLoopbackHost("::"));
  EXPECT_FALSE(IsLoopbackHost("10.0.0.1"));
  EXPECT_FALSE(IsLoopbackHost("localhost"));  // --listen takes addresses, not names
  EXPECT_FALSE(IsLoopbackHost(""));
}

}  // namespace
}  // namespace coffer::server

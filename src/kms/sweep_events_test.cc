// The sweeper tells its listener (the audit trail) about each background
// action after the change is durable, with the key it acted on.
#include <gtest/gtest.h>

#include "kms/kms_test_util.h"

namespace coffer::kms::testing {
namespace {

struct Seen {
  std::string name;
  std::string arn;
};

class SweepEventsTest : public KmsTest {
 protected:
  SweepEventsTest() {
    kms_.SetSweepListener([this](std::string_view name, const KeyRecord& record) {
      seen_.push_back(Seen{std::string(name), record.Arn()});
    });
  }
  std::vector<Seen> seen_;
};

TEST_F(SweepEventsTest, DeletionAtTheEndOfTheWindowIsReported) {
  const std::string key_id = CreateKeyId();
  MustCall("ScheduleKeyDeletion", {{"KeyId", key_id}, {"PendingWindowInDays", 7}});
  AdvanceMs(7 * kDayMs - 1);
  EXPECT_EQ(Sweep(), 0);
  EXPECT_TRUE(seen_.empty());
  AdvanceMs(2);
  EXPECT_EQ(Sweep(), 1);
  ASSERT_EQ(seen_.size(), 1u);
  EXPECT_EQ(seen_[0].name, "DeleteKey");
  EXPECT_EQ(seen_[0].arn, ArnOf(key_id));
}

TEST_F(SweepEventsTest, AutomaticRotationIsReported) {
  const std::string key_id = CreateKeyId();
  MustCall("EnableKeyRotation", {{"KeyId", key_id}, {"RotationPeriodInDays", 90}});
  AdvanceMs(91 * kDayMs);
  EXPECT_EQ(Sweep(), 1);
  ASSERT_EQ(seen_.size(), 1u);
  EXPECT_EQ(seen_[0].name, "RotateKey");
  EXPECT_EQ(seen_[0].arn, ArnOf(key_id));
  EXPECT_EQ(Sweep(), 0);  // nothing more is due
  EXPECT_EQ(seen_.size(), 1u);
}

}  // namespace
}  // namespace coffer::kms::testing

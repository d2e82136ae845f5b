// S3 request rates per partitioned prefix, on a fake clock.
#include "quota/s3_prefix_limiter.h"

#include <gtest/gtest.h>

#include "quota/rate_limiter.h"

namespace coffer::quota {
namespace {

using nlohmann::json;

class S3PrefixTest : public ::testing::Test {
 protected:
  S3PrefixTest() : clock_(std::chrono::system_clock::from_time_t(1'800'000'000)) {}
  static Status Call(RateLimiter& limiter, const std::string& method, const std::string& bucket,
                     const std::string& key) {
    const nlohmann::json body = {{"bucket", bucket}, {"key", key}, {"method", method}};
    return limiter.Admit(server::Caller{}, "us-east-1", "s3", "Op", body);
  }
  FakeClock clock_;
};

TEST(PartitionedPrefix, IsTheBucketAndTheFirstPathSegment) {
  EXPECT_EQ(PartitionedPrefix("b", "photos/2024/a.jpg"), "b/photos/");
  EXPECT_EQ(PartitionedPrefix("b", "photos/"), "b/photos/");
  EXPECT_EQ(PartitionedPrefix("b", "a.jpg"), "b/");
  EXPECT_EQ(PartitionedPrefix("b", ""), "b/");
  EXPECT_EQ(PartitionedPrefix("b", "/lead"), "b//");
}

TEST(PartitionedPrefix, WritesArePutPostDelete) {
  EXPECT_TRUE(IsS3Write("PUT"));
  EXPECT_TRUE(IsS3Write("POST"));
  EXPECT_TRUE(IsS3Write("DELETE"));
  EXPECT_FALSE(IsS3Write("GET"));
  EXPECT_FALSE(IsS3Write("HEAD"));
}

TEST_F(S3PrefixTest, DefaultsAreAwsRates) {
  RateLimiter limiter(clock_);
  for (int i = 0; i < 5500; ++i) ASSERT_TRUE(Call(limiter, "GET", "b", "k").ok()) << i;
  const Status st = Call(limiter, "HEAD", "b", "other");
  EXPECT_EQ(st.code(), ErrorCode::kThrottling);
  EXPECT_EQ(st.message(), "Please reduce your request rate.");
  for (int i = 0; i < 3500; ++i) ASSERT_TRUE(Call(limiter, "PUT", "b", "k").ok()) << i;
  EXPECT_EQ(Call(limiter, "DELETE", "b", "k").code(), ErrorCode::kThrottling);
  EXPECT_EQ(limiter.Throttled().at("s3:prefix-read"), 1u);
  EXPECT_EQ(limiter.Throttled().at("s3:prefix-write"), 1u);
}

TEST_F(S3PrefixTest, PrefixesAndBucketsHaveTheirOwnBuckets) {
  RateLimiter limiter(clock_, *QuotaConfig::FromJson({{"s3_prefix", {{"read", 2}, {"write", 1}}}}));
  EXPECT_TRUE(Call(limiter, "GET", "b", "logs/1").ok());
  EXPECT_TRUE(Call(limiter, "GET", "b", "logs/2").ok());
  EXPECT_FALSE(Call(limiter, "GET", "b", "logs/3").ok());
  EXPECT_TRUE(Call(limiter, "GET", "b", "images/1").ok());  // another prefix
  EXPECT_TRUE(Call(limiter, "GET", "c", "logs/1").ok());    // another bucket
  EXPECT_TRUE(Call(limiter, "PUT", "b", "logs/1").ok());    // writes count apart
  EXPECT_FALSE(Call(limiter, "POST", "b", "logs/1").ok());
}

TEST_F(S3PrefixTest, RefillsWithTheClock) {
  RateLimiter limiter(clock_, *QuotaConfig::FromJson({{"s3_prefix", {{"read", 5}}}}));
  for (int i = 0; i < 5; ++i) EXPECT_TRUE(Call(limiter, "GET", "b", "k").ok());
  EXPECT_FALSE(Call(limiter, "GET", "b", "k").ok());
  clock_.Advance(std::chrono::milliseconds(199));
  EXPECT_FALSE(Call(limiter, "GET", "b", "k").ok());
  clock_.Advance(std::chrono::milliseconds(1));
  EXPECT_TRUE(Call(limiter, "GET", "b", "k").ok());
  EXPECT_FALSE(Call(limiter, "GET", "b", "k").ok());
}

TEST_F(S3PrefixTest, RequestsOnNoBucketAreNotLimited) {
  RateLimiter limiter(clock_, *QuotaConfig::FromJson({{"s3_prefix", {{"read", 1}}}}));
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(Call(limiter, "GET", "", "").ok());  // ListBuckets
}

TEST_F(S3PrefixTest, ClusterNodesAdmitTheirShare) {
  RateLimiter limiter(clock_, *QuotaConfig::FromJson({{"s3_prefix", {{"read", 10}}}}));
  limiter.SetLiveNodes(2);
  for (int i = 0; i < 5; ++i) EXPECT_TRUE(Call(limiter, "GET", "b", "k").ok());
  EXPECT_FALSE(Call(limiter, "GET", "b", "k").ok());
}

TEST_F(S3PrefixTest, ConfigurationIsCheckedAndMerged) {
  EXPECT_EQ(QuotaConfig::FromJson({{"s3_prefix", {{"reads", 1}}}}).status().code(), ErrorCode::kValidation);
  EXPECT_EQ(QuotaConfig::FromJson({{"s3_prefix", {{"read", 0}}}}).status().code(), ErrorCode::kValidation);
  EXPECT_EQ(QuotaConfig::FromJson({{"s3_prefix", {{"write", "9"}}}}).status().code(), ErrorCode::kValidation);
  EXPECT_EQ(QuotaConfig::FromJson({{"s3_prefix", 5}}).status().code(), ErrorCode::kValidation);
  QuotaConfig file = *QuotaConfig::FromJson({{"s3_prefix", {{"read", 7}}}});
  file.Merge(*QuotaConfig::FromJson({{"defaults", {{"symmetric", 9}}}}));
  EXPECT_EQ(file.s3_prefix_read, 7);
  EXPECT_EQ(file.ToJson()["s3_prefix"]["read"], 7);
  EXPECT_FALSE(file.s3_prefix_write.has_value());
}

TEST_F(S3PrefixTest, IdleEntriesAreEvictedFirst) {
  S3PrefixLimiter limiter(clock_, 3);
  EXPECT_TRUE(limiter.TryTake("b/busy/", false, 1));
  EXPECT_TRUE(limiter.TryTake("b/a/", false, 100));
  EXPECT_TRUE(limiter.TryTake("b/c/", false, 100));
  clock_.Advance(std::chrono::milliseconds(100));  // a and c are full again; busy is not
  EXPECT_TRUE(limiter.TryTake("b/d/", false, 100));
  EXPECT_EQ(limiter.size(), 2u);
  EXPECT_FALSE(limiter.TryTake("b/busy/", false, 1));  // kept: still empty
}

TEST_F(S3PrefixTest, WithoutIdleEntriesTheOldestGoes) {
  S3PrefixLimiter limiter(clock_, 2);
  EXPECT_TRUE(limiter.TryTake("b/old/", false, 1));
  clock_.Advance(std::chrono::milliseconds(10));
  EXPECT_TRUE(limiter.TryTake("b/new/", false, 1));
  EXPECT_TRUE(limiter.TryTake("b/third/", false, 1));
  EXPECT_EQ(limiter.size(), 2u);
  EXPECT_FALSE(limiter.TryTake("b/new/", false, 1));  // kept
  EXPECT_EQ(limiter.size(), 2u);
}

}  // namespace
}  // namespace coffer::quota

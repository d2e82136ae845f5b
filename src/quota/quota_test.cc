// Token buckets on a fake clock, AWS's quota groups, and the configuration.
#include <gtest/gtest.h>

#include "quota/quota_groups.h"
#include "quota/quota_store.h"
#include "quota/rate_limiter.h"

namespace coffer::quota {
namespace {

using nlohmann::json;

class RateLimiterTest : public ::testing::Test {
 protected:
  RateLimiterTest() : clock_(std::chrono::system_clock::from_time_t(1'800'000'000)) {}
  Status Call(RateLimiter& limiter, const std::string& account, const std::string& op,
              const json& body = json::object()) {
    server::Caller caller;
    caller.account_id = account;
    return limiter.Admit(caller, "us-east-1", "kms", op, body);
  }
  FakeClock clock_;
};

TEST_F(RateLimiterTest, AllowsABurstOfOneSecondThenThrottles) {
  RateLimiter limiter(clock_, *QuotaConfig::FromJson({{"defaults", {{"symmetric", 3}}}}));
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(Call(limiter, "111122223333", "Encrypt").ok()) << i;
  const Status st = Call(limiter, "111122223333", "Decrypt");  // same shared quota
  EXPECT_EQ(st.code(), ErrorCode::kThrottling);
  EXPECT_EQ(st.message(),
            "You have exceeded the rate at which you may call KMS. Reduce the frequency of your calls.");
  EXPECT_EQ(limiter.Throttled().at("symmetric"), 1u);
}

TEST_F(RateLimiterTest, RefillsWithTheClock) {
  RateLimiter limiter(clock_, *QuotaConfig::FromJson({{"defaults", {{"symmetric", 2}}}}));
  EXPECT_TRUE(Call(limiter, "a", "Encrypt").ok());
  EXPECT_TRUE(Call(limiter, "a", "Encrypt").ok());
  EXPECT_FALSE(Call(limiter, "a", "Encrypt").ok());
  clock_.Advance(std::chrono::milliseconds(499));
  EXPECT_FALSE(Call(limiter, "a", "Encrypt").ok());
  clock_.Advance(std::chrono::milliseconds(2));
  EXPECT_TRUE(Call(limiter, "a", "Encrypt").ok());
  clock_.Advance(std::chrono::seconds(60));  // never more than one second of burst
  EXPECT_TRUE(Call(limiter, "a", "Encrypt").ok());
  EXPECT_TRUE(Call(limiter, "a", "Encrypt").ok());
  EXPECT_FALSE(Call(limiter, "a", "Encrypt").ok());
}

// Cluster mode: each of N nodes admits rate / N, so N nodes together admit
// the configured rate in any one second (with an even spread of requests).
TEST_F(RateLimiterTest, EachOfNLiveNodesAdmitsItsShareOfTheRate) {
  RateLimiter limiter(clock_, *QuotaConfig::FromJson({{"defaults", {{"symmetric", 10}}}}));
  limiter.SetLiveNodes(2);
  EXPECT_EQ(limiter.RateFor("a", "symmetric"), 10);  // the cluster's rate is unchanged
  int admitted = 0;
  for (int i = 0; i < 20; ++i) admitted += Call(limiter, "a", "Encrypt").ok() ? 1 : 0;
  EXPECT_EQ(admitted, 5);
  clock_.Advance(std::chrono::milliseconds(200));  // 5 per second: one more token
  EXPECT_TRUE(Call(limiter, "a", "Encrypt").ok());
  EXPECT_FALSE(Call(limiter, "a", "Encrypt").ok());
}

TEST_F(RateLimiterTest, AShareIsRecomputedWhenMembershipChanges) {
  RateLimiter limiter(clock_, *QuotaConfig::FromJson({{"defaults", {{"symmetric", 12}}}}));
  limiter.SetLiveNodes(3);
  for (int i = 0; i < 4; ++i) EXPECT_TRUE(Call(limiter, "a", "Encrypt").ok()) << i;
  EXPECT_FALSE(Call(limiter, "a", "Encrypt").ok());
  limiter.SetLiveNodes(1);  // the other two nodes dropped out
  clock_.Advance(std::chrono::seconds(1));
  int admitted = 0;
  for (int i = 0; i < 20; ++i) admitted += Call(limiter, "a", "Encrypt").ok() ? 1 : 0;
  EXPECT_EQ(admitted, 12);
  clock_.Advance(std::chrono::seconds(1));  // full again: 12 tokens
  limiter.SetLiveNodes(4);                  // a full bucket is cut down to the new capacity
  admitted = 0;
  for (int i = 0; i < 20; ++i) admitted += Call(limiter, "a", "Encrypt").ok() ? 1 : 0;
  EXPECT_EQ(admitted, 3);
}

TEST_F(RateLimiterTest, AShareNeverFallsBelowOneRequestPerSecond) {
  RateLimiter limiter(clock_, QuotaConfig{});
  limiter.SetLiveNodes(5);
  EXPECT_EQ(limiter.ShareOf(3), 1);      // 3 / 5 would starve every node
  EXPECT_EQ(limiter.ShareOf(0.5), 0.5);  // a rate below 1 is not raised
  EXPECT_EQ(limiter.ShareOf(100), 20);
  limiter.SetLiveNodes(0);  // not a node count: treated as this node alone
  EXPECT_EQ(limiter.live_nodes(), 1);
  EXPECT_EQ(limiter.ShareOf(100), 100);
}

TEST_F(RateLimiterTest, BucketsAreSeparatePerAccountRegionAndGroup) {
  RateLimiter limiter(clock_, *QuotaConfig::FromJson({{"defaults", {{"symmetric", 1}, {"CreateKey", 1}}}}));
  EXPECT_TRUE(Call(limiter, "a", "Encrypt").ok());
  EXPECT_FALSE(Call(limiter, "a", "Encrypt").ok());
  EXPECT_TRUE(Call(limiter, "b", "Encrypt").ok());
  EXPECT_TRUE(Call(limiter, "a", "CreateKey").ok());
  server::Caller caller{"a", "", "", "", ""};
  EXPECT_TRUE(limiter.Admit(caller, "eu-west-1", "kms", "Encrypt", json::object()).ok());
}

TEST_F(RateLimiterTest, PerAccountRatesOverrideTheDefaults) {
  RateLimiter limiter(clock_, *QuotaConfig::FromJson({{"defaults", {{"CreateKey", 1}}},
                                                      {"accounts", {{"b", {{"CreateKey", 3}}}}}}));
  EXPECT_EQ(limiter.RateFor("a", "CreateKey"), 1);
  EXPECT_EQ(limiter.RateFor("b", "CreateKey"), 3);
  EXPECT_EQ(limiter.RateFor("a", "ListKeys"), 100);  // AWS default
  limiter.Configure(*QuotaConfig::FromJson({{"accounts", {{"a", {{"CreateKey", 7}}}}}}));
  EXPECT_EQ(limiter.RateFor("a", "CreateKey"), 7);
}

TEST_F(RateLimiterTest, UsageShowsEachBucketsRateAndTokens) {
  RateLimiter limiter(clock_, *QuotaConfig::FromJson({{"defaults", {{"symmetric", 10}}}}));
  EXPECT_TRUE(Call(limiter, "a", "Encrypt").ok());
  const auto usage = limiter.Usage();
  ASSERT_EQ(usage.size(), 1u);
  EXPECT_EQ(usage[0].account, "a");
  EXPECT_EQ(usage[0].region, "us-east-1");
  EXPECT_EQ(usage[0].group, "symmetric");
  EXPECT_EQ(usage[0].rate, 10);
  EXPECT_DOUBLE_EQ(usage[0].available, 9);
}

TEST_F(RateLimiterTest, ParameterStoreHigherThroughputSwitchesTheGroup) {
  RateLimiter limiter(clock_, *QuotaConfig::FromJson({{"defaults", {{"ssm:GetParameter", 2}}}}));
  bool higher = false;
  limiter.SetHigherThroughputProbe(
      "ssm", [&higher](std::string_view account, std::string_view) { return higher && account == "a"; });
  server::Caller caller;
  caller.account_id = "a";
  auto get = [&](const char* op) { return limiter.Admit(caller, "us-east-1", "ssm", op, json::object()); };
  EXPECT_TRUE(get("GetParameter").ok());
  EXPECT_TRUE(get("GetParametersByPath").ok());
  const Status st = get("GetParameters");  // the three share the default 2/s here
  EXPECT_EQ(st.code(), ErrorCode::kThrottling);
  EXPECT_EQ(st.message(), "Rate exceeded");
  EXPECT_TRUE(limiter.Admit(caller, "us-east-1", "ssm", "PutParameter", json::object()).ok());
  higher = true;
  for (int i = 0; i < 50; ++i) EXPECT_TRUE(get("GetParameter").ok()) << i;
  EXPECT_EQ(limiter.Throttled().at("ssm:GetParameter"), 1u);
}

TEST(QuotaGroups, ClassifiesByOperationAndAlgorithm) {
  EXPECT_EQ(GroupFor("kms", "Encrypt", json::object()), "symmetric");
  EXPECT_EQ(GroupFor("kms", "GenerateDataKey", json::object()), "symmetric");
  EXPECT_EQ(GroupFor("kms", "GenerateMac", json::object()), "symmetric");
  EXPECT_EQ(GroupFor("kms", "GenerateRandom", json::object()), "symmetric");
  EXPECT_EQ(GroupFor("kms", "Decrypt", json{{"EncryptionAlgorithm", "RSAES_OAEP_SHA_256"}}), "rsa");
  EXPECT_EQ(GroupFor("kms", "Sign", json{{"SigningAlgorithm", "RSASSA_PSS_SHA_256"}}), "rsa");
  EXPECT_EQ(GroupFor("kms", "Sign", json{{"SigningAlgorithm", "ECDSA_SHA_384"}}), "ecc");
  EXPECT_EQ(GroupFor("kms", "Verify", json{{"SigningAlgorithm", "SM2DSA"}}), "ecc");
  EXPECT_EQ(GroupFor("kms", "DeriveSharedSecret", json::object()), "ecc");
  EXPECT_EQ(GroupFor("kms", "CreateKey", json::object()), "CreateKey");
  EXPECT_EQ(GroupFor("kms", "DescribeKey", json::object()), "DescribeKey");
  EXPECT_EQ(GroupFor("cloudtrail", "LookupEvents", json::object()), "cloudtrail:LookupEvents");
  EXPECT_EQ(GroupFor("s3", "PutObject", json::object()), "");
  // Parameter Store: one shared default group, split by the higher-throughput setting.
  EXPECT_EQ(GroupFor("ssm", "GetParameter", json::object()), "ssm:GetParameter");
  EXPECT_EQ(GroupFor("ssm", "GetParameters", json::object()), "ssm:GetParameter");
  EXPECT_EQ(GroupFor("ssm", "GetParametersByPath", json::object()), "ssm:GetParameter");
  EXPECT_EQ(GroupFor("ssm", "GetParameters", json::object(), true), "ssm:GetParameter:higher");
  EXPECT_EQ(GroupFor("ssm", "GetParametersByPath", json::object(), true), "ssm:GetParametersByPath:higher");
  EXPECT_EQ(GroupFor("ssm", "PutParameter", json::object()), "");
  EXPECT_EQ(DefaultRates().at("ssm:GetParameter"), 40);
  EXPECT_EQ(DefaultRates().at("ssm:GetParameter:higher"), 10000);
  EXPECT_EQ(DefaultRates().at("ssm:GetParametersByPath:higher"), 100);
}

TEST(QuotaGroups, DefaultsAreAwsValues) {
  const auto& d = DefaultRates();
  EXPECT_EQ(d.at("symmetric"), 5500);
  EXPECT_EQ(d.at("rsa"), 500);
  EXPECT_EQ(d.at("ecc"), 300);
  EXPECT_EQ(d.at("CreateKey"), 50);
  EXPECT_EQ(d.at("DescribeKey"), 2000);
  EXPECT_EQ(d.at("cloudtrail:LookupEvents"), 2);
}

TEST(QuotaConfig, RejectsEachBadEntry) {
  EXPECT_FALSE(QuotaConfig::FromJson(json::array()).ok());
  EXPECT_FALSE(QuotaConfig::FromJson({{"unknown", 1}}).ok());
  EXPECT_FALSE(QuotaConfig::FromJson({{"defaults", {{"NoSuchGroup", 1}}}}).ok());
  EXPECT_FALSE(QuotaConfig::FromJson({{"defaults", {{"symmetric", 0}}}}).ok());
  EXPECT_FALSE(QuotaConfig::FromJson({{"defaults", {{"symmetric", "fast"}}}}).ok());
  EXPECT_FALSE(QuotaConfig::FromJson({{"defaults", 5}}).ok());
  EXPECT_FALSE(QuotaConfig::FromJson({{"accounts", {{"a", {{"symmetric", -1}}}}}}).ok());
  EXPECT_FALSE(QuotaConfig::FromJson({{"accounts", 3}}).ok());
  auto ok = QuotaConfig::FromJson({{"defaults", {{"symmetric", 1.5}}}, {"accounts", {{"a", {{"rsa", 2}}}}}});
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(ok->defaults.at("symmetric"), 1.5);
  EXPECT_EQ(ok->accounts.at("a").at("rsa"), 2);
}

TEST(QuotaStore, StoredOverridesRoundTripAndAreValidated) {
  auto store = store::NewMemoryStore();
  EXPECT_TRUE(SetStoredQuota(*store, "", "symmetric", 10).ok());
  EXPECT_TRUE(SetStoredQuota(*store, "111122223333", "CreateKey", 2).ok());
  EXPECT_EQ(SetStoredQuota(*store, "", "Bogus", 1).code(), ErrorCode::kValidation);
  EXPECT_EQ(SetStoredQuota(*store, "", "symmetric", 0).code(), ErrorCode::kValidation);
  auto loaded = LoadStoredQuotas(*store);
  ASSERT_TRUE(loaded.ok());
  EXPECT_EQ(loaded->defaults.at("symmetric"), 10);
  EXPECT_EQ(loaded->accounts.at("111122223333").at("CreateKey"), 2);
}

}  // namespace
}  // namespace coffer::quota

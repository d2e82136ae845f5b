// The parts of Secrets Manager that need no store: passwords, SecretId
// resolution, rotation schedules and the public-policy test.
#include <gtest/gtest.h>

#include <algorithm>

#include "crypto/crypto.h"
#include "secrets/authorizer.h"
#include "secrets/ids.h"
#include "secrets/password.h"
#include "secrets/schedule.h"

namespace coffer::secrets {
namespace {

bool AnyOf(const std::string& s, std::string_view set) {
  return std::any_of(s.begin(), s.end(), [&](char c) { return set.find(c) != std::string_view::npos; });
}

TEST(RandomPasswordTest, DefaultsToThirtyTwoCharactersOfEveryType) {
  crypto::OsRandom random;
  for (int i = 0; i < 50; ++i) {
    auto p = RandomPassword(PasswordOptions{}, random);
    ASSERT_TRUE(p.ok());
    EXPECT_EQ(p->size(), 32u);
    EXPECT_TRUE(AnyOf(*p, "abcdefghijklmnopqrstuvwxyz"));
    EXPECT_TRUE(AnyOf(*p, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"));
    EXPECT_TRUE(AnyOf(*p, "0123456789"));
    EXPECT_TRUE(AnyOf(*p, kPunctuation));
    EXPECT_FALSE(AnyOf(*p, " "));
  }
}

TEST(RandomPasswordTest, HonoursEveryExclusionAndIncludeSpace) {
  crypto::OsRandom random;
  PasswordOptions o;
  o.length = 4096;
  o.exclude_punctuation = true;
  o.exclude_uppercase = true;
  o.exclude_characters = "abc";
  o.include_space = true;
  auto p = RandomPassword(o, random);
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->size(), 4096u);
  EXPECT_FALSE(AnyOf(*p, kPunctuation));
  EXPECT_FALSE(AnyOf(*p, "ABCDEFGHIJKLMNOPQRSTUVWXYZabc"));
  EXPECT_TRUE(AnyOf(*p, " "));
  EXPECT_TRUE(AnyOf(*p, "0123456789"));
}

TEST(RandomPasswordTest, RefusesOptionsThatLeaveNothingOrTooShort) {
  crypto::OsRandom random;
  PasswordOptions none;
  none.exclude_lowercase = none.exclude_uppercase = none.exclude_numbers = none.exclude_punctuation = true;
  EXPECT_EQ(RandomPassword(none, random).status().type(), "InvalidParameterException");
  PasswordOptions short_one;
  short_one.length = 3;  // four required types
  EXPECT_EQ(RandomPassword(short_one, random).status().type(), "InvalidParameterException");
  short_one.require_each_included_type = false;
  EXPECT_TRUE(RandomPassword(short_one, random).ok());
  PasswordOptions zero;
  zero.length = 0;
  EXPECT_EQ(RandomPassword(zero, random).status().type(), "InvalidParameterException");
}

TEST(SecretIdTest, NamesFullAndPartialArns) {
  const std::string arn = "arn:aws:secretsmanager:us-east-1:111122223333:secret:db/pass-AbC123";
  auto full = LookupsFor(arn, "999999999999", "us-east-1");
  ASSERT_EQ(full.size(), 2u);
  EXPECT_EQ(full[0].account, "111122223333");
  EXPECT_EQ(full[0].name, "db/pass");
  EXPECT_EQ(full[0].exact_arn, arn);
  EXPECT_EQ(full[1].name, "db/pass-AbC123");  // a name that itself ends so
  auto partial = LookupsFor("arn:aws:secretsmanager:us-east-1:111122223333:secret:db/pass", "x", "us-east-1");
  ASSERT_EQ(partial.size(), 1u);
  EXPECT_EQ(partial[0].name, "db/pass");
  EXPECT_TRUE(partial[0].exact_arn.empty());
  auto by_name = LookupsFor("db/pass", "111122223333", "us-east-1");
  ASSERT_EQ(by_name.size(), 1u);
  EXPECT_EQ(by_name[0].account, "111122223333");
  EXPECT_TRUE(LookupsFor(arn, "x", "eu-west-1").empty());  // another region's ARN
}

TEST(SecretIdTest, NameRulesAndSuffix) {
  EXPECT_TRUE(ValidSecretName("prod/db_user+1=a.b@c-d"));
  EXPECT_FALSE(ValidSecretName(""));
  EXPECT_FALSE(ValidSecretName("has space"));
  EXPECT_FALSE(ValidSecretName(std::string(513, 'a')));
  crypto::OsRandom random;
  auto suffix = NewArnSuffix(random);
  ASSERT_TRUE(suffix.ok());
  EXPECT_EQ(suffix->size(), 6u);
}

constexpr std::int64_t kDayMs = 24LL * 3600 * 1000;
constexpr std::int64_t k2026_01_01 = 1767225600000LL;  // Thursday 00:00 UTC

TEST(ScheduleTest, RatesAndDays) {
  EXPECT_EQ(Schedule::EveryDays(30).Next(k2026_01_01), k2026_01_01 + 30 * kDayMs);
  auto hours = Schedule::Parse("rate(4 hours)");
  ASSERT_TRUE(hours.ok());
  EXPECT_EQ(hours->Next(k2026_01_01), k2026_01_01 + 4 * 3600 * 1000);
  EXPECT_FALSE(Schedule::Parse("rate(3 hours)").ok());
  EXPECT_FALSE(Schedule::Parse("rate(1001 days)").ok());
  EXPECT_FALSE(Schedule::Parse("rate(5 minutes)").ok());
  EXPECT_FALSE(Schedule::Parse("every day").ok());
}

TEST(ScheduleTest, CronFindsTheNextMatchingMinute) {
  // 08:00 UTC on Mondays: the first after Thursday 2026-01-01 is 2026-01-05.
  auto monday = Schedule::Parse("cron(0 8 ? * MON *)");
  ASSERT_TRUE(monday.ok());
  EXPECT_EQ(monday->Next(k2026_01_01), k2026_01_01 + 4 * kDayMs + 8 * 3600 * 1000);
  auto first = Schedule::Parse("cron(30 2 1 * ? *)");  // 02:30 on the 1st
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(first->Next(k2026_01_01), k2026_01_01 + 2 * 3600 * 1000 + 30 * 60 * 1000);
  EXPECT_FALSE(Schedule::Parse("cron(0 8 1 * MON *)").ok());  // both day fields
  EXPECT_FALSE(Schedule::Parse("cron(0 25 ? * * *)").ok());
  EXPECT_FALSE(Schedule::Parse("cron(0 8 ? *)").ok());
}

TEST(PublicPolicyTest, WildcardPrincipalIsPublicUnlessPinned) {
  auto open = ParseResourcePolicy(R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*",
      "Action":"secretsmanager:GetSecretValue","Resource":"*"}]})");
  ASSERT_TRUE(open.ok());
  EXPECT_TRUE(GrantsPublicAccess(*open));
  auto pinned = ParseResourcePolicy(R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*",
      "Action":"secretsmanager:GetSecretValue","Resource":"*",
      "Condition":{"StringEquals":{"aws:PrincipalAccount":"111122223333"}}}]})");
  ASSERT_TRUE(pinned.ok());
  EXPECT_FALSE(GrantsPublicAccess(*pinned));
  auto account = ParseResourcePolicy(R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow",
      "Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"secretsmanager:*","Resource":"*"}]})");
  ASSERT_TRUE(account.ok());
  EXPECT_FALSE(GrantsPublicAccess(*account));
  EXPECT_EQ(ParseResourcePolicy("{not json").status().code(), ErrorCode::kMalformedPolicyDocument);
}

}  // namespace
}  // namespace coffer::secrets

// The decision-cache key: built by the same filler as the policy::Request,
// it must change with every condition input, and crafted values must not be
// able to make two different requests look the same.
#include <gtest/gtest.h>

#include "kms/authorizer.h"
#include "kms/service.h"

namespace coffer::kms {
namespace {

KeyRecord Key() {
  KeyRecord key;
  key.key_id = "1234abcd-12ab-34cd-56ef-1234567890ab";
  key.account = "111122223333";
  key.region = "us-east-1";
  key.tags = {{"team", "blue"}};
  return key;
}

RequestContext Context(const Json* body) {
  RequestContext ctx;
  ctx.account = "111122223333";
  ctx.region = "us-east-1";
  ctx.principal_arn = "arn:aws:iam::111122223333:user/bob";
  ctx.action = "kms:Encrypt";
  ctx.who.caller.arn = ctx.principal_arn;
  ctx.who.caller.account = ctx.account;
  ctx.who.secure_transport = true;
  ctx.who.source_ip = "10.0.0.1";
  ctx.request = body;
  return ctx;
}

std::string KeyOf(const RequestContext& ctx, const KeyRecord& key) {
  DecisionKeySink sink(ctx.action);
  FillRequest(ctx, &key, std::nullopt, sink);
  return sink.text();
}

TEST(DecisionKey, ChangesWithEveryConditionInput) {
  const Json body = {{"KeyId", "alias/app"}, {"EncryptionContext", {{"dept", "x"}}}};
  const KeyRecord key = Key();
  const std::string base = KeyOf(Context(&body), key);
  EXPECT_EQ(KeyOf(Context(&body), key), base);  // deterministic

  const Json other_value = {{"KeyId", "alias/app"}, {"EncryptionContext", {{"dept", "y"}}}};
  const Json other_alias = {{"KeyId", "alias/other"}, {"EncryptionContext", {{"dept", "x"}}}};
  const Json with_alg = {{"KeyId", "alias/app"},
                         {"EncryptionContext", {{"dept", "x"}}},
                         {"EncryptionAlgorithm", "SYMMETRIC_DEFAULT"}};
  EXPECT_NE(KeyOf(Context(&other_value), key), base);
  EXPECT_NE(KeyOf(Context(&other_alias), key), base);
  EXPECT_NE(KeyOf(Context(&with_alg), key), base);

  RequestContext plain = Context(&body);
  plain.who.secure_transport = false;
  EXPECT_NE(KeyOf(plain, key), base);
  RequestContext ip = Context(&body);
  ip.who.source_ip = "10.0.0.2";
  EXPECT_NE(KeyOf(ip, key), base);
  RequestContext decrypt = Context(&body);
  decrypt.action = "kms:Decrypt";
  EXPECT_NE(KeyOf(decrypt, key), base);
  RequestContext alice = Context(&body);
  alice.who.caller.arn = "arn:aws:iam::111122223333:user/alice";
  EXPECT_NE(KeyOf(alice, key), base);

  KeyRecord retagged = Key();
  retagged.tags["team"] = "red";
  EXPECT_NE(KeyOf(Context(&body), retagged), base);
  KeyRecord other_key = Key();
  other_key.key_id = "0000abcd-12ab-34cd-56ef-1234567890ab";
  EXPECT_NE(KeyOf(Context(&body), other_key), base);
}

// A value carrying what looks like the next field must not collide with a
// request that really has that field.
TEST(DecisionKey, FieldsCannotBeForgedInsideValues) {
  const KeyRecord key = Key();
  const Json two = {{"EncryptionContext", {{"a", "x"}, {"b", "y"}}}};
  const std::string two_key = KeyOf(Context(&two), key);
  for (const std::string& forged : {std::string("x\x1f") + "kms:EncryptionContext:b\x1ey",
                                    std::string("1:x23:kms:EncryptionContext:b1:y"),
                                    std::string("x") + "23:kms:EncryptionContext:b1:y"}) {
    const Json one = {{"EncryptionContext", {{"a", forged}}}};
    EXPECT_NE(KeyOf(Context(&one), key), two_key) << forged;
  }
}

// The time keys are left out of the cache key (decisions of policies that
// read the time are not cached at all) but are in the evaluated request.
TEST(DecisionKey, TimeKeysOnlyInTheEvaluatedRequest) {
  const Json body = Json::object();
  const KeyRecord key = Key();
  const std::string text = KeyOf(Context(&body), key);
  EXPECT_EQ(text.find("CurrentTime"), std::string::npos);
  const policy::Request r = BuildRequest(Context(&body), &key, std::chrono::system_clock::from_time_t(0));
  ASSERT_NE(r.keys.Find("aws:CurrentTime"), nullptr);
  EXPECT_EQ(r.keys.Find("aws:CurrentTime")->at(0), "1970-01-01T00:00:00Z");
  EXPECT_EQ(r.keys.Find("aws:EpochTime")->at(0), "0");
  EXPECT_EQ(r.resource, key.Arn());
  EXPECT_EQ(r.action, "kms:Encrypt");
}

}  // namespace
}  // namespace coffer::kms

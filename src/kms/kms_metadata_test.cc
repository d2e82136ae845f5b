// What customers attach to keys: aliases, tags and the key policy.
#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

#include "kms/kms_test_util.h"

namespace coffer::kms::testing {
namespace {

using MetadataTest = KmsTest;

Json TagList(int count, std::string_view prefix = "key-") {
  Json tags = Json::array();
  for (int i = 0; i < count; ++i) {
    tags.push_back(
        {{"TagKey", std::string(prefix) + std::to_string(i)}, {"TagValue", "v" + std::to_string(i)}});
  }
  return tags;
}

class MetadataPagingTest : public KmsTest {
 protected:
  // Follows NextMarker until Truncated is false; returns each page's `member`.
  std::vector<Json> Pages(std::string_view op, Json request, std::string_view member) {
    std::vector<Json> pages;
    for (int i = 0; i < 20; ++i) {
      auto page = Call(op, request);
      EXPECT_TRUE(page.ok()) << page.status().ToString();
      if (!page.ok()) return pages;
      pages.push_back((*page)[std::string(member)]);
      if (!(*page)["Truncated"].get<bool>()) {
        EXPECT_FALSE(page->contains("NextMarker"));
        return pages;
      }
      request["Marker"] = (*page)["NextMarker"];
    }
    ADD_FAILURE() << op << " pagination did not end";
    return pages;
  }
};

// ---- aliases ----

TEST_F(MetadataTest, CreateAliasNamesTheKey) {
  const std::string key_id = CreateKeyId();
  MustCall("CreateAlias", {{"AliasName", "alias/payroll"}, {"TargetKeyId", ArnOf(key_id)}});
  EXPECT_EQ(Describe("alias/payroll")["KeyId"], key_id);
  const Json aliases = MustCall("ListAliases", Json::object())["Aliases"];
  ASSERT_EQ(aliases.size(), 1u);
  EXPECT_EQ(aliases[0]["AliasName"], "alias/payroll");
  EXPECT_EQ(aliases[0]["AliasArn"], "arn:aws:kms:us-east-1:111122223333:alias/payroll");
  EXPECT_EQ(aliases[0]["TargetKeyId"], key_id);
  EXPECT_DOUBLE_EQ(aliases[0]["CreationDate"].get<double>(), static_cast<double>(kStartMs) / 1000.0);
}

TEST_F(MetadataTest, CreateAliasRefusesANameInUse) {
  const std::string first = CreateKeyId();
  const std::string second = CreateKeyId();
  MustCall("CreateAlias", {{"AliasName", "alias/app"}, {"TargetKeyId", first}});
  EXPECT_EQ(CodeOf(Call("CreateAlias", {{"AliasName", "alias/app"}, {"TargetKeyId", second}})),
            ErrorCode::kAlreadyExists);
  EXPECT_EQ(Describe("alias/app")["KeyId"], first);
}

// AWS: a name without the "alias/" prefix is a ValidationException; the
// reserved alias/aws/ prefix is an InvalidAliasNameException.
TEST_F(MetadataTest, AliasNamesMustStartWithAliasSlash) {
  const std::string key_id = CreateKeyId();
  for (const std::string name : {"app", "alias/", "Alias/app"}) {
    EXPECT_EQ(CodeOf(Call("CreateAlias", {{"AliasName", name}, {"TargetKeyId", key_id}})),
              ErrorCode::kValidation)
        << name;
    EXPECT_EQ(CodeOf(Call("UpdateAlias", {{"AliasName", name}, {"TargetKeyId", key_id}})),
              ErrorCode::kValidation)
        << name;
    EXPECT_EQ(CodeOf(Call("DeleteAlias", {{"AliasName", name}})), ErrorCode::kValidation) << name;
  }
}

TEST_F(MetadataTest, TheAwsAliasPrefixIsReserved) {
  const std::string key_id = CreateKeyId();
  const std::string name = "alias/aws/app";
  EXPECT_EQ(CodeOf(Call("CreateAlias", {{"AliasName", name}, {"TargetKeyId", key_id}})),
            ErrorCode::kInvalidAliasName);
  EXPECT_EQ(CodeOf(Call("UpdateAlias", {{"AliasName", name}, {"TargetKeyId", key_id}})),
            ErrorCode::kInvalidAliasName);
  EXPECT_EQ(CodeOf(Call("DeleteAlias", {{"AliasName", name}})), ErrorCode::kInvalidAliasName);
}

TEST_F(MetadataTest, AliasTargetsMustBeExistingKeysNamedByIdOrArn) {
  const std::string key_id = CreateKeyId();
  MustCall("CreateAlias", {{"AliasName", "alias/app"}, {"TargetKeyId", key_id}});
  EXPECT_EQ(CodeOf(Call("CreateAlias", {{"AliasName", "alias/other"}, {"TargetKeyId", "alias/app"}})),
            ErrorCode::kNotFound);
  EXPECT_EQ(CodeOf(Call("CreateAlias", {{"AliasName", "alias/other"},
                                        {"TargetKeyId", "00000000-0000-4000-8000-000000000000"}})),
            ErrorCode::kNotFound);
  EXPECT_EQ(CodeOf(Call("CreateAlias", {{"AliasName", "alias/other"},
                                        {"TargetKeyId", KeyArn(kRegion, kOtherAccount, key_id)}})),
            ErrorCode::kAccessDenied);
}

TEST_F(MetadataTest, UpdateAndDeleteOfAMissingAliasAreNotFound) {
  const std::string key_id = CreateKeyId();
  EXPECT_EQ(CodeOf(Call("UpdateAlias", {{"AliasName", "alias/missing"}, {"TargetKeyId", key_id}})),
            ErrorCode::kNotFound);
  EXPECT_EQ(CodeOf(Call("DeleteAlias", {{"AliasName", "alias/missing"}})), ErrorCode::kNotFound);
}

TEST_F(MetadataTest, UpdateAliasRepointsAndRecordsTheTime) {
  const std::string first = CreateKeyId();
  const std::string second = CreateKeyId();
  MustCall("CreateAlias", {{"AliasName", "alias/app"}, {"TargetKeyId", first}});
  AdvanceMs(5000);
  MustCall("UpdateAlias", {{"AliasName", "alias/app"}, {"TargetKeyId", second}});
  const Json alias = MustCall("ListAliases", Json::object())["Aliases"][0];
  EXPECT_EQ(alias["TargetKeyId"], second);
  EXPECT_DOUBLE_EQ(alias["CreationDate"].get<double>(), static_cast<double>(kStartMs) / 1000.0);
  EXPECT_DOUBLE_EQ(alias["LastUpdatedDate"].get<double>(), static_cast<double>(kStartMs + 5000) / 1000.0);
}

TEST_F(MetadataPagingTest, ListAliasesPagesWithLimitAndMarker) {
  const std::string key_id = CreateKeyId();
  std::set<std::string> created;
  for (int i = 0; i < 5; ++i) {
    const std::string name = "alias/a" + std::to_string(i);
    MustCall("CreateAlias", {{"AliasName", name}, {"TargetKeyId", key_id}});
    created.insert(name);
  }
  std::set<std::string> listed;
  std::vector<std::size_t> sizes;
  for (const Json& page : Pages("ListAliases", {{"Limit", 2}}, "Aliases")) {
    sizes.push_back(page.size());
    for (const Json& alias : page) EXPECT_TRUE(listed.insert(alias["AliasName"].get<std::string>()).second);
  }
  EXPECT_EQ(listed, created);
  EXPECT_EQ(sizes, (std::vector<std::size_t>{2, 2, 1}));
}

TEST_F(MetadataPagingTest, ListAliasesByKeyIdShowsOnlyThatKeysAliases) {
  const std::string mine = CreateKeyId();
  const std::string other = CreateKeyId();
  for (const std::string name : {"alias/m1", "alias/m2", "alias/m3"}) {
    MustCall("CreateAlias", {{"AliasName", name}, {"TargetKeyId", mine}});
  }
  MustCall("CreateAlias", {{"AliasName", "alias/o1"}, {"TargetKeyId", other}});
  std::vector<std::string> listed;
  for (const Json& page : Pages("ListAliases", {{"KeyId", mine}, {"Limit", 2}}, "Aliases")) {
    EXPECT_LE(page.size(), 2u);
    for (const Json& alias : page) {
      EXPECT_EQ(alias["TargetKeyId"], mine);
      listed.push_back(alias["AliasName"].get<std::string>());
    }
  }
  EXPECT_EQ(listed, (std::vector<std::string>{"alias/m1", "alias/m2", "alias/m3"}));
  EXPECT_EQ(MustCall("ListAliases", {{"KeyId", ArnOf(other)}})["Aliases"].size(), 1u);
}

TEST_F(MetadataTest, ListAliasesByUnknownKeyIsNotFoundAndABadMarkerIsRejected) {
  EXPECT_EQ(CodeOf(Call("ListAliases", {{"KeyId", "00000000-0000-4000-8000-000000000000"}})),
            ErrorCode::kNotFound);
  EXPECT_EQ(CodeOf(Call("ListAliases", {{"Marker", "***"}})), ErrorCode::kInvalidMarker);
}

// ---- tags ----

TEST_F(MetadataTest, TagsGivenAtCreationAreListedInKeyOrder) {
  const std::string key_id = CreateKeyId(
      {{"Tags", {{{"TagKey", "team"}, {"TagValue", "core"}}, {{"TagKey", "env"}, {"TagValue", "prod"}}}}});
  const Json listed = MustCall("ListResourceTags", {{"KeyId", key_id}});
  EXPECT_EQ(listed["Tags"], Json::array({{{"TagKey", "env"}, {"TagValue", "prod"}},
                                         {{"TagKey", "team"}, {"TagValue", "core"}}}));
  EXPECT_EQ(listed["Truncated"], false);
}

TEST_F(MetadataTest, TagResourceAddsAndOverwritesAndUntagResourceRemoves) {
  const std::string key_id = CreateKeyId({{"Tags", {{{"TagKey", "env"}, {"TagValue", "dev"}}}}});
  MustCall("TagResource",
           {{"KeyId", key_id},
            {"Tags", {{{"TagKey", "env"}, {"TagValue", "prod"}}, {{"TagKey", "team"}, {"TagValue", "x"}}}}});
  EXPECT_EQ(
      MustCall("ListResourceTags", {{"KeyId", key_id}})["Tags"],
      Json::array({{{"TagKey", "env"}, {"TagValue", "prod"}}, {{"TagKey", "team"}, {"TagValue", "x"}}}));
  MustCall("UntagResource", {{"KeyId", key_id}, {"TagKeys", {"env", "absent"}}});
  EXPECT_EQ(MustCall("ListResourceTags", {{"KeyId", key_id}})["Tags"],
            Json::array({{{"TagKey", "team"}, {"TagValue", "x"}}}));
}

TEST_F(MetadataTest, TagKeysWithTheAwsPrefixAreReservedInEveryLetterCase) {
  const std::string key_id = CreateKeyId();
  for (const char* spelling : {"aws:createdBy", "AWS:team", "Aws:team", "aWs:team", "awS:team"}) {
    const Json reserved = {{{"TagKey", spelling}, {"TagValue", "me"}}};
    EXPECT_EQ(CodeOf(Call("CreateKey", {{"Tags", reserved}})), ErrorCode::kTag) << spelling;
    EXPECT_EQ(CodeOf(Call("TagResource", {{"KeyId", key_id}, {"Tags", reserved}})), ErrorCode::kTag)
        << spelling;
  }
  EXPECT_TRUE(MustCall("ListResourceTags", {{"KeyId", key_id}})["Tags"].empty());
}

TEST_F(MetadataTest, DuplicateTagKeysInOneRequestAreRejected) {
  const Json duplicated = {{{"TagKey", "env"}, {"TagValue", "a"}}, {{"TagKey", "env"}, {"TagValue", "b"}}};
  EXPECT_EQ(CodeOf(Call("CreateKey", {{"Tags", duplicated}})), ErrorCode::kTag);
}

TEST_F(MetadataTest, AKeyHoldsAtMostFiftyTags) {
  EXPECT_EQ(CodeOf(Call("CreateKey", {{"Tags", TagList(51)}})), ErrorCode::kLimitExceeded);
  const std::string key_id = CreateKeyId({{"Tags", TagList(50)}});
  EXPECT_EQ(CodeOf(Call("TagResource", {{"KeyId", key_id}, {"Tags", TagList(1, "extra-")}})),
            ErrorCode::kLimitExceeded);
  // Overwriting an existing tag does not count against the limit.
  EXPECT_EQ(CodeOf(Call("TagResource", {{"KeyId", key_id}, {"Tags", TagList(1)}})), ErrorCode::kOk);
  EXPECT_EQ(MustCall("ListResourceTags", {{"KeyId", key_id}})["Tags"].size(), 50u);
}

TEST_F(MetadataPagingTest, ListResourceTagsPagesWithLimitAndMarker) {
  const std::string key_id = CreateKeyId({{"Tags", TagList(5)}});
  Json listed = Json::array();
  std::vector<std::size_t> sizes;
  for (const Json& page : Pages("ListResourceTags", {{"KeyId", key_id}, {"Limit", 2}}, "Tags")) {
    sizes.push_back(page.size());
    for (const Json& tag : page) listed.push_back(tag);
  }
  EXPECT_EQ(listed, TagList(5));
  EXPECT_EQ(sizes, (std::vector<std::size_t>{2, 2, 1}));
  EXPECT_EQ(CodeOf(Call("ListResourceTags", {{"KeyId", key_id}, {"Marker", "***"}})),
            ErrorCode::kInvalidMarker);
}

TEST_F(MetadataTest, TagsOfKeysPendingDeletionCannotChange) {
  const std::string key_id = CreateKeyId();
  MustCall("ScheduleKeyDeletion", {{"KeyId", key_id}, {"PendingWindowInDays", 7}});
  EXPECT_EQ(CodeOf(Call("TagResource", {{"KeyId", key_id}, {"Tags", TagList(1)}})), ErrorCode::kInvalidState);
  EXPECT_EQ(CodeOf(Call("UntagResource", {{"KeyId", key_id}, {"TagKeys", {"key-0"}}})),
            ErrorCode::kInvalidState);
}

// ---- key policy ----

TEST_F(MetadataTest, DefaultPolicyGivesTheAccountRootEveryKmsAction) {
  const std::string key_id = CreateKeyId();
  const Json response = MustCall("GetKeyPolicy", {{"KeyId", key_id}, {"PolicyName", "default"}});
  EXPECT_EQ(response["PolicyName"], "default");
  const Json policy = Json::parse(response["Policy"].get<std::string>());
  ASSERT_TRUE(policy["Statement"].is_array());
  ASSERT_EQ(policy["Statement"].size(), 1u);
  const Json& statement = policy["Statement"][0];
  EXPECT_EQ(statement["Effect"], "Allow");
  EXPECT_EQ(statement["Principal"]["AWS"], "arn:aws:iam::111122223333:root");
  EXPECT_EQ(statement["Action"], "kms:*");
  EXPECT_EQ(statement["Resource"], "*");
  EXPECT_EQ(MustCall("ListKeyPolicies", {{"KeyId", key_id}})["PolicyNames"], Json::array({"default"}));
}

TEST_F(MetadataTest, PutKeyPolicyReplacesThePolicy) {
  const std::string key_id = CreateKeyId();
  const std::string policy =
      R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"*"},)"
      R"("Action":"kms:Decrypt","Resource":"*"}]})";
  MustCall("PutKeyPolicy", {{"KeyId", key_id}, {"PolicyName", "default"}, {"Policy", policy}});
  EXPECT_EQ(MustCall("GetKeyPolicy", {{"KeyId", key_id}})["Policy"], policy);
}

TEST_F(MetadataTest, MalformedPoliciesAreRejected) {
  const std::string key_id = CreateKeyId();
  for (const std::string bad : {"{not json", "[]", R"({"Version":"2012-10-17"})", R"({"Statement":"all"})"}) {
    EXPECT_EQ(CodeOf(Call("PutKeyPolicy", {{"KeyId", key_id}, {"Policy", bad}})),
              ErrorCode::kMalformedPolicyDocument)
        << bad;
    EXPECT_EQ(CodeOf(Call("CreateKey", {{"Policy", bad}})), ErrorCode::kMalformedPolicyDocument) << bad;
  }
  EXPECT_EQ(MustCall("GetKeyPolicy", {{"KeyId", key_id}})["Policy"], DefaultKeyPolicy(kAccount));
}

// A well-formed policy of exactly `size` bytes.
std::string PolicyOfSize(std::size_t size) {
  const std::string head =
      R"({"Statement":[{"Effect":"Allow","Principal":"*","Action":"kms:*","Resource":"*","Sid":")";
  const std::string tail = R"("}]})";
  return head + std::string(size - head.size() - tail.size(), 'x') + tail;
}

TEST_F(MetadataTest, PoliciesAreLimitedTo32KiB) {
  const std::string key_id = CreateKeyId();
  ASSERT_EQ(PolicyOfSize(32768).size(), 32768u);
  EXPECT_EQ(CodeOf(Call("PutKeyPolicy", {{"KeyId", key_id}, {"Policy", PolicyOfSize(32768)}})),
            ErrorCode::kOk);
  EXPECT_EQ(CodeOf(Call("PutKeyPolicy", {{"KeyId", key_id}, {"Policy", PolicyOfSize(32769)}})),
            ErrorCode::kLimitExceeded);
  EXPECT_EQ(CodeOf(Call("PutKeyPolicy", {{"KeyId", key_id}, {"Policy", PolicyOfSize(40 * 1024)}})),
            ErrorCode::kLimitExceeded);
  EXPECT_EQ(CodeOf(Call("CreateKey", {{"Policy", PolicyOfSize(40 * 1024)}})), ErrorCode::kLimitExceeded);
}

TEST_F(MetadataTest, OnlyThePolicyNamedDefaultExists) {
  const std::string key_id = CreateKeyId();
  EXPECT_EQ(CodeOf(Call("GetKeyPolicy", {{"KeyId", key_id}, {"PolicyName", "custom"}})),
            ErrorCode::kNotFound);
  EXPECT_EQ(
      CodeOf(Call("PutKeyPolicy",
                  {{"KeyId", key_id}, {"PolicyName", "custom"}, {"Policy", DefaultKeyPolicy(kAccount)}})),
      ErrorCode::kNotFound);
}

}  // namespace
}  // namespace coffer::kms::testing

// s3:ExistingObjectTag/<key>: the addressed object's tags decide identity
// policies, loaded only when a policy in play reads the key.
#include "s3/existing_tags.h"

#include <gtest/gtest.h>

#include <pugixml.hpp>

#include "policy/identity_source.h"
#include "s3/ops.h"
#include "s3/s3_test_util.h"
#include "s3/xml.h"

namespace coffer::s3 {
namespace {

using testing::CodeOf;

// AdministratorAccess until a test gives the caller its own policies.
class TagIdentities final : public policy::IdentityPolicySource {
 public:
  StatusOr<std::vector<policy::NamedPolicy>> PoliciesFor(const policy::CallerInfo&) override {
    if (policies.empty()) return std::vector<policy::NamedPolicy>{{"admin", policy::AdministratorAccess()}};
    return policies;
  }
  std::uint64_t Generation() const override { return 0; }
  std::vector<policy::NamedPolicy> policies;
};

std::shared_ptr<const policy::Policy> MustParse(const std::string& text) {
  auto parsed = policy::Parse(text, policy::ParseOptions{});
  EXPECT_TRUE(parsed.ok()) << parsed.status().ToString();
  return parsed.ok() ? std::make_shared<const policy::Policy>(std::move(*parsed)) : nullptr;
}

// One statement on s3:GetObject and s3:GetObjectTagging with `condition`.
std::shared_ptr<const policy::Policy> ReadPolicy(const std::string& effect, const std::string& condition) {
  return MustParse(R"({"Version":"2012-10-17","Statement":[{"Effect":")" + effect +
                   R"(","Action":["s3:GetObject","s3:GetObjectTagging"],"Resource":"arn:aws:s3:::bkt/*",)"
                   R"("Condition":)" +
                   condition + "}]}");
}

class ExistingObjectTagTest : public testing::S3Fixture<TagIdentities> {
 protected:
  void SetUp() override {
    ASSERT_TRUE(CreateBucket(*s3_, Req("CreateBucket", "bkt")).ok());
    Put("public", "classification=public");
    Put("secret", "classification=secret");
    Put("plain", "");
  }

  static S3Request Req(std::string op, std::string bucket, std::string key = "",
                       std::vector<auth::Header> headers = {}) {
    return testing::MakeRequest(std::move(op), std::move(bucket), std::move(key), std::move(headers));
  }

  void Put(const std::string& key, const std::string& tagging) {
    std::vector<auth::Header> headers;
    if (!tagging.empty()) headers.emplace_back("x-amz-tagging", tagging);
    auto sink = PutObject(*s3_, Req("PutObject", "bkt", key, std::move(headers)));
    ASSERT_TRUE(sink.ok()) << sink.status().ToString();
    ASSERT_TRUE((*sink)->Write("body").ok());
    auto done = (*sink)->Finish("");
    ASSERT_TRUE(done.ok()) << done.status().ToString();
  }

  // "" when GetObject is allowed, else the error code.
  std::string Read(const std::string& key) { return CodeOf(GetObject(*s3_, Req("GetObject", "bkt", key))); }

  void Only(std::shared_ptr<const policy::Policy> p) { identities_.policies = {{"custom", std::move(p)}}; }
};

TEST_F(ExistingObjectTagTest, StringEqualsAllowsOnlyTheMatchingTag) {
  Only(ReadPolicy("Allow", R"({"StringEquals":{"s3:ExistingObjectTag/classification":"public"}})"));
  EXPECT_EQ(Read("public"), "");
  EXPECT_EQ(Read("secret"), "AccessDenied");
  EXPECT_EQ(Read("plain"), "AccessDenied");  // no tag: StringEquals does not match
  EXPECT_EQ(CodeOf(GetObjectTagging(*s3_, Req("GetObjectTagging", "bkt", "public"))), "");
  EXPECT_EQ(CodeOf(GetObjectTagging(*s3_, Req("GetObjectTagging", "bkt", "secret"))), "AccessDenied");
}

TEST_F(ExistingObjectTagTest, TagKeysAreMatchedWithoutCase) {
  Only(ReadPolicy("Allow", R"({"StringEquals":{"s3:existingobjecttag/Classification":"public"}})"));
  EXPECT_EQ(Read("public"), "");
  EXPECT_EQ(Read("secret"), "AccessDenied");
}

TEST_F(ExistingObjectTagTest, DenyByTagOverridesAdministratorAccess) {
  identities_.policies = {
      {"admin", policy::AdministratorAccess()},
      {"deny", ReadPolicy("Deny", R"({"StringEquals":{"s3:ExistingObjectTag/classification":"secret"}})")}};
  EXPECT_EQ(Read("public"), "");
  EXPECT_EQ(Read("plain"), "");
  EXPECT_EQ(Read("secret"), "AccessDenied");
}

TEST_F(ExistingObjectTagTest, NullMatchesAnObjectWithoutTheTag) {
  Only(ReadPolicy("Allow", R"({"Null":{"s3:ExistingObjectTag/classification":"true"}})"));
  EXPECT_EQ(Read("plain"), "");
  EXPECT_EQ(Read("public"), "AccessDenied");
}

TEST_F(ExistingObjectTagTest, ATagChangeFlipsTheDecision) {
  Only(ReadPolicy("Allow", R"({"StringEquals":{"s3:ExistingObjectTag/classification":"public"}})"));
  EXPECT_EQ(Read("plain"), "AccessDenied");
  identities_.policies.clear();
  S3Request tag = Req("PutObjectTagging", "bkt", "plain");
  tag.body = "<Tagging><TagSet><Tag><Key>classification</Key><Value>public</Value></Tag></TagSet></Tagging>";
  ASSERT_TRUE(PutObjectTagging(*s3_, tag).ok());
  Only(ReadPolicy("Allow", R"({"StringEquals":{"s3:ExistingObjectTag/classification":"public"}})"));
  EXPECT_EQ(Read("plain"), "");
}

TEST_F(ExistingObjectTagTest, TheAddressedVersionsTagsDecide) {
  S3Request versioning = Req("PutBucketVersioning", "bkt");
  versioning.body = "<VersioningConfiguration><Status>Enabled</Status></VersioningConfiguration>";
  ASSERT_TRUE(PutBucketVersioning(*s3_, versioning).ok());
  Put("doc", "classification=public");
  auto head = HeadObject(*s3_, Req("HeadObject", "bkt", "doc"));
  ASSERT_TRUE(head.ok());
  std::string public_version;
  for (const auto& [k, v] : head->headers) {
    if (k == "x-amz-version-id") public_version = v;
  }
  ASSERT_FALSE(public_version.empty());
  Put("doc", "classification=secret");
  Only(ReadPolicy("Allow", R"({"StringEquals":{"s3:ExistingObjectTag/classification":"public"}})"));
  EXPECT_EQ(Read("doc"), "AccessDenied");
  S3Request old = Req("GetObject", "bkt", "doc");
  old.query["versionId"] = public_version;
  EXPECT_EQ(CodeOf(GetObject(*s3_, old)), "");
}

TEST_F(ExistingObjectTagTest, TagsAreLoadedOnlyWhenAPolicyReadsThem) {
  auto bucket = s3_->AuthorizedBucket(Req("GetBucketLocation", "bkt"), "s3:GetBucketLocation", false);
  ASSERT_TRUE(bucket.ok());
  int loads = 0;
  const S3Service::TagLoader loader = [&]() -> StatusOr<std::optional<Tags>> {
    ++loads;
    return std::optional<Tags>(Tags{{"classification", "public"}});
  };
  const S3Request req = Req("GetObject", "bkt", "public");
  EXPECT_TRUE(s3_->Authorize(req, "s3:GetObject", ObjectArn("bkt", "public"), &*bucket, loader).ok());
  EXPECT_EQ(loads, 0);  // AdministratorAccess has no such condition

  Only(ReadPolicy("Allow", R"({"StringEquals":{"s3:ExistingObjectTag/classification":"public"}})"));
  EXPECT_TRUE(s3_->Authorize(req, "s3:GetObject", ObjectArn("bkt", "public"), &*bucket, loader).ok());
  EXPECT_EQ(loads, 1);
  // PutObject and DeleteObject never depend on the tags of what they replace.
  EXPECT_EQ(CodeOf(s3_->Authorize(req, "s3:PutObject", ObjectArn("bkt", "public"), &*bucket, loader)),
            "AccessDenied");
  EXPECT_EQ(CodeOf(s3_->Authorize(req, "s3:DeleteObject", ObjectArn("bkt", "public"), &*bucket, loader)),
            "AccessDenied");
  EXPECT_EQ(loads, 1);
}

TEST_F(ExistingObjectTagTest, KeyOnlyOnTheActionsS3ListsItFor) {
  EXPECT_TRUE(SupportsExistingObjectTag("s3:GetObject"));
  EXPECT_TRUE(SupportsExistingObjectTag("s3:PutObjectTagging"));
  EXPECT_TRUE(SupportsExistingObjectTag("s3:DeleteObjectTagging"));
  EXPECT_FALSE(SupportsExistingObjectTag("s3:PutObject"));
  EXPECT_FALSE(SupportsExistingObjectTag("s3:DeleteObject"));
  EXPECT_FALSE(SupportsExistingObjectTag("s3:DeleteObjectVersion"));
  EXPECT_FALSE(SupportsExistingObjectTag("s3:ListBucket"));
}

}  // namespace
}  // namespace coffer::s3

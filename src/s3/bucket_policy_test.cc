// Bucket policies: the document checks of PutBucketPolicy, "public" as Block
// Public Access defines it, and S3's combination of bucket policy and
// identity policies, through the real operations over S3Fixture.
#include "s3/bucket_policy.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <pugixml.hpp>

#include "policy/identity_source.h"
#include "s3/ops.h"
#include "s3/s3_test_util.h"

namespace coffer::s3 {
namespace {

using testing::CodeOf;
using testing::kAccount;
using testing::kOtherAccount;
using testing::XmlChild;

constexpr char kBucket[] = "pol-bucket";
constexpr char kAlice[] = "arn:aws:iam::111122223333:user/alice";
constexpr char kBob[] = "arn:aws:iam::444455556666:user/bob";

// A policy of `statements` (JSON objects, comma-separated).
std::string Doc(const std::string& statements) {
  return R"({"Version":"2012-10-17","Statement":[)" + statements + "]}";
}

std::string MessageOf(const StatusOr<policy::Policy>& r) { return r.ok() ? "" : r.status().message(); }

// --- The document checks (each rejecting check with exactly its input) ---

TEST(BucketPolicyParse, AcceptsObjectAndBucketStatements) {
  auto r = ParseBucketPolicy(
      Doc(R"({"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b1/*"},
             {"Effect":"Allow","Principal":{"AWS":"444455556666"},"Action":["s3:ListBucket","s3:Get*"],
              "Resource":["arn:aws:s3:::b1","arn:aws:s3:::b1/*"]},
             {"Effect":"Deny","Principal":"*","NotAction":"s3:GetObject","Resource":"arn:aws:s3:::b1"})"),
      "b1");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->statements.size(), 3u);
}

TEST(BucketPolicyParse, NotJsonOrNotAnObject) {
  for (const char* text : {"", "[1]", "\"x\"", "{\"Statement\": ", "nope"}) {
    auto r = ParseBucketPolicy(text, "b1");
    EXPECT_EQ(CodeOf(r), "MalformedPolicy") << text;
    EXPECT_EQ(MessageOf(r), "Policies must be valid JSON and the first byte must be '{'") << text;
  }
}

TEST(BucketPolicyParse, OverTwentyKilobytes) {
  std::string sid(kMaxBucketPolicyBytes, 'a');
  auto r = ParseBucketPolicy(Doc(R"({"Sid":")" + sid +
                                 R"(","Effect":"Allow","Principal":"*","Action":"s3:GetObject",)"
                                 R"("Resource":"arn:aws:s3:::b1/*"})"),
                             "b1");
  EXPECT_EQ(CodeOf(r), "MalformedPolicy");
  EXPECT_EQ(MessageOf(r), "Policy exceeds the maximum allowed document size");
}

TEST(BucketPolicyParse, InvalidPrincipal) {
  auto r = ParseBucketPolicy(
      Doc(R"({"Effect":"Allow","Principal":{"AWS":"bob"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::b1/*"})"),
      "b1");
  EXPECT_EQ(CodeOf(r), "MalformedPolicy");
  EXPECT_EQ(MessageOf(r), "Invalid principal in policy");
}

TEST(BucketPolicyParse, MissingPrincipal) {
  auto r = ParseBucketPolicy(
      Doc(R"({"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b1/*"})"), "b1");
  EXPECT_EQ(MessageOf(r), "Missing required field Principal");
}

TEST(BucketPolicyParse, MissingActionResourceOrStatement) {
  EXPECT_EQ(MessageOf(ParseBucketPolicy(
                Doc(R"({"Effect":"Allow","Principal":"*","Resource":"arn:aws:s3:::b1/*"})"), "b1")),
            "Missing required field Action");
  EXPECT_EQ(MessageOf(ParseBucketPolicy(Doc(R"({"Effect":"Allow","Principal":"*","Action":"s3:GetObject"})"),
                                        "b1")),
            "Missing required field Resource");
  EXPECT_EQ(MessageOf(ParseBucketPolicy(R"({"Version":"2012-10-17"})", "b1")),
            "Missing required field Statement");
}

TEST(BucketPolicyParse, UnknownField) {
  auto r = ParseBucketPolicy(
      Doc(R"({"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b1/*","Foo":1})"),
      "b1");
  EXPECT_EQ(MessageOf(r), "Unknown field Foo");
}

TEST(BucketPolicyParse, ActionOfAnotherServiceOrUnknown) {
  for (const char* action : {"kms:Decrypt", "s3:NoSuchAction", "s3:Frobnicate*"}) {
    auto r = ParseBucketPolicy(Doc(R"({"Effect":"Allow","Principal":"*","Action":")" + std::string(action) +
                                   R"(","Resource":"arn:aws:s3:::b1/*"})"),
                               "b1");
    EXPECT_EQ(CodeOf(r), "MalformedPolicy") << action;
    EXPECT_EQ(MessageOf(r), "Policy has invalid action") << action;
  }
}

TEST(BucketPolicyParse, ResourceOutsideTheBucket) {
  for (const char* resource : {"*", "arn:aws:s3:::other/*", "arn:aws:s3:::b1x/*", "arn:aws:s3:::b*",
                               "arn:aws:kms:us-east-1:111122223333:key/k"}) {
    auto r = ParseBucketPolicy(Doc(R"({"Effect":"Allow","Principal":"*","Action":"s3:*","Resource":")" +
                                   std::string(resource) + R"("})"),
                               "b1");
    EXPECT_EQ(MessageOf(r), "Policy has invalid resource") << resource;
  }
}

TEST(BucketPolicyParse, ActionDoesNotApplyToTheResources) {
  auto object_on_bucket = ParseBucketPolicy(
      Doc(R"({"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b1"})"),
      "b1");
  EXPECT_EQ(MessageOf(object_on_bucket), "Action does not apply to any resource(s) in statement");
  auto bucket_on_objects = ParseBucketPolicy(
      Doc(R"({"Effect":"Allow","Principal":"*","Action":"s3:ListBucket","Resource":"arn:aws:s3:::b1/*"})"),
      "b1");
  EXPECT_EQ(MessageOf(bucket_on_objects), "Action does not apply to any resource(s) in statement");
}

// --- "Public" ---

bool Public(const std::string& statement) {
  auto r = ParseBucketPolicy(Doc(statement), "b1");
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return r.ok() && IsPublicPolicy(*r);
}

TEST(BucketPolicyPublic, WildcardPrincipalWithoutPinningConditionIsPublic) {
  const std::string allow = R"({"Effect":"Allow","Principal":)";
  const std::string rest = R"(,"Action":"s3:GetObject","Resource":"arn:aws:s3:::b1/*")";
  EXPECT_TRUE(Public(allow + R"("*")" + rest + "}"));
  EXPECT_TRUE(Public(allow + R"({"AWS":"*"})" + rest + "}"));
  // Conditions that do not pin the caller leave it public.
  EXPECT_TRUE(Public(allow + R"("*")" + rest +
                     R"(,"Condition":{"StringEquals":{"s3:x-amz-server-side-encryption":"AES256"}}})"));
  EXPECT_TRUE(Public(allow + R"("*")" + rest + R"(,"Condition":{"StringLike":{"aws:SourceArn":"arn:*"}}})"));
  EXPECT_TRUE(
      Public(allow + R"("*")" + rest + R"(,"Condition":{"IpAddress":{"aws:SourceIp":"0.0.0.0/0"}}})"));
  EXPECT_TRUE(Public(allow + R"("*")" + rest +
                     R"(,"Condition":{"StringNotEquals":{"aws:SourceAccount":"111122223333"}}})"));
  EXPECT_TRUE(Public(allow + R"("*")" + rest +
                     R"(,"Condition":{"StringEqualsIfExists":{"aws:PrincipalAccount":"111122223333"}}})"));
}

TEST(BucketPolicyPublic, FixedPrincipalOrPinningConditionIsNotPublic) {
  const std::string allow = R"({"Effect":"Allow","Principal":)";
  const std::string rest = R"(,"Action":"s3:GetObject","Resource":"arn:aws:s3:::b1/*")";
  EXPECT_FALSE(Public(allow + R"({"AWS":"444455556666"})" + rest + "}"));
  EXPECT_FALSE(Public(allow + R"({"AWS":"arn:aws:iam::444455556666:user/bob"})" + rest + "}"));
  EXPECT_FALSE(
      Public(allow + R"("*")" + rest + R"(,"Condition":{"IpAddress":{"aws:SourceIp":"10.0.0.0/8"}}})"));
  EXPECT_FALSE(Public(allow + R"("*")" + rest +
                      R"(,"Condition":{"StringEquals":{"aws:SourceAccount":"111122223333"}}})"));
  EXPECT_FALSE(
      Public(allow + R"("*")" + rest + R"(,"Condition":{"StringEquals":{"aws:PrincipalOrgID":"o-abc"}}})"));
  EXPECT_FALSE(Public(R"({"Effect":"Deny","Principal":"*")" + rest + "}"));
}

// --- Authorization through the operations ---

// Identity policies: AdministratorAccess for root callers and the named
// user ARNs in `admins`; nothing for everyone else.
class PolicyIdentities final : public policy::IdentityPolicySource {
 public:
  StatusOr<std::vector<policy::NamedPolicy>> PoliciesFor(const policy::CallerInfo& who) override {
    const bool root = who.caller.arn.ends_with(":root");
    if (root || std::find(admins.begin(), admins.end(), who.caller.arn) != admins.end()) {
      return std::vector<policy::NamedPolicy>{{"AdministratorAccess", policy::AdministratorAccess()}};
    }
    return std::vector<policy::NamedPolicy>{};
  }
  std::uint64_t Generation() const override { return 0; }
  std::vector<std::string> admins;
};

class BucketPolicyTest : public testing::S3Fixture<PolicyIdentities> {
 protected:
  void SetUp() override {
    ASSERT_TRUE(CreateBucket(*s3_, testing::MakeRequest("CreateBucket", kBucket)).ok());
  }

  static S3Request AsUser(S3Request req, const std::string& arn) {
    req.who.caller.arn = arn;
    req.who.caller.account = arn.substr(13, 12);
    req.account = req.who.caller.account;
    req.who.principal_type = "User";
    return req;
  }
  static S3Request Anonymous(S3Request req) {
    req.who = {};
    req.who.caller.anonymous = true;
    req.account.clear();
    return req;
  }

  StatusOr<S3Reply> Call(std::string_view operation, const S3Request& req) {
    return FindOperation(operation)->handler(*s3_, req);
  }
  StatusOr<S3Reply> PutPolicy(const std::string& text, S3Request req = testing::MakeRequest("", kBucket)) {
    req.operation = "PutBucketPolicy";
    req.body = text;
    return Call("PutBucketPolicy", req);
  }
  void MustPutPolicy(const std::string& statements) {
    auto r = PutPolicy(Doc(statements));
    ASSERT_TRUE(r.ok()) << r.status().ToString();
  }
  StatusOr<S3Reply> PutObj(S3Request req, std::string_view body = "hello") {
    req.operation = "PutObject";
    ASSIGN_OR_RETURN(auto sink, PutObject(*s3_, req));
    RETURN_IF_ERROR(sink->Write(body));
    return sink->Finish("");
  }
  void SetBlock(bool block_policy, bool restrict_public) {
    S3Request req = testing::MakeRequest("PutPublicAccessBlock", kBucket);
    req.body = std::string("<PublicAccessBlockConfiguration><BlockPublicPolicy>") +
               (block_policy ? "true" : "false") + "</BlockPublicPolicy><RestrictPublicBuckets>" +
               (restrict_public ? "true" : "false") +
               "</RestrictPublicBuckets></PublicAccessBlockConfiguration>";
    ASSERT_TRUE(PutPublicAccessBlock(*s3_, req).ok());
  }
  S3Request Get(const std::string& key) { return testing::MakeRequest("GetObject", kBucket, key); }
};

const std::string kPublicRead =
    R"({"Sid":"PublicRead","Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::pol-bucket/*"})";

TEST_F(BucketPolicyTest, PutGetDeleteAndStatus) {
  EXPECT_EQ(CodeOf(Call("GetBucketPolicy", testing::MakeRequest("GetBucketPolicy", kBucket))),
            "NoSuchBucketPolicy");
  EXPECT_EQ(S3ErrorFor(Call("GetBucketPolicy", testing::MakeRequest("", kBucket)).status()).http_status, 404);
  EXPECT_EQ(CodeOf(Call("GetBucketPolicyStatus", testing::MakeRequest("", kBucket))), "NoSuchBucketPolicy");
  const std::string text = Doc(kPublicRead);
  auto put = PutPolicy(text);
  ASSERT_TRUE(put.ok()) << put.status().ToString();
  EXPECT_EQ(put->status, 204);
  auto got = Call("GetBucketPolicy", testing::MakeRequest("", kBucket));
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->body, text);
  auto status = Call("GetBucketPolicyStatus", testing::MakeRequest("", kBucket));
  ASSERT_TRUE(status.ok());
  EXPECT_EQ(XmlChild(status->body, "PolicyStatus", "IsPublic"), "true");
  auto del = Call("DeleteBucketPolicy", testing::MakeRequest("", kBucket));
  ASSERT_TRUE(del.ok());
  EXPECT_EQ(del->status, 204);
  EXPECT_EQ(CodeOf(Call("GetBucketPolicy", testing::MakeRequest("", kBucket))), "NoSuchBucketPolicy");
}

TEST_F(BucketPolicyTest, StatusOfAPrivatePolicyIsNotPublic) {
  MustPutPolicy(
      R"({"Effect":"Allow","Principal":{"AWS":"444455556666"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::pol-bucket/*"})");
  auto status = Call("GetBucketPolicyStatus", testing::MakeRequest("", kBucket));
  ASSERT_TRUE(status.ok());
  EXPECT_EQ(XmlChild(status->body, "PolicyStatus", "IsPublic"), "false");
}

TEST_F(BucketPolicyTest, PutRejectsAMalformedPolicyAndKeepsTheOldOne) {
  MustPutPolicy(kPublicRead);
  EXPECT_EQ(CodeOf(PutPolicy("not json")), "MalformedPolicy");
  EXPECT_EQ(
      CodeOf(PutPolicy(Doc(
          R"({"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::other/*"})"))),
      "MalformedPolicy");
  auto got = Call("GetBucketPolicy", testing::MakeRequest("", kBucket));
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->body, Doc(kPublicRead));
}

TEST_F(BucketPolicyTest, OnlyTheOwnerAccountManagesThePolicy) {
  MustPutPolicy(
      R"({"Effect":"Allow","Principal":{"AWS":"444455556666"},"Action":"s3:*","Resource":["arn:aws:s3:::pol-bucket","arn:aws:s3:::pol-bucket/*"]})");
  const S3Request other = testing::MakeRequest("", kBucket, "", {}, kOtherAccount);
  for (const char* op : {"GetBucketPolicy", "DeleteBucketPolicy"}) {
    auto r = Call(op, other);
    EXPECT_EQ(CodeOf(r), "MethodNotAllowed") << op;
    EXPECT_EQ(S3ErrorFor(r.status()).http_status, 405) << op;
  }
  EXPECT_EQ(CodeOf(PutPolicy(Doc(kPublicRead), other)), "MethodNotAllowed");
  // Without a grant, the other account is simply denied.
  auto none = testing::MakeRequest("", kBucket, "", {}, "777788889999");
  EXPECT_EQ(CodeOf(Call("GetBucketPolicy", none)), "AccessDenied");
}

TEST_F(BucketPolicyTest, OwnerRootManagesThePolicyEvenWhenItDeniesEveryone) {
  MustPutPolicy(
      R"({"Effect":"Deny","Principal":"*","Action":"s3:*","Resource":["arn:aws:s3:::pol-bucket","arn:aws:s3:::pol-bucket/*"]})");
  EXPECT_EQ(CodeOf(PutObj(testing::MakeRequest("", kBucket, "k"))), "AccessDenied");
  EXPECT_TRUE(Call("GetBucketPolicy", testing::MakeRequest("", kBucket)).ok());
  EXPECT_TRUE(Call("DeleteBucketPolicy", testing::MakeRequest("", kBucket)).ok());
  EXPECT_TRUE(PutObj(testing::MakeRequest("", kBucket, "k")).ok());
}

TEST_F(BucketPolicyTest, BlockPublicPolicyRefusesAPublicPolicy) {
  SetBlock(true, false);
  auto r = PutPolicy(Doc(kPublicRead));
  EXPECT_EQ(CodeOf(r), "AccessDenied");
  EXPECT_EQ(S3ErrorFor(r.status()).http_status, 403);
  EXPECT_NE(
      r.status().message().find("because public policies are blocked by the BlockPublicPolicy block public "
                                "access setting"),
      std::string::npos);
  EXPECT_EQ(CodeOf(Call("GetBucketPolicy", testing::MakeRequest("", kBucket))), "NoSuchBucketPolicy");
  MustPutPolicy(
      R"({"Effect":"Allow","Principal":{"AWS":"444455556666"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::pol-bucket/*"})");
}

TEST_F(BucketPolicyTest, SameAccountNeedsIdentityOrBucketPolicyNamingTheCaller) {
  ASSERT_TRUE(PutObj(testing::MakeRequest("", kBucket, "k")).ok());
  EXPECT_EQ(CodeOf(GetObject(*s3_, AsUser(Get("k"), kAlice))), "AccessDenied");
  // Naming only the account delegates to IAM: alice still has no identity grant.
  MustPutPolicy(
      R"({"Effect":"Allow","Principal":{"AWS":"111122223333"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::pol-bucket/*"})");
  EXPECT_EQ(CodeOf(GetObject(*s3_, AsUser(Get("k"), kAlice))), "AccessDenied");
  MustPutPolicy(
      R"({"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:user/alice"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::pol-bucket/*"})");
  EXPECT_TRUE(GetObject(*s3_, AsUser(Get("k"), kAlice)).ok());
  identities_.admins = {kAlice};
  ASSERT_TRUE(Call("DeleteBucketPolicy", testing::MakeRequest("", kBucket)).ok());
  EXPECT_TRUE(GetObject(*s3_, AsUser(Get("k"), kAlice)).ok());
}

TEST_F(BucketPolicyTest, CrossAccountNeedsBothPolicies) {
  ASSERT_TRUE(PutObj(testing::MakeRequest("", kBucket, "k")).ok());
  identities_.admins = {kBob};
  EXPECT_EQ(CodeOf(GetObject(*s3_, AsUser(Get("k"), kBob))), "AccessDenied");  // no bucket policy
  MustPutPolicy(
      R"({"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::444455556666:root"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::pol-bucket/*"})");
  EXPECT_TRUE(GetObject(*s3_, AsUser(Get("k"), kBob)).ok());
  identities_.admins.clear();  // the bucket policy alone is not enough
  EXPECT_EQ(CodeOf(GetObject(*s3_, AsUser(Get("k"), kBob))), "AccessDenied");
}

TEST_F(BucketPolicyTest, ExplicitDenyInTheBucketPolicyWins) {
  MustPutPolicy(
      R"({"Effect":"Deny","Principal":{"AWS":"111122223333"},"Action":"s3:PutObject","Resource":"arn:aws:s3:::pol-bucket/secret/*"})");
  EXPECT_EQ(CodeOf(PutObj(testing::MakeRequest("", kBucket, "secret/a"))), "AccessDenied");
  EXPECT_TRUE(PutObj(testing::MakeRequest("", kBucket, "open/a")).ok());
}

TEST_F(BucketPolicyTest, AnonymousNeedsABucketPolicyGrantingEveryone) {
  ASSERT_TRUE(PutObj(testing::MakeRequest("", kBucket, "k")).ok());
  EXPECT_EQ(CodeOf(GetObject(*s3_, Anonymous(Get("k")))), "AccessDenied");
  MustPutPolicy(kPublicRead);
  auto got = GetObject(*s3_, Anonymous(Get("k")));
  EXPECT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(CodeOf(PutObj(Anonymous(testing::MakeRequest("", kBucket, "k2")))), "AccessDenied");
  EXPECT_EQ(CodeOf(ListBuckets(*s3_, Anonymous(testing::MakeRequest("ListBuckets", "")))), "AccessDenied");
  EXPECT_EQ(CodeOf(CreateBucket(*s3_, Anonymous(testing::MakeRequest("CreateBucket", "anon-bucket")))),
            "AccessDenied");
  // A grant naming an account does not reach the anonymous caller.
  MustPutPolicy(
      R"({"Effect":"Allow","Principal":{"AWS":"111122223333"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::pol-bucket/*"})");
  EXPECT_EQ(CodeOf(GetObject(*s3_, Anonymous(Get("k")))), "AccessDenied");
}

TEST_F(BucketPolicyTest, RestrictPublicBucketsLimitsAPublicPolicyToTheOwnerAccount) {
  ASSERT_TRUE(PutObj(testing::MakeRequest("", kBucket, "k")).ok());
  MustPutPolicy(
      kPublicRead + "," +
      R"({"Effect":"Allow","Principal":{"AWS":"444455556666"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::pol-bucket/*"})");
  identities_.admins = {kBob};
  EXPECT_TRUE(GetObject(*s3_, Anonymous(Get("k"))).ok());
  EXPECT_TRUE(GetObject(*s3_, AsUser(Get("k"), kBob)).ok());
  SetBlock(false, true);
  EXPECT_EQ(CodeOf(GetObject(*s3_, Anonymous(Get("k")))), "AccessDenied");
  EXPECT_EQ(CodeOf(GetObject(*s3_, AsUser(Get("k"), kBob))), "AccessDenied");
  EXPECT_TRUE(GetObject(*s3_, AsUser(Get("k"), kAlice)).ok());  // owner-account principals, as named by "*"
}

TEST_F(BucketPolicyTest, RestrictPublicBucketsLeavesANonPublicPolicyAlone) {
  ASSERT_TRUE(PutObj(testing::MakeRequest("", kBucket, "k")).ok());
  MustPutPolicy(
      R"({"Effect":"Allow","Principal":{"AWS":"444455556666"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::pol-bucket/*"})");
  identities_.admins = {kBob};
  SetBlock(false, true);
  EXPECT_TRUE(GetObject(*s3_, AsUser(Get("k"), kBob)).ok());
}

// --- Condition keys from the request as sent ---

S3Request WithSse(S3Request req, std::vector<auth::Header> headers) {
  req.headers = std::move(headers);
  return req;
}

TEST_F(BucketPolicyTest, EncryptionHeaderConditionSeesTheHeaderAsSent) {
  MustPutPolicy(
      R"({"Effect":"Deny","Principal":"*","Action":"s3:PutObject","Resource":"arn:aws:s3:::pol-bucket/*",
                    "Condition":{"StringNotEquals":{"s3:x-amz-server-side-encryption":"AES256"}}})");
  const S3Request put = testing::MakeRequest("", kBucket, "k");
  EXPECT_EQ(CodeOf(PutObj(put)), "AccessDenied");  // no header: the negated operator is true
  EXPECT_TRUE(PutObj(WithSse(put, {{"x-amz-server-side-encryption", "AES256"}})).ok());
  EXPECT_EQ(CodeOf(PutObj(WithSse(put, {{"x-amz-server-side-encryption", "aws:kms"}}))), "AccessDenied");
}

TEST_F(BucketPolicyTest, KmsKeyIdConditionSeesTheHeaderAsSent) {
  const std::string key = "arn:aws:kms:us-east-1:111122223333:key/11111111-2222-3333-4444-555555555555";
  MustPutPolicy(
      R"({"Effect":"Deny","Principal":"*","Action":"s3:PutObject","Resource":"arn:aws:s3:::pol-bucket/*",
                    "Condition":{"StringNotEqualsIfExists":{"s3:x-amz-server-side-encryption-aws-kms-key-id":")" +
      key + R"("}}})");
  const S3Request put = testing::MakeRequest("", kBucket, "k");
  // Absent: "...IfExists" evaluates a missing key as true, so the Deny applies.
  EXPECT_EQ(CodeOf(PutObj(put)), "AccessDenied");
  EXPECT_EQ(CodeOf(PutObj(WithSse(put, {{"x-amz-server-side-encryption", "aws:kms"},
                                        {"x-amz-server-side-encryption-aws-kms-key-id", key + "x"}}))),
            "AccessDenied");
  // The right key passes the policy (what SSE-KMS then does is not this test's).
  EXPECT_NE(CodeOf(PutObj(WithSse(put, {{"x-amz-server-side-encryption", "aws:kms"},
                                        {"x-amz-server-side-encryption-aws-kms-key-id", key}}))),
            "AccessDenied");
}

TEST_F(BucketPolicyTest, SecureTransportFalseDeniesPlainHttp) {
  MustPutPolicy(
      R"({"Effect":"Deny","Principal":"*","Action":"s3:*","Resource":["arn:aws:s3:::pol-bucket","arn:aws:s3:::pol-bucket/*"],
                    "Condition":{"Bool":{"aws:SecureTransport":"false"}}})");
  S3Request put = testing::MakeRequest("", kBucket, "k");
  EXPECT_EQ(CodeOf(PutObj(put)), "AccessDenied");
  put.who.secure_transport = true;
  EXPECT_TRUE(PutObj(put).ok());
}

}  // namespace
}  // namespace coffer::s3

// Server-side encryption modes through S3Service with a real KmsService
// (memory store, authorizer with key policies and identity policies), a
// file blob store and a fake clock: SSE-S3, SSE-KMS (with and without a
// Bucket Key), DSSE-KMS and SSE-C on PUT, GET, HEAD, ranged GET, multipart
// and copy, bucket default encryption, and every rejecting check.
#include "s3/encryption.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <pugixml.hpp>

#include "auth/canonical.h"
#include "common/encoding.h"
#include "crypto/checksum.h"
#include "kms/authorizer.h"
#include "kms/key_store.h"
#include "kms/service.h"
#include "kms/service_client.h"
#include "policy/policy.h"
#include "s3/ops.h"
#include "s3/s3_test_util.h"

namespace coffer::s3 {
namespace {

using nlohmann::json;
using testing::CodeOf;
using testing::kAccount;
using testing::Md5Hex;
using testing::Pattern;
using testing::XmlChild;

constexpr char kBucket[] = "bkt";
constexpr char kUserArn[] = "arn:aws:iam::111122223333:user/bob";

// AdministratorAccess for everyone, or one custom policy for the user bob.
class FakeIdentities final : public policy::IdentityPolicySource {
 public:
  StatusOr<std::vector<policy::NamedPolicy>> PoliciesFor(const policy::CallerInfo& who) override {
    if (who.caller.arn == kUserArn && bob) return std::vector<policy::NamedPolicy>{{"bob", bob}};
    return std::vector<policy::NamedPolicy>{{"AdministratorAccess", policy::AdministratorAccess()}};
  }
  std::uint64_t Generation() const override { return generation; }
  std::shared_ptr<const policy::Policy> bob;
  std::uint64_t generation = 0;
};

std::string HeaderOf(const S3Reply& reply, std::string_view name) {
  for (const auto& [k, v] : reply.headers) {
    if (auth::internal::EqualsIgnoreCase(k, name)) return v;
  }
  return {};
}

// SSE-C headers for a 32-byte key of `fill` bytes.
std::vector<auth::Header> CustomerHeaders(std::uint8_t fill, std::string_view prefix = kCustomerKeyHeaders) {
  const Bytes key(32, fill);
  crypto::Md5 md5;
  md5.Update(AsChars(key));
  const std::string p(prefix);
  return {{p + "algorithm", "AES256"}, {p + "key", Base64Encode(key)}, {p + "key-MD5", md5.FinishBase64()}};
}

std::vector<auth::Header> Join(std::vector<auth::Header> a, const std::vector<auth::Header>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

class EncryptionTest : public testing::S3Fixture<FakeIdentities> {
 protected:
  EncryptionTest() {
    kms_.SetAuthorizer(&authorizer_);
    s3_->sealer().SetKms(&service_kms_, [this](const server::RequestTrace& t) {
      events_.push_back(
          {t.operation, t.caller.arn, t.invoked_by, t.source_ip, t.request.ToNlohmann(), t.status.ok()});
    });
    auto created = CreateBucket(*s3_, Req("CreateBucket", kBucket));
    EXPECT_TRUE(created.ok()) << created.status().ToString();
  }

  struct KmsEvent {
    std::string operation;
    std::string caller;
    std::string invoked_by;
    std::string source;
    json request;
    bool ok;
  };

  static S3Request Req(std::string op, std::string bucket, std::string key = "",
                       std::vector<auth::Header> headers = {}, bool secure = true) {
    S3Request req =
        testing::MakeRequest(std::move(op), std::move(bucket), std::move(key), std::move(headers));
    req.who.secure_transport = secure;
    return req;
  }
  static S3Request AsBob(S3Request req) {
    req.who.caller.arn = kUserArn;
    req.who.principal_type = "User";
    req.who.user_name = "bob";
    return req;
  }

  StatusOr<S3Reply> PutReq(const S3Request& req, std::string_view body) {
    ASSIGN_OR_RETURN(auto sink, PutObject(*s3_, req));
    RETURN_IF_ERROR(sink->Write(body));
    return sink->Finish("");
  }
  StatusOr<S3Reply> Put(const std::string& key, std::string_view body, std::vector<auth::Header> headers = {},
                        bool secure = true) {
    return PutReq(Req("PutObject", kBucket, key, std::move(headers), secure), body);
  }
  static std::string ReadAll(const S3Reply& reply) {
    std::string out;
    std::vector<char> buffer(10000);
    while (reply.stream) {
      auto n = reply.stream->Read(buffer);
      EXPECT_TRUE(n.ok()) << n.status().ToString();
      if (!n.ok() || *n == 0) break;
      out.append(buffer.data(), *n);
    }
    return out;
  }
  StatusOr<S3Reply> Get(const std::string& key, std::vector<auth::Header> headers = {}) {
    return GetObject(*s3_, Req("GetObject", kBucket, key, std::move(headers)));
  }
  // The object's body, or "<code>".
  std::string Body(const std::string& key, std::vector<auth::Header> headers = {}) {
    auto r = Get(key, std::move(headers));
    return r.ok() ? ReadAll(*r) : "<" + CodeOf(r) + ">";
  }
  StatusOr<ObjectRecord> Record(const std::string& key) {
    ASSIGN_OR_RETURN(auto txn, store_->BeginRead());
    ASSIGN_OR_RETURN(std::optional<ObjectRecord> r, LoadObject(*txn, kBucket, key));
    if (!r) return NotFoundError("no record");
    return std::move(*r);
  }

  // A KMS operation as the account root, through the operation table.
  json Kms(std::string_view op, const json& request) {
    kms::RequestContext ctx{kAccount, testing::kRegion, "arn:aws:iam::111122223333:root",
                            "kms:" + std::string(op)};
    ctx.who.caller.arn = ctx.principal_arn;
    ctx.who.caller.account = kAccount;
    ctx.who.principal_type = "Account";
    ctx.request = &request;
    for (const auto& candidate : kms::Operations()) {
      if (candidate.name != op) continue;
      auto r = candidate.fn(kms_, ctx, request);
      EXPECT_TRUE(r.ok()) << op << ": " << r.status().ToString();
      return r.ok() ? *r : json::object();
    }
    ADD_FAILURE() << "no KMS operation " << op;
    return json::object();
  }
  std::string NewKey() { return Kms("CreateKey", json::object())["KeyMetadata"]["Arn"].get<std::string>(); }
  int Count(std::string_view op) const {
    int n = 0;
    for (const auto& e : events_) n += e.operation == op ? 1 : 0;
    return n;
  }
  void SetBobPolicy(const std::string& document) {
    auto parsed = policy::Parse(document, {policy::PolicyKind::kIdentity, 32768});
    ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
    identities_.bob = std::make_shared<const policy::Policy>(std::move(*parsed));
    ++identities_.generation;
  }
  StatusOr<S3Reply> BucketEncryption(std::string_view op, std::string body = "") {
    S3Request req = Req(std::string(op), kBucket);
    req.body = std::move(body);
    const Operation* found = FindOperation(op);
    if (found == nullptr) return InternalError("no operation");
    return found->handler(*s3_, req);
  }

  kms::KeyStore keys_{*store_, root_, random_};
  kms::KmsService kms_{keys_, random_, clock_};
  kms::Authorizer authorizer_{identities_, clock_};
  kms::ServiceKms service_kms_{kms_};
  std::vector<KmsEvent> events_;
};

const std::vector<auth::Header> kKmsHeader = {{"x-amz-server-side-encryption", "aws:kms"}};

TEST_F(EncryptionTest, SseS3IsTheDefaultAndNeedsNoKms) {
  auto put = Put("plain", "hello");
  ASSERT_TRUE(put.ok()) << put.status().ToString();
  EXPECT_EQ(HeaderOf(*put, "x-amz-server-side-encryption"), "AES256");
  EXPECT_EQ(HeaderOf(*put, "x-amz-server-side-encryption-aws-kms-key-id"), "");
  EXPECT_EQ(Body("plain"), "hello");
  EXPECT_FALSE(Record("plain")->sse.has_value());
  EXPECT_TRUE(events_.empty());
}

TEST_F(EncryptionTest, SseKmsPutGetHeadAndRangeWithTheNamedKey) {
  const std::string key_arn = NewKey();
  const std::string body = Pattern(200000, 1);
  auto put = Put("k", body,
                 {{"x-amz-server-side-encryption", "aws:kms"},
                  {"x-amz-server-side-encryption-aws-kms-key-id", key_arn}});
  ASSERT_TRUE(put.ok()) << put.status().ToString();
  EXPECT_EQ(HeaderOf(*put, "x-amz-server-side-encryption"), "aws:kms");
  EXPECT_EQ(HeaderOf(*put, "x-amz-server-side-encryption-aws-kms-key-id"), key_arn);
  EXPECT_EQ(HeaderOf(*put, "ETag"), "\"" + Md5Hex(body) + "\"");
  ASSERT_EQ(Count("GenerateDataKey"), 1);
  EXPECT_EQ(events_[0].request["EncryptionContext"], (json{{"aws:s3:arn", "arn:aws:s3:::bkt/k"}}));
  EXPECT_EQ(events_[0].invoked_by, "s3.amazonaws.com");
  EXPECT_EQ(events_[0].source, "s3.amazonaws.com");
  EXPECT_EQ(events_[0].caller, "arn:aws:iam::111122223333:root");

  EXPECT_EQ(Body("k"), body);
  EXPECT_EQ(Count("Decrypt"), 1);
  auto ranged = Get("k", {{"Range", "bytes=70000-70009"}});
  ASSERT_TRUE(ranged.ok());
  EXPECT_EQ(ranged->status, 206);
  EXPECT_EQ(ReadAll(*ranged), body.substr(70000, 10));
  auto head = HeadObject(*s3_, Req("HeadObject", kBucket, "k"));
  ASSERT_TRUE(head.ok());
  EXPECT_EQ(HeaderOf(*head, "x-amz-server-side-encryption-aws-kms-key-id"), key_arn);
  EXPECT_EQ(Count("Decrypt"), 2) << "HEAD reads no body, so it asks KMS for nothing";

  // The blob itself is bound to the data key: without it, it does not open.
  const ObjectRecord record = *Record("k");
  EXPECT_EQ(CodeOf(blobs_->Open(record.parts[0].blob).status()), "AccessDenied");
  EXPECT_EQ(record.sse->kms_key_arn, key_arn);
}

TEST_F(EncryptionTest, SseKmsWithoutAKeyUsesTheAwsManagedKey) {
  ASSERT_TRUE(Put("a", "1", kKmsHeader).ok());
  auto second = Put("b", "2", kKmsHeader);
  ASSERT_TRUE(second.ok());
  const std::string arn = HeaderOf(*second, "x-amz-server-side-encryption-aws-kms-key-id");
  EXPECT_TRUE(arn.starts_with("arn:aws:kms:us-east-1:111122223333:key/")) << arn;
  EXPECT_EQ(Record("a")->sse->kms_key_arn, arn);
  EXPECT_EQ(Kms("DescribeKey", {{"KeyId", "alias/aws/s3"}})["KeyMetadata"]["Arn"], arn);
  EXPECT_EQ(Body("b"), "2");
}

TEST_F(EncryptionTest, SseKmsAcceptsAnAliasNameAndMergesTheCallersContext) {
  const std::string key_arn = NewKey();
  Kms("CreateAlias", {{"AliasName", "alias/app"}, {"TargetKeyId", key_arn}});
  const std::string context = Base64Encode(AsBytes(std::string(R"({"team":"blue"})")));
  auto put = Put("c", "ctx",
                 {{"x-amz-server-side-encryption", "aws:kms"},
                  {"x-amz-server-side-encryption-aws-kms-key-id", "alias/app"},
                  {"x-amz-server-side-encryption-context", context}});
  ASSERT_TRUE(put.ok()) << put.status().ToString();
  EXPECT_EQ(HeaderOf(*put, "x-amz-server-side-encryption-aws-kms-key-id"), key_arn);
  const auto echoed = Base64Decode(HeaderOf(*put, "x-amz-server-side-encryption-context"));
  ASSERT_TRUE(echoed.has_value());
  EXPECT_EQ(json::parse(AsChars(*echoed)), (json{{"aws:s3:arn", "arn:aws:s3:::bkt/c"}, {"team", "blue"}}));
  EXPECT_EQ(Body("c"), "ctx");
}

TEST_F(EncryptionTest, MalformedEncryptionHeadersAreRefused) {
  const std::string bad_json = Base64Encode(AsBytes(std::string(R"({"n":1})")));
  EXPECT_EQ(CodeOf(Put("x", "",
                       {{"x-amz-server-side-encryption", "aws:kms"},
                        {"x-amz-server-side-encryption-context", "%%%"}})),
            "InvalidArgument");
  EXPECT_EQ(CodeOf(Put("x", "",
                       {{"x-amz-server-side-encryption", "aws:kms"},
                        {"x-amz-server-side-encryption-context", bad_json}})),
            "InvalidArgument");
  EXPECT_EQ(CodeOf(Put("x", "", {{"x-amz-server-side-encryption-aws-kms-key-id", "alias/aws/s3"}})),
            "InvalidArgument");
  EXPECT_EQ(CodeOf(Put("x", "",
                       {{"x-amz-server-side-encryption", "AES256"},
                        {"x-amz-server-side-encryption-context", bad_json}})),
            "InvalidArgument");
  EXPECT_EQ(CodeOf(Put("x", "",
                       {{"x-amz-server-side-encryption", "aws:kms"},
                        {"x-amz-server-side-encryption-aws-kms-key-id", ""}})),
            "InvalidArgument");
  EXPECT_EQ(CodeOf(Put("x", "", {{"x-amz-server-side-encryption", "AES128"}})), "InvalidArgument");
  EXPECT_EQ(CodeOf(Put("x", "",
                       {{"x-amz-server-side-encryption", "aws:kms"},
                        {"x-amz-server-side-encryption-bucket-key-enabled", "yes"}})),
            "InvalidArgument");
  EXPECT_TRUE(events_.empty()) << "nothing reaches KMS";
}

TEST_F(EncryptionTest, KmsKeyStateAndAuthorizationFailuresAreS3Errors) {
  EXPECT_EQ(CodeOf(Put("x", "",
                       {{"x-amz-server-side-encryption", "aws:kms"},
                        {"x-amz-server-side-encryption-aws-kms-key-id", "alias/nothing"}})),
            "KMS.NotFoundException");
  EXPECT_EQ(CodeOf(Put("x", "",
                       {{"x-amz-server-side-encryption", "aws:kms"},
                        {"x-amz-server-side-encryption-aws-kms-key-id",
                         "arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"}})),
            "KMS.NotFoundException")
      << "a key of another region";
  const std::string disabled = NewKey();
  const std::vector<auth::Header> with_disabled = {{"x-amz-server-side-encryption", "aws:kms"},
                                                   {"x-amz-server-side-encryption-aws-kms-key-id", disabled}};
  ASSERT_TRUE(Put("before", "v", with_disabled).ok());
  Kms("DisableKey", {{"KeyId", disabled}});
  EXPECT_EQ(CodeOf(Put("x", "", with_disabled)), "KMS.DisabledException");
  EXPECT_EQ(Body("before"), "<KMS.DisabledException>");
  EXPECT_EQ(S3ErrorFor(Get("before").status()).http_status, 400);

  const std::string doomed = NewKey();
  const std::vector<auth::Header> with_doomed = {{"x-amz-server-side-encryption", "aws:kms"},
                                                 {"x-amz-server-side-encryption-aws-kms-key-id", doomed}};
  ASSERT_TRUE(Put("doomed", "v", with_doomed).ok());
  Kms("ScheduleKeyDeletion", {{"KeyId", doomed}, {"PendingWindowInDays", 7}});
  EXPECT_EQ(CodeOf(Put("x", "", with_doomed)), "KMS.KMSInvalidStateException");
  EXPECT_EQ(Body("doomed"), "<KMS.KMSInvalidStateException>");
  EXPECT_FALSE(events_.back().ok) << "failed KMS calls are observed too";
}

TEST_F(EncryptionTest, TheCallerNeedsKmsPermissionsThroughS3) {
  const std::string key_arn = NewKey();
  const std::vector<auth::Header> headers = {{"x-amz-server-side-encryption", "aws:kms"},
                                             {"x-amz-server-side-encryption-aws-kms-key-id", key_arn}};
  SetBobPolicy(R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"},
      {"Effect":"Allow","Action":"kms:GenerateDataKey","Resource":"*",
       "Condition":{"StringEquals":{"kms:ViaService":"s3.us-east-1.amazonaws.com"}}}]})");
  auto put = PutReq(AsBob(Req("PutObject", kBucket, "bob", headers)), "secret");
  ASSERT_TRUE(put.ok()) << put.status().ToString();
  EXPECT_EQ(events_.back().caller, kUserArn);
  auto get = GetObject(*s3_, AsBob(Req("GetObject", kBucket, "bob")));
  EXPECT_EQ(CodeOf(get), "AccessDenied") << "bob has no kms:Decrypt";
  EXPECT_EQ(S3ErrorFor(get.status()).http_status, 403);
  EXPECT_EQ(Body("bob"), "secret") << "the account root may decrypt";

  SetBobPolicy(R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"},
      {"Effect":"Allow","Action":"kms:GenerateDataKey","Resource":"*",
       "Condition":{"StringEquals":{"kms:ViaService":"ssm.us-east-1.amazonaws.com"}}}]})");
  EXPECT_EQ(CodeOf(PutReq(AsBob(Req("PutObject", kBucket, "bob2", headers)), "x")), "AccessDenied")
      << "kms:ViaService names S3";
}

TEST_F(EncryptionTest, DsseKmsSealsTwoLayersAndNeverUsesABucketKey) {
  const std::string body = Pattern(150000, 2);
  auto put = Put("d", body,
                 {{"x-amz-server-side-encryption", "aws:kms:dsse"},
                  {"x-amz-server-side-encryption-bucket-key-enabled", "true"}});
  ASSERT_TRUE(put.ok()) << put.status().ToString();
  EXPECT_EQ(HeaderOf(*put, "x-amz-server-side-encryption"), "aws:kms:dsse");
  EXPECT_EQ(HeaderOf(*put, "x-amz-server-side-encryption-bucket-key-enabled"), "");
  const ObjectRecord record = *Record("d");
  EXPECT_FALSE(record.sse->bucket_key);
  EXPECT_EQ(CodeOf(blobs_->Open(record.parts[0].blob).status()), "AccessDenied");
  EXPECT_EQ(Body("d"), body);
  auto ranged = Get("d", {{"Range", "bytes=-5"}});
  ASSERT_TRUE(ranged.ok());
  EXPECT_EQ(ReadAll(*ranged), body.substr(body.size() - 5));
}

TEST_F(EncryptionTest, BucketKeysCutGenerateDataKeyCallsAndExpire) {
  const std::vector<auth::Header> headers = {{"x-amz-server-side-encryption", "aws:kms"},
                                             {"x-amz-server-side-encryption-bucket-key-enabled", "true"}};
  for (int i = 0; i < 200; ++i)
    ASSERT_TRUE(Put("bk" + std::to_string(i), "v" + std::to_string(i), headers).ok());
  EXPECT_EQ(Count("GenerateDataKey"), 1);
  EXPECT_EQ(events_[0].request["EncryptionContext"], (json{{"aws:s3:arn", "arn:aws:s3:::bkt"}}));
  auto put = Put("bk-last", "x", headers);
  EXPECT_EQ(HeaderOf(*put, "x-amz-server-side-encryption-bucket-key-enabled"), "true");
  // Objects get distinct keys from one bucket key.
  EXPECT_NE(Record("bk1")->sse->salt, Record("bk2")->sse->salt);
  for (int i = 0; i < 50; ++i) EXPECT_EQ(Body("bk" + std::to_string(i)), "v" + std::to_string(i));
  EXPECT_EQ(Count("Decrypt"), 1) << "one Decrypt per caller and bucket key while cached";

  clock_.Advance(std::chrono::minutes(5));
  ASSERT_TRUE(Put("after", "y", headers).ok());
  EXPECT_EQ(Count("GenerateDataKey"), 2) << "the bucket key is reused for 5 minutes only";
  EXPECT_EQ(Body("bk0"), "v0");
  EXPECT_EQ(Count("Decrypt"), 2);

  for (int i = 0; i < 20; ++i) ASSERT_TRUE(Put("per" + std::to_string(i), "z", kKmsHeader).ok());
  EXPECT_EQ(Count("GenerateDataKey"), 22) << "without a Bucket Key: one per object";
}

TEST_F(EncryptionTest, SseCustomerKeyRoundTripsAndIsNeverStored) {
  const std::string body = Pattern(100000, 3);
  auto put = Put("c", body, CustomerHeaders(0x11));
  ASSERT_TRUE(put.ok()) << put.status().ToString();
  EXPECT_EQ(HeaderOf(*put, "x-amz-server-side-encryption-customer-algorithm"), "AES256");
  EXPECT_EQ(HeaderOf(*put, "x-amz-server-side-encryption-customer-key-MD5"), CustomerHeaders(0x11)[2].second);
  EXPECT_EQ(HeaderOf(*put, "x-amz-server-side-encryption"), "");
  EXPECT_NE(HeaderOf(*put, "ETag"), "\"" + Md5Hex(body) + "\"") << "an SSE-C ETag is not the MD5";
  EXPECT_EQ(Body("c", CustomerHeaders(0x11)), body);
  auto ranged = Get("c", Join({{"Range", "bytes=10-19"}}, CustomerHeaders(0x11)));
  ASSERT_TRUE(ranged.ok());
  EXPECT_EQ(ReadAll(*ranged), body.substr(10, 10));
  auto head = HeadObject(*s3_, Req("HeadObject", kBucket, "c", CustomerHeaders(0x11)));
  ASSERT_TRUE(head.ok());
  EXPECT_EQ(HeaderOf(*head, "x-amz-server-side-encryption-customer-algorithm"), "AES256");

  const ObjectRecord record = *Record("c");
  const std::string encoded = EncodeObject(record);
  EXPECT_EQ(encoded.find(CustomerHeaders(0x11)[1].second), std::string::npos);
  EXPECT_EQ(CodeOf(blobs_->Open(record.parts[0].blob).status()), "AccessDenied");
  EXPECT_TRUE(events_.empty());
}

TEST_F(EncryptionTest, SseCustomerKeyReadsWithoutOrWithAnotherKeyAreRefused) {
  ASSERT_TRUE(Put("c", "data", CustomerHeaders(0x11)).ok());
  EXPECT_EQ(Body("c"), "<InvalidRequest>");
  EXPECT_EQ(Body("c", CustomerHeaders(0x22)), "<AccessDenied>");
  EXPECT_EQ(S3ErrorFor(Get("c", CustomerHeaders(0x22)).status()).http_status, 403);
  EXPECT_EQ(CodeOf(HeadObject(*s3_, Req("HeadObject", kBucket, "c"))), "InvalidRequest");
  EXPECT_EQ(CodeOf(HeadObject(*s3_, Req("HeadObject", kBucket, "c", CustomerHeaders(0x22)))), "AccessDenied");
  ASSERT_TRUE(Put("plain", "p").ok());
  EXPECT_EQ(Body("plain", CustomerHeaders(0x11)), "<InvalidRequest>") << "key for an object without SSE-C";
}

TEST_F(EncryptionTest, SseCustomerKeyHeadersAreChecked) {
  EXPECT_EQ(CodeOf(Put("x", "", CustomerHeaders(0x11), /*secure=*/false)), "InvalidRequest");
  auto headers = CustomerHeaders(0x11);
  headers[0].second = "AES128";
  EXPECT_EQ(CodeOf(Put("x", "", headers)), "InvalidEncryptionAlgorithmError");
  headers = CustomerHeaders(0x11);
  headers[2].second = CustomerHeaders(0x22)[2].second;
  EXPECT_EQ(CodeOf(Put("x", "", headers)), "InvalidArgument") << "MD5 of another key";
  headers = CustomerHeaders(0x11);
  headers[1].second = Base64Encode(Bytes(16, 1));
  EXPECT_EQ(CodeOf(Put("x", "", headers)), "InvalidArgument") << "a 16-byte key";
  headers = CustomerHeaders(0x11);
  headers[1].second = "not base64!";
  EXPECT_EQ(CodeOf(Put("x", "", headers)), "InvalidArgument");
  headers = CustomerHeaders(0x11);
  headers.erase(headers.begin() + 1);
  EXPECT_EQ(CodeOf(Put("x", "", headers)), "InvalidArgument") << "no key";
  headers = CustomerHeaders(0x11);
  headers.pop_back();
  EXPECT_EQ(CodeOf(Put("x", "", headers)), "InvalidArgument") << "no key MD5";
  headers = CustomerHeaders(0x11);
  headers.erase(headers.begin());
  EXPECT_EQ(CodeOf(Put("x", "", headers)), "InvalidArgument") << "no algorithm";
  EXPECT_EQ(CodeOf(Put("x", "", Join(CustomerHeaders(0x11), kKmsHeader))), "InvalidArgument");
}

TEST_F(EncryptionTest, BucketDefaultEncryptionIsStoredAppliedAndReset) {
  auto initial = BucketEncryption("GetBucketEncryption");
  ASSERT_TRUE(initial.ok());
  EXPECT_NE(initial->body.find("<SSEAlgorithm>AES256</SSEAlgorithm>"), std::string::npos) << initial->body;
  const std::string key_arn = NewKey();
  const std::string config =
      "<ServerSideEncryptionConfiguration><Rule><ApplyServerSideEncryptionByDefault>"
      "<SSEAlgorithm>aws:kms</SSEAlgorithm><KMSMasterKeyID>" +
      key_arn +
      "</KMSMasterKeyID></ApplyServerSideEncryptionByDefault><BucketKeyEnabled>true</BucketKeyEnabled>"
      "</Rule></ServerSideEncryptionConfiguration>";
  ASSERT_TRUE(BucketEncryption("PutBucketEncryption", config).ok());
  auto got = BucketEncryption("GetBucketEncryption");
  ASSERT_TRUE(got.ok());
  EXPECT_NE(got->body.find("<KMSMasterKeyID>" + key_arn + "</KMSMasterKeyID>"), std::string::npos);
  EXPECT_NE(got->body.find("<BucketKeyEnabled>true</BucketKeyEnabled>"), std::string::npos);

  auto put = Put("defaulted", "v");
  ASSERT_TRUE(put.ok());
  EXPECT_EQ(HeaderOf(*put, "x-amz-server-side-encryption"), "aws:kms");
  EXPECT_EQ(HeaderOf(*put, "x-amz-server-side-encryption-aws-kms-key-id"), key_arn);
  EXPECT_EQ(HeaderOf(*put, "x-amz-server-side-encryption-bucket-key-enabled"), "true");
  auto explicit_off = Put("nobk", "v",
                          {{"x-amz-server-side-encryption", "aws:kms"},
                           {"x-amz-server-side-encryption-bucket-key-enabled", "false"}});
  EXPECT_EQ(HeaderOf(*explicit_off, "x-amz-server-side-encryption-bucket-key-enabled"), "");
  auto sse_s3 = Put("s3", "v", {{"x-amz-server-side-encryption", "AES256"}});
  EXPECT_EQ(HeaderOf(*sse_s3, "x-amz-server-side-encryption"), "AES256") << "headers win over the default";

  auto deleted = BucketEncryption("DeleteBucketEncryption");
  ASSERT_TRUE(deleted.ok());
  EXPECT_EQ(deleted->status, 204);
  EXPECT_EQ(HeaderOf(*Put("after", "v"), "x-amz-server-side-encryption"), "AES256");
}

TEST_F(EncryptionTest, MalformedBucketEncryptionConfigurationsAreRefused) {
  auto rule = [](std::string inside, std::string extra = "") {
    return "<ServerSideEncryptionConfiguration><Rule><ApplyServerSideEncryptionByDefault>" + inside +
           "</ApplyServerSideEncryptionByDefault>" + extra + "</Rule></ServerSideEncryptionConfiguration>";
  };
  EXPECT_EQ(CodeOf(BucketEncryption("PutBucketEncryption", "<nope")), "MalformedXML");
  EXPECT_EQ(CodeOf(BucketEncryption("PutBucketEncryption", rule("<SSEAlgorithm>AES128</SSEAlgorithm>"))),
            "MalformedXML");
  EXPECT_EQ(CodeOf(BucketEncryption("PutBucketEncryption", rule("<SSEAlgorithm>AES256</SSEAlgorithm>"
                                                                "<KMSMasterKeyID>k</KMSMasterKeyID>"))),
            "InvalidArgument");
  EXPECT_EQ(
      CodeOf(BucketEncryption("PutBucketEncryption", rule("<SSEAlgorithm>aws:kms</SSEAlgorithm>",
                                                          "<BucketKeyEnabled>maybe</BucketKeyEnabled>"))),
      "MalformedXML");
  EXPECT_EQ(
      CodeOf(BucketEncryption("PutBucketEncryption",
                              "<ServerSideEncryptionConfiguration></ServerSideEncryptionConfiguration>")),
      "MalformedXML");
  EXPECT_EQ(CodeOf(BucketEncryption("PutBucketEncryption",
                                    "<ServerSideEncryptionConfiguration><Rule></Rule>"
                                    "</ServerSideEncryptionConfiguration>")),
            "MalformedXML");
}

TEST_F(EncryptionTest, MultipartSseKmsBindsEveryPartToTheUploadsDataKey) {
  auto created = CreateMultipartUpload(*s3_, Req("CreateMultipartUpload", kBucket, "mp", kKmsHeader));
  ASSERT_TRUE(created.ok()) << created.status().ToString();
  EXPECT_EQ(HeaderOf(*created, "x-amz-server-side-encryption"), "aws:kms");
  const std::string id = XmlChild(created->body, "InitiateMultipartUploadResult", "UploadId");
  const std::string one = Pattern(5 << 20, 4);
  const std::string two = Pattern(1000, 5);
  std::vector<std::string> etags;
  for (const auto& [n, part] : {std::pair<int, const std::string*>{1, &one}, {2, &two}}) {
    S3Request req = Req("UploadPart", kBucket, "mp");
    req.query = {{"uploadId", id}, {"partNumber", std::to_string(n)}};
    auto sink = UploadPart(*s3_, req);
    ASSERT_TRUE(sink.ok()) << sink.status().ToString();
    ASSERT_TRUE((*sink)->Write(*part).ok());
    auto done = (*sink)->Finish("");
    ASSERT_TRUE(done.ok()) << done.status().ToString();
    EXPECT_EQ(HeaderOf(*done, "x-amz-server-side-encryption"), "aws:kms");
    etags.push_back(HeaderOf(*done, "ETag"));
  }
  EXPECT_EQ(Count("GenerateDataKey"), 1);
  EXPECT_EQ(Count("Decrypt"), 2) << "each part unwraps the upload's data key";
  S3Request complete = Req("CompleteMultipartUpload", kBucket, "mp");
  complete.query = {{"uploadId", id}};
  complete.body = "<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>" + etags[0] +
                  "</ETag></Part><Part><PartNumber>2</PartNumber><ETag>" + etags[1] +
                  "</ETag></Part></CompleteMultipartUpload>";
  auto completed = CompleteMultipartUpload(*s3_, complete);
  ASSERT_TRUE(completed.ok()) << completed.status().ToString();
  EXPECT_EQ(HeaderOf(*completed, "x-amz-server-side-encryption"), "aws:kms");
  EXPECT_EQ(Body("mp"), one + two);
  auto ranged = Get("mp", {{"Range", "bytes=5242870-5242889"}});
  ASSERT_TRUE(ranged.ok());
  EXPECT_EQ(ReadAll(*ranged), (one + two).substr(5242870, 20));
}

TEST_F(EncryptionTest, MultipartSseCustomerKeyMustComeWithEveryPart) {
  auto created =
      CreateMultipartUpload(*s3_, Req("CreateMultipartUpload", kBucket, "mc", CustomerHeaders(0x33)));
  ASSERT_TRUE(created.ok()) << created.status().ToString();
  EXPECT_EQ(HeaderOf(*created, "x-amz-server-side-encryption-customer-algorithm"), "AES256");
  const std::string id = XmlChild(created->body, "InitiateMultipartUploadResult", "UploadId");
  auto part = [&](std::vector<auth::Header> headers) {
    S3Request req = Req("UploadPart", kBucket, "mc", std::move(headers));
    req.query = {{"uploadId", id}, {"partNumber", "1"}};
    return UploadPart(*s3_, req);
  };
  EXPECT_EQ(CodeOf(part({})), "InvalidRequest");
  EXPECT_EQ(CodeOf(part(CustomerHeaders(0x44))), "InvalidRequest");
  auto sink = part(CustomerHeaders(0x33));
  ASSERT_TRUE(sink.ok()) << sink.status().ToString();
  ASSERT_TRUE((*sink)->Write("only part").ok());
  auto done = (*sink)->Finish("");
  ASSERT_TRUE(done.ok());
  S3Request complete = Req("CompleteMultipartUpload", kBucket, "mc");
  complete.query = {{"uploadId", id}};
  complete.body = "<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>" +
                  HeaderOf(*done, "ETag") + "</ETag></Part></CompleteMultipartUpload>";
  ASSERT_TRUE(CompleteMultipartUpload(*s3_, complete).ok());
  EXPECT_EQ(Body("mc", CustomerHeaders(0x33)), "only part");
  EXPECT_EQ(Body("mc"), "<InvalidRequest>");

  auto plain = CreateMultipartUpload(*s3_, Req("CreateMultipartUpload", kBucket, "mp"));
  ASSERT_TRUE(plain.ok());
  S3Request req = Req("UploadPart", kBucket, "mp", CustomerHeaders(0x33));
  req.query = {{"uploadId", XmlChild(plain->body, "InitiateMultipartUploadResult", "UploadId")},
               {"partNumber", "1"}};
  EXPECT_EQ(CodeOf(UploadPart(*s3_, req)), "InvalidRequest");
}

TEST_F(EncryptionTest, CopyObjectReEncryptsAndMayCopyOntoItself) {
  ASSERT_TRUE(Put("src", "copy me").ok());
  auto copy = [&](const std::string& to, std::vector<auth::Header> headers) {
    headers.emplace_back("x-amz-copy-source", "/bkt/src");
    return CopyObject(*s3_, Req("CopyObject", kBucket, to, std::move(headers)));
  };
  EXPECT_EQ(CodeOf(copy("src", {})), "InvalidRequest") << "onto itself with no change";
  auto rekeyed = copy("src", kKmsHeader);
  ASSERT_TRUE(rekeyed.ok()) << rekeyed.status().ToString();
  EXPECT_EQ(HeaderOf(*rekeyed, "x-amz-server-side-encryption"), "aws:kms");
  EXPECT_EQ(Record("src")->sse->mode, "aws:kms");
  EXPECT_EQ(Body("src"), "copy me");

  auto to_customer = copy("c", CustomerHeaders(0x55));
  ASSERT_TRUE(to_customer.ok()) << to_customer.status().ToString();
  EXPECT_EQ(Body("c", CustomerHeaders(0x55)), "copy me");
  auto from_customer = [&](const std::string& to, std::vector<auth::Header> headers) {
    headers.emplace_back("x-amz-copy-source", "/bkt/c");
    return CopyObject(*s3_, Req("CopyObject", kBucket, to, std::move(headers)));
  };
  EXPECT_EQ(CodeOf(from_customer("d", {})), "InvalidRequest") << "no copy-source key";
  EXPECT_EQ(CodeOf(from_customer("d", CustomerHeaders(0x66, kCopySourceCustomerKeyHeaders))), "AccessDenied");
  auto decrypted = from_customer("d", Join({{"x-amz-server-side-encryption", "aws:kms:dsse"}},
                                           CustomerHeaders(0x55, kCopySourceCustomerKeyHeaders)));
  ASSERT_TRUE(decrypted.ok()) << decrypted.status().ToString();
  EXPECT_EQ(HeaderOf(*decrypted, "x-amz-server-side-encryption"), "aws:kms:dsse");
  EXPECT_EQ(Body("d"), "copy me");
  auto back_to_s3 = from_customer("c", CustomerHeaders(0x55, kCopySourceCustomerKeyHeaders));
  ASSERT_TRUE(back_to_s3.ok()) << "changing the encryption of an object onto itself is a change";
  EXPECT_EQ(Body("c"), "copy me");
}

TEST_F(EncryptionTest, UploadPartCopyReadsTheSourceKeysAndSealsWithTheUploads) {
  ASSERT_TRUE(Put("src", "part source", CustomerHeaders(0x77)).ok());
  auto created = CreateMultipartUpload(*s3_, Req("CreateMultipartUpload", kBucket, "pc", kKmsHeader));
  ASSERT_TRUE(created.ok());
  const std::string id = XmlChild(created->body, "InitiateMultipartUploadResult", "UploadId");
  auto part_copy = [&](std::vector<auth::Header> headers) {
    headers.emplace_back("x-amz-copy-source", "/bkt/src");
    S3Request req = Req("UploadPartCopy", kBucket, "pc", std::move(headers));
    req.query = {{"uploadId", id}, {"partNumber", "1"}};
    return UploadPartCopy(*s3_, req);
  };
  EXPECT_EQ(CodeOf(part_copy({})), "InvalidRequest");
  auto copied = part_copy(CustomerHeaders(0x77, kCopySourceCustomerKeyHeaders));
  ASSERT_TRUE(copied.ok()) << copied.status().ToString();
  EXPECT_EQ(HeaderOf(*copied, "x-amz-server-side-encryption"), "aws:kms");
  S3Request complete = Req("CompleteMultipartUpload", kBucket, "pc");
  complete.query = {{"uploadId", id}};
  complete.body = "<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>" +
                  XmlChild(copied->body, "CopyPartResult", "ETag") +
                  "</ETag></Part></CompleteMultipartUpload>";
  ASSERT_TRUE(CompleteMultipartUpload(*s3_, complete).ok());
  EXPECT_EQ(Body("pc"), "part source");
}

}  // namespace
}  // namespace coffer::s3

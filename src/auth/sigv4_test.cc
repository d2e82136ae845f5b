// SigV4 verifier rules one at a time, the canonical-request pieces, dates and
// the signing-key cache.
#include "auth/sigv4.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <iostream>
#include <nlohmann/json.hpp>
#include <thread>

#include "auth/canonical.h"
#include "auth/sigv4_params.h"
#include "auth/sigv4_test_util.h"

namespace coffer::auth {
namespace {

using namespace coffer::auth::sigv4_testing;  // NOLINT(google-build-using-namespace)
using std::chrono::minutes;
using std::chrono::seconds;

// ---------------------------------------------------------------------------
// Each verifier rule on its own, on a KMS-shaped request.

constexpr char kAkid[] = "AKIAIOSFODNN7EXAMPLE";
constexpr char kSecret[] = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";

HttpRequest KmsRequest() {
  HttpRequest request;
  request.method = "POST";
  request.target = "/";
  request.headers = {{"Host", "kms.us-east-1.amazonaws.com"},
                     {"Content-Type", "application/x-amz-json-1.1"},
                     {"X-Amz-Target", "TrentService.Encrypt"}};
  request.body = R"({"KeyId":"alias/test","Plaintext":"aGVsbG8="})";
  return request;
}

SigningParams KmsParams(TimePoint time) {
  SigningParams params;
  params.access_key_id = kAkid;
  params.secret_access_key = kSecret;
  params.region = "us-east-1";
  params.service = "kms";
  params.time = time;
  return params;
}

class VerifierTest : public ::testing::Test {
 protected:
  VerifierTest() { secrets_.Add(kAkid, kSecret); }

  HttpRequest Signed(TimePoint time = IsoTime("2013-05-24T00:00:00Z")) {
    HttpRequest request = KmsRequest();
    EXPECT_TRUE(SignRequest(request, KmsParams(time)).ok());
    return request;
  }
  HttpRequest Presigned(seconds expires = seconds(300)) {
    HttpRequest request = KmsRequest();
    EXPECT_TRUE(PresignRequest(request, KmsParams(IsoTime("2013-05-24T00:00:00Z")), expires).ok());
    return request;
  }
  Status VerifyStatus(const HttpRequest& request) {
    StatusOr<VerifiedIdentity> result = verifier_.Verify(request);
    return result.ok() ? Status::Ok() : result.status();
  }

  FakeClock clock_{IsoTime("2013-05-24T00:00:00Z")};
  MapSecrets secrets_;
  SigV4Verifier verifier_{clock_, secrets_};
};

TEST_F(VerifierTest, SignedRequestRoundTrips) {
  const StatusOr<VerifiedIdentity> identity = verifier_.Verify(Signed());
  ASSERT_TRUE(identity.ok()) << identity.status().ToString();
  EXPECT_EQ(identity->access_key_id, kAkid);
  EXPECT_EQ(identity->region, "us-east-1");
  EXPECT_EQ(identity->service, "kms");
  EXPECT_EQ(identity->date, "20130524");
  EXPECT_TRUE(identity->session_token.empty());
}

TEST_F(VerifierTest, SessionTokenIsSignedAndReported) {
  HttpRequest request = KmsRequest();
  SigningParams params = KmsParams(clock_.Now());
  params.session_token = "FQoGZXIvYXdzEXAMPLE+/=";
  ASSERT_TRUE(SignRequest(request, params).ok());
  const StatusOr<VerifiedIdentity> identity = verifier_.Verify(request);
  ASSERT_TRUE(identity.ok()) << identity.status().ToString();
  EXPECT_EQ(identity->session_token, params.session_token);
  EXPECT_TRUE(identity->session_token_signed);
}

TEST_F(VerifierTest, PresignedRequestRoundTrips) { EXPECT_TRUE(VerifyStatus(Presigned()).ok()); }

TEST_F(VerifierTest, ExpiredMessageMatchesAws) {
  clock_.Set(IsoTime("2013-05-24T00:30:00Z"));
  const Status status = VerifyStatus(Signed());
  EXPECT_EQ(status.code(), ErrorCode::kSignatureExpired);
  EXPECT_EQ(status.message(),
            "Signature expired: 20130524T000000Z is now earlier than 20130524T001500Z (20130524T003000Z - 15 "
            "min.)");
}

TEST_F(VerifierTest, FutureMessageMatchesAws) {
  clock_.Set(IsoTime("2013-05-23T23:30:00Z"));
  const Status status = VerifyStatus(Signed());
  EXPECT_EQ(status.code(), ErrorCode::kSignatureExpired);
  EXPECT_EQ(status.message(),
            "Signature not yet current: 20130524T000000Z is still later than 20130523T234500Z "
            "(20130523T233000Z + 15 min.)");
}

TEST_F(VerifierTest, SkewBoundaryIsInclusive) {
  clock_.Set(IsoTime("2013-05-24T00:15:00Z"));
  EXPECT_TRUE(VerifyStatus(Signed()).ok());
  clock_.Set(IsoTime("2013-05-23T23:45:00Z"));
  EXPECT_TRUE(VerifyStatus(Signed()).ok());
}

TEST_F(VerifierTest, NoAuthenticationAtAll) {
  const Status status = VerifyStatus(KmsRequest());
  EXPECT_EQ(status.code(), ErrorCode::kMissingAuthenticationToken);
  EXPECT_EQ(status.message(), "Missing Authentication Token");
}

TEST_F(VerifierTest, IncompleteMessageNamesEveryMissingPartButNeverTheSignature) {
  HttpRequest request = KmsRequest();
  request.headers.emplace_back("Authorization", "AWS4-HMAC-SHA256 Signature=0123456789abcdef");
  const Status status = VerifyStatus(request);
  EXPECT_EQ(status.code(), ErrorCode::kIncompleteSignature);
  EXPECT_EQ(
      status.message(),
      "Authorization header requires 'Credential' parameter. Authorization header requires 'SignedHeaders' "
      "parameter. Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. "
      "Authorization=AWS4-HMAC-SHA256");
  EXPECT_EQ(status.message().find("0123456789abcdef"), std::string::npos);
}

TEST_F(VerifierTest, IncompleteMessageQuotesCredentialAndSignedHeaders) {
  HttpRequest request = Signed();
  SetHeaderValue(request, "authorization",
                 "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/kms/aws4_request, "
                 "SignedHeaders=host;x-amz-date");
  const Status status = VerifyStatus(request);
  EXPECT_EQ(status.code(), ErrorCode::kIncompleteSignature);
  EXPECT_EQ(
      status.message(),
      "Authorization header requires 'Signature' parameter. Authorization=AWS4-HMAC-SHA256 "
      "Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/kms/aws4_request, SignedHeaders=host;x-amz-date");
}

TEST_F(VerifierTest, ComponentsInAnyOrderWithOrWithoutSpaces) {
  HttpRequest request = Signed();
  std::string credential, signed_headers, signature;
  EditAuthorization(request, "Credential", [&](std::string v) { return credential = v; });
  EditAuthorization(request, "SignedHeaders", [&](std::string v) { return signed_headers = v; });
  EditAuthorization(request, "Signature", [&](std::string v) { return signature = v; });
  SetHeaderValue(request, "authorization",
                 "AWS4-HMAC-SHA256 Signature=" + signature + ",SignedHeaders=" + signed_headers +
                     ",  Credential=" + credential);
  EXPECT_TRUE(VerifyStatus(request).ok());
}

TEST_F(VerifierTest, UnsupportedAlgorithm) {
  HttpRequest request = Signed();
  EditAuthorization(request, "", [](std::string) { return std::string("AWS4-HMAC-SHA1"); });
  const Status status = VerifyStatus(request);
  EXPECT_EQ(status.code(), ErrorCode::kIncompleteSignature);
  EXPECT_EQ(status.message(), "Unsupported AWS 'algorithm': 'AWS4-HMAC-SHA1'.");
}

TEST_F(VerifierTest, ComponentWithoutEqualSign) {
  HttpRequest request = Signed();
  SetHeaderValue(request, "authorization", HeaderValue(request, "authorization") + ", Bogus");
  EXPECT_EQ(VerifyStatus(request).code(), ErrorCode::kIncompleteSignature);
}

TEST_F(VerifierTest, DuplicateAuthorizationHeader) {
  HttpRequest request = Signed();
  request.headers.emplace_back("authorization", HeaderValue(request, "authorization"));
  EXPECT_EQ(VerifyStatus(request).code(), ErrorCode::kIncompleteSignature);
}

TEST_F(VerifierTest, HeaderAndQueryAuthTogether) {
  HttpRequest request = Presigned();
  request.headers.emplace_back("Authorization", HeaderValue(Signed(), "authorization"));
  EXPECT_EQ(VerifyStatus(request).code(), ErrorCode::kIncompleteSignature);
}

TEST_F(VerifierTest, HostMustBeSigned) {
  HttpRequest request = Signed();
  EditAuthorization(request, "SignedHeaders", [](std::string) { return std::string("x-amz-date"); });
  const Status status = VerifyStatus(request);
  EXPECT_EQ(status.code(), ErrorCode::kIncompleteSignature);
  EXPECT_EQ(status.message(), "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.");
}

TEST_F(VerifierTest, ScopeMustEndInAws4Request) {
  HttpRequest request = Signed();
  EditAuthorization(request, "Credential",
                    [](std::string v) { return ReplaceFirst(v, "aws4_request", "aws4_reques"); });
  const Status status = VerifyStatus(request);
  EXPECT_EQ(status.code(), ErrorCode::kIncompleteSignature);
  EXPECT_EQ(status.message(),
            "Credential should be scoped with a valid terminator: 'aws4_request', not 'aws4_reques'.");
}

TEST_F(VerifierTest, MalformedCredentialScopes) {
  for (const char* credential :
       {"AKID", "AKID/20130524/us-east-1/kms", "/20130524/us-east-1/kms/aws4_request",
        "AKID/2013052/us-east-1/kms/aws4_request", "AKID/20130524//kms/aws4_request",
        "AKID/20130524/us-east-1/kms/aws4_request/extra", ""}) {
    HttpRequest request = Signed();
    EditAuthorization(request, "Credential", [credential](std::string) { return std::string(credential); });
    EXPECT_EQ(VerifyStatus(request).code(), ErrorCode::kIncompleteSignature) << credential;
  }
}

TEST_F(VerifierTest, ScopeDateMustMatchRequestDate) {
  HttpRequest request = Signed();
  EditAuthorization(request, "Credential",
                    [](std::string v) { return ReplaceFirst(v, "20130524", "20130523"); });
  const Status status = VerifyStatus(request);
  EXPECT_EQ(status.code(), ErrorCode::kInvalidSignature);
  EXPECT_EQ(status.message(),
            "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: "
            "'20130523' != "
            "'20130524', from '20130524T000000Z'.");
}

TEST_F(VerifierTest, MalformedXAmzDate) {
  for (const char* date :
       {"2013-05-24T00:00:00Z", "20130524T000000", "20131324T000000Z", "20130524T250000Z", ""}) {
    HttpRequest request = Signed();
    SetHeaderValue(request, "x-amz-date", date);
    EXPECT_EQ(VerifyStatus(request).code(), ErrorCode::kIncompleteSignature) << date;
  }
}

// A client that dates its request with the Date header (RFC 1123) only.
TEST_F(VerifierTest, DateHeaderWhenNoXAmzDate) {
  HttpRequest request = KmsRequest();
  request.headers.emplace_back("Date", "Fri, 24 May 2013 00:00:00 GMT");
  const std::vector<std::string> names = SortedNames(request);
  const std::string scope = "20130524/us-east-1/kms/aws4_request";
  const std::string sts =
      StringToSign("20130524T000000Z", scope, CanonicalRequest(request, names, BodyHash(request.body)));
  const crypto::Sha256Digest key =
      internal::DeriveSigningKey(AsBytes(kSecret), "20130524", "us-east-1", "kms");
  std::string signature;
  internal::AppendSignature(key, sts, signature);
  request.headers.emplace_back(
      "Authorization", std::string("AWS4-HMAC-SHA256 Credential=") + kAkid + "/" + scope +
                           ", SignedHeaders=content-type;date;host;x-amz-target, Signature=" + signature);
  EXPECT_TRUE(VerifyStatus(request).ok()) << VerifyStatus(request).ToString();
  SetHeaderValue(request, "date", "Fri, 24 May 2013 00:00:01 GMT");
  EXPECT_EQ(VerifyStatus(request).code(), ErrorCode::kInvalidSignature);
  SetHeaderValue(request, "date", "Friday, 24-May-13 00:00:00 GMT");
  EXPECT_EQ(VerifyStatus(request).code(), ErrorCode::kIncompleteSignature);
}

TEST_F(VerifierTest, UnknownAccessKey) {
  HttpRequest request = Signed();
  EditAuthorization(request, "Credential",
                    [](std::string v) { return ReplaceFirst(v, kAkid, "AKIANOTAKEY00000000"); });
  const Status status = VerifyStatus(request);
  EXPECT_EQ(status.code(), ErrorCode::kUnrecognizedClient);
  EXPECT_EQ(status.message(), "The security token included in the request is invalid.");
}

TEST_F(VerifierTest, StoreOutageIsNotReportedAsUnknownKey) {
  secrets_.fail_with = ErrorCode::kInternal;
  EXPECT_EQ(VerifyStatus(Signed()).code(), ErrorCode::kInternal);
}

TEST_F(VerifierTest, MismatchMessageMatchesAws) {
  HttpRequest request = Signed();
  request.body += " ";
  const Status status = VerifyStatus(request);
  EXPECT_EQ(status.code(), ErrorCode::kInvalidSignature);
  EXPECT_EQ(status.message(), kMismatch);
}

TEST_F(VerifierTest, SignatureComparisonIsExact) {
  for (const auto& edit : std::vector<ValueEdit>{
           [](std::string v) { return v.substr(0, 63); }, [](std::string v) { return v + "0"; },
           [](std::string v) {
             std::transform(v.begin(), v.end(), v.begin(), [](unsigned char c) { return std::toupper(c); });
             return v;
           },
           [](std::string) { return std::string(); }}) {
    HttpRequest request = Signed();
    EditAuthorization(request, "Signature", edit);
    EXPECT_EQ(VerifyStatus(request).code(), ErrorCode::kInvalidSignature);
  }
}

TEST_F(VerifierTest, UnsignedHeadersMayChange) {
  HttpRequest request = Signed();
  request.headers.emplace_back("User-Agent", "aws-cli/2.15");
  EXPECT_TRUE(VerifyStatus(request).ok());
}

TEST_F(VerifierTest, ClaimedPayloadHashCannotReplaceTheBody) {
  // The signer signs a claimed hash (S3 style) over a different body; KMS
  // hashes the received body, so this does not verify.
  HttpRequest request = KmsRequest();
  const std::string claimed = BodyHash(request.body);
  request.headers.emplace_back("x-amz-content-sha256", claimed);
  ASSERT_TRUE(SignRequest(request, KmsParams(clock_.Now())).ok());
  EXPECT_TRUE(VerifyStatus(request).ok());
  request.body = R"({"KeyId":"alias/other","Plaintext":"aGVsbG8="})";
  EXPECT_EQ(VerifyStatus(request).code(), ErrorCode::kInvalidSignature);
}

TEST_F(VerifierTest, PresignedExpiry) {
  const HttpRequest request = Presigned(seconds(300));
  clock_.Set(IsoTime("2013-05-24T00:05:00Z"));
  EXPECT_TRUE(VerifyStatus(request).ok());
  clock_.Set(IsoTime("2013-05-24T00:05:01Z"));
  const Status status = VerifyStatus(request);
  EXPECT_EQ(status.code(), ErrorCode::kSignatureExpired);
  EXPECT_EQ(status.message(),
            "Signature expired: 20130524T000000Z is now earlier than 20130524T000001Z (20130524T000501Z - "
            "300 sec.)");
}

TEST_F(VerifierTest, PresignedExpiresBounds) {
  for (const char* expires : {"604801", "-1", "abc", "", "1e3"}) {
    HttpRequest request = Presigned();
    EditQuery(request, "X-Amz-Expires", [expires](std::string) { return std::string(expires); });
    EXPECT_EQ(VerifyStatus(request).code(), ErrorCode::kIncompleteSignature) << expires;
  }
  HttpRequest request = KmsRequest();
  EXPECT_FALSE(PresignRequest(request, KmsParams(clock_.Now()), seconds(604801)).ok());
  request = KmsRequest();
  ASSERT_TRUE(PresignRequest(request, KmsParams(clock_.Now()), seconds(604800)).ok());
  clock_.Set(IsoTime("2013-05-31T00:00:00Z"));
  EXPECT_TRUE(VerifyStatus(request).ok());
}

TEST_F(VerifierTest, PresignedMissingParameters) {
  for (const char* name :
       {"X-Amz-Credential", "X-Amz-Date", "X-Amz-SignedHeaders", "X-Amz-Signature", "X-Amz-Expires"}) {
    HttpRequest request = Presigned();
    EditQuery(request, name, [](std::string) { return std::nullopt; });
    const Status status = VerifyStatus(request);
    EXPECT_EQ(status.code(), ErrorCode::kIncompleteSignature) << name;
    EXPECT_NE(status.message().find("AWS query-string parameters must include"), std::string::npos);
  }
}

TEST_F(VerifierTest, S3PresignedUrlUsesUnsignedPayload) {
  HttpRequest request;
  request.method = "GET";
  request.target = "/bucket/my%20key";
  request.headers = {{"Host", "s3.amazonaws.com"}};
  SigningParams params = KmsParams(clock_.Now());
  params.service = "s3";
  ASSERT_TRUE(PresignRequest(request, params, seconds(60)).ok());
  request.body = "anything";  // not signed for S3 presigned URLs
  EXPECT_TRUE(VerifyStatus(request).ok());
}

TEST(SigV4Canonical, PathEncodedOnceMoreAndNormalizedExceptForS3) {
  HttpRequest request;
  request.method = "GET";
  request.target = "/a%20b//./c/../d?x=1";
  EXPECT_EQ(CanonicalRequest(request, {}, "-"), "GET\n/a%2520b/d\nx=1\n\n\n-");
  EXPECT_EQ(CanonicalRequest(request, {}, "-", false), "GET\n/a%2520b//./c/../d\nx=1\n\n\n-");
  request.target = "";
  EXPECT_EQ(CanonicalRequest(request, {}, "-"), "GET\n/\n\n\n\n-");
}

TEST(SigV4Canonical, QueryDecodedReencodedAndSorted) {
  HttpRequest request;
  request.method = "GET";
  request.target = "/?b=2&a=%7e+&a=1&&c&%zz=%41";
  EXPECT_EQ(CanonicalRequest(request, {}, "-"), "GET\n/\n%25zz=A&a=1&a=~%2B&b=2&c=\n\n\n-");
}

TEST(SigV4Canonical, HeaderValuesTrimmedCollapsedAndJoined) {
  HttpRequest request;
  request.method = "GET";
  request.target = "/";
  request.headers = {{"X-A", "  one   two \t three  "}, {"x-a", "four"}, {"X-B", ""}};
  EXPECT_EQ(CanonicalRequest(request, {"x-a", "x-b", "x-c"}, "-"),
            "GET\n/\n\nx-a:one two three,four\nx-b:\nx-c:\n\nx-a;x-b;x-c\n-");
}

TEST(SigV4Dates, ParseAndFormat) {
  EXPECT_EQ(internal::FormatAmzDate(*internal::ParseAmzDate("20240229T235959Z")), "20240229T235959Z");
  EXPECT_FALSE(internal::ParseAmzDate("20230229T000000Z"));
  EXPECT_FALSE(internal::ParseAmzDate("20230101T000060Z"));
  EXPECT_FALSE(internal::ParseAmzDate("2023010aT000000Z"));
  EXPECT_EQ(internal::FormatAmzDate(*internal::ParseHttpDate("Sun, 06 Nov 1994 08:49:37 GMT")),
            "19941106T084937Z");
  EXPECT_FALSE(internal::ParseHttpDate("Sun, 06 Foo 1994 08:49:37 GMT"));
  EXPECT_FALSE(internal::ParseHttpDate("Sun, 06 Nov 1994 08:49:37 UTC"));
}

// ---------------------------------------------------------------------------
// The signing-key cache.

TEST_F(VerifierTest, SecretIsFetchedOnlyOnACacheMiss) {
  const HttpRequest request = Signed();
  ASSERT_TRUE(VerifyStatus(request).ok());
  ASSERT_TRUE(VerifyStatus(request).ok());
  EXPECT_EQ(secrets_.lookups, 1);
  verifier_.Forget(kAkid);
  ASSERT_TRUE(VerifyStatus(request).ok());
  EXPECT_EQ(secrets_.lookups, 2);
  verifier_.Forget("AKIAIOSFODNN7");  // a prefix of the id is another key
  ASSERT_TRUE(VerifyStatus(request).ok());
  EXPECT_EQ(secrets_.lookups, 2);
}

TEST_F(VerifierTest, ForgetStopsCachedKeyOfDeletedAccessKey) {
  const HttpRequest request = Signed();
  ASSERT_TRUE(VerifyStatus(request).ok());
  secrets_.Remove(kAkid);  // the key is deleted from the store
  EXPECT_TRUE(VerifyStatus(request).ok()) << "cached until forgotten";
  verifier_.Forget(kAkid);
  EXPECT_EQ(VerifyStatus(request).code(), ErrorCode::kUnrecognizedClient);
}

TEST_F(VerifierTest, FailedSignaturesAreNotCached) {
  HttpRequest bad = Signed();
  EditAuthorization(bad, "Signature", [](std::string v) { return std::string(v.size(), '0'); });
  EXPECT_EQ(VerifyStatus(bad).code(), ErrorCode::kInvalidSignature);
  EXPECT_EQ(VerifyStatus(bad).code(), ErrorCode::kInvalidSignature);
  EXPECT_EQ(secrets_.lookups, 2);
}

TEST(SigV4Cache, BoundedAndStillCorrect) {
  FakeClock clock(IsoTime("2013-05-24T00:00:00Z"));
  MapSecrets secrets;
  secrets.Add(kAkid, kSecret);
  SigV4Verifier verifier(clock, secrets, VerifierOptions{.max_cached_keys = 2});
  for (int round = 0; round < 3; ++round) {
    for (const char* region : {"us-east-1", "eu-west-1", "ap-south-1"}) {
      HttpRequest request = KmsRequest();
      SigningParams params = KmsParams(clock.Now());
      params.region = region;
      ASSERT_TRUE(SignRequest(request, params).ok());
      EXPECT_TRUE(verifier.Verify(request).ok()) << region;
    }
  }
  EXPECT_GT(secrets.lookups, 3);  // evictions forced re-derivation
}

TEST(SigV4Cache, ConcurrentVerifyAndForget) {
  FakeClock clock(IsoTime("2013-05-24T00:00:00Z"));
  MapSecrets secrets;
  secrets.Add(kAkid, kSecret);
  SigV4Verifier verifier(clock, secrets);
  HttpRequest request = KmsRequest();
  ASSERT_TRUE(SignRequest(request, KmsParams(clock.Now())).ok());
  std::atomic<int> failures{0};
  auto worker = [&] {
    for (int i = 0; i < 500; ++i) {
      if (!verifier.Verify(request).ok()) ++failures;
    }
  };
  std::thread a(worker), b(worker);
  for (int i = 0; i < 200; ++i) verifier.Forget(kAkid);
  a.join();
  b.join();
  EXPECT_EQ(failures.load(), 0);
}

}  // namespace
}  // namespace coffer::auth

// CloudTrail record fields for API calls and service events, and the removal
// of every secret-bearing member.
#include "audit/event.h"

#include <gtest/gtest.h>

namespace coffer::audit {
namespace {

using nlohmann::json;

server::RequestTrace EncryptTrace(const json& request, const json& response) {
  server::RequestTrace t;
  t.request_id = "req-1";
  t.time = std::chrono::system_clock::from_time_t(1'800'000'000);
  t.source_ip = "127.0.0.1";
  t.user_agent = "aws-cli/2";
  t.service = "kms";
  t.operation = "Encrypt";
  t.region = "eu-west-1";
  t.caller = {"111122223333", "alice", "AIDAEXAMPLE", "arn:aws:iam::111122223333:user/alice", "AKIAEXAMPLE"};
  t.request = &request;
  t.response = &response;
  return t;
}

TEST(ApiEvent, CarriesEveryCloudTrailField) {
  const json request = {{"KeyId", "1234abcd-12ab-34cd-56ef-1234567890ab"},
                        {"Plaintext", "c2VjcmV0"},
                        {"EncryptionContext", {{"Department", "x"}}}};
  const json response = {
      {"KeyId", "arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"},
      {"CiphertextBlob", "Y3Q="},
      {"EncryptionAlgorithm", "SYMMETRIC_DEFAULT"}};
  const json e = json::parse(BuildApiEvent(EncryptTrace(request, response), "event-1", "us-east-1"));
  EXPECT_EQ(e["eventVersion"], "1.08");
  EXPECT_EQ(e["eventTime"], "2027-01-15T08:00:00Z");
  EXPECT_EQ(e["eventSource"], "kms.amazonaws.com");
  EXPECT_EQ(e["eventName"], "Encrypt");
  EXPECT_EQ(e["awsRegion"], "eu-west-1");
  EXPECT_EQ(e["sourceIPAddress"], "127.0.0.1");
  EXPECT_EQ(e["userAgent"], "aws-cli/2");
  EXPECT_EQ(e["userIdentity"]["type"], "IAMUser");
  EXPECT_EQ(e["userIdentity"]["principalId"], "AIDAEXAMPLE");
  EXPECT_EQ(e["userIdentity"]["arn"], "arn:aws:iam::111122223333:user/alice");
  EXPECT_EQ(e["userIdentity"]["accountId"], "111122223333");
  EXPECT_EQ(e["userIdentity"]["accessKeyId"], "AKIAEXAMPLE");
  EXPECT_EQ(e["userIdentity"]["userName"], "alice");
  EXPECT_EQ(e["requestParameters"], json({{"keyId", "1234abcd-12ab-34cd-56ef-1234567890ab"},
                                          {"encryptionContext", {{"Department", "x"}}}}));
  EXPECT_TRUE(e["responseElements"].is_null());  // CloudTrail writes null for Encrypt
  EXPECT_EQ(e["requestID"], "req-1");
  EXPECT_EQ(e["eventID"], "event-1");
  EXPECT_EQ(e["readOnly"], true);
  ASSERT_EQ(e["resources"].size(), 1u);
  EXPECT_EQ(e["resources"][0]["ARN"], response["KeyId"]);
  EXPECT_EQ(e["resources"][0]["type"], "AWS::KMS::Key");
  EXPECT_EQ(e["resources"][0]["accountId"], "111122223333");
  EXPECT_EQ(e["eventType"], "AwsApiCall");
  EXPECT_EQ(e["managementEvent"], true);
  EXPECT_EQ(e["recipientAccountId"], "111122223333");
  EXPECT_EQ(e["eventCategory"], "Management");
  EXPECT_FALSE(e.contains("errorCode"));
  EXPECT_EQ(e.dump().find("c2VjcmV0"), std::string::npos);
  EXPECT_EQ(e.dump().find("Y3Q="), std::string::npos);
}

// eventSource is built in a 64-byte buffer; a longer service name takes the
// string path and must come out the same.
TEST(ApiEvent, AServiceNameTooLongForTheBufferStillNamesItsSource) {
  const json request = json::object();
  const json response = json::object();
  server::RequestTrace trace = EncryptTrace(request, response);
  trace.service = std::string(60, 'x');
  const json e = json::parse(BuildApiEvent(trace, "event-1", "us-east-1"));
  EXPECT_EQ(e["eventSource"], std::string(60, 'x') + ".amazonaws.com");
  trace.service = "secretsmanager";
  EXPECT_EQ(json::parse(BuildApiEvent(trace, "event-1", "us-east-1"))["eventSource"],
            "secretsmanager.amazonaws.com");
}

TEST(ApiEvent, FailedCallsCarryErrorCodeAndMessage) {
  const json request = {{"KeyId", "alias/missing"}};
  const json no_response;
  server::RequestTrace t = EncryptTrace(request, no_response);
  t.response = nullptr;
  t.status = Status(ErrorCode::kNotFound, "Alias alias/missing is not found.");
  const json e = json::parse(BuildApiEvent(t, "event-2", "us-east-1"));
  EXPECT_EQ(e["errorCode"], "NotFoundException");
  EXPECT_EQ(e["errorMessage"], "Alias alias/missing is not found.");
  EXPECT_TRUE(e["resources"].empty());  // an alias names no key ARN
}

TEST(ApiEvent, UnauthenticatedCallsStillNameTheAccessKeyAndDefaultRegion) {
  server::RequestTrace t;
  t.service = "kms";
  t.operation = "Encrypt";
  t.caller.access_key_id = "AKIAUNKNOWN";
  t.status = Status(ErrorCode::kUnrecognizedClient, "The security token included in the request is invalid.");
  const json e = json::parse(BuildApiEvent(t, "e", "us-east-1"));
  EXPECT_EQ(e["userIdentity"]["type"], "Unknown");
  EXPECT_EQ(e["userIdentity"]["accessKeyId"], "AKIAUNKNOWN");
  EXPECT_EQ(e["awsRegion"], "us-east-1");
  EXPECT_TRUE(e["requestParameters"].is_null());
}

TEST(ApiEvent, WriteCallsCarryResponseElementsWithDatesAsText) {
  const json request = {{"Description", "d"}};
  const json response = {{"KeyMetadata",
                          {{"KeyId", "k1"},
                           {"Arn", "arn:aws:kms:eu-west-1:111122223333:key/k1"},
                           {"CreationDate", 1'800'000'000.0}}}};
  server::RequestTrace t = EncryptTrace(request, response);
  t.operation = "CreateKey";
  const json e = json::parse(BuildApiEvent(t, "e", "us-east-1"));
  EXPECT_EQ(e["readOnly"], false);
  EXPECT_EQ(e["responseElements"]["keyMetadata"]["creationDate"], "2027-01-15T08:00:00Z");
  EXPECT_EQ(e["responseElements"]["keyMetadata"]["arn"], "arn:aws:kms:eu-west-1:111122223333:key/k1");
  EXPECT_EQ(e["resources"][0]["ARN"], "arn:aws:kms:eu-west-1:111122223333:key/k1");
}

TEST(ApiEvent, AssumedRoleCallersGetASessionContext) {
  const json request = json::object();
  const json response = json::object();
  server::RequestTrace t = EncryptTrace(request, response);
  t.caller.arn = "arn:aws:sts::111122223333:assumed-role/Admin/session1";
  t.caller.user_id = "AROAEXAMPLE:session1";
  const json id = json::parse(BuildApiEvent(t, "e", "us-east-1"))["userIdentity"];
  EXPECT_EQ(id["type"], "AssumedRole");
  EXPECT_EQ(id["sessionContext"]["sessionIssuer"]["arn"], "arn:aws:iam::111122223333:role/Admin");
  EXPECT_EQ(id["sessionContext"]["sessionIssuer"]["userName"], "Admin");
  EXPECT_EQ(id["sessionContext"]["sessionIssuer"]["principalId"], "AROAEXAMPLE");
}

// Caller-chosen text (user agent, encryption context) is escaped, and bytes
// that are not UTF-8 are replaced, so the record is always one valid JSON
// object.
TEST(ApiEvent, CallerTextIsEscapedIntoValidJson) {
  const json request = {{"KeyId", "k\"1"}, {"EncryptionContext", {{"a\"b\\c", "\n\x01"}}}};
  const json response = json::object();
  server::RequestTrace t = EncryptTrace(request, response);
  t.user_agent = std::string("agent\"\\\x02\xff", 9);
  const json e = json::parse(BuildApiEvent(t, "e", "us-east-1"));
  EXPECT_EQ(e["userAgent"], "agent\"\\\x02\xEF\xBF\xBD");
  EXPECT_EQ(e["requestParameters"]["keyId"], "k\"1");
  EXPECT_EQ(e["requestParameters"]["encryptionContext"]["a\"b\\c"], "\n\x01");
}

TEST(Sanitize, DropsEverySecretMemberAtAnyDepth) {
  const json in = {{"Plaintext", "p"},
                   {"CiphertextBlob", "c"},
                   {"SourceCiphertextBlob", "s"},
                   {"PrivateKeyPlaintext", "k"},
                   {"SecretString", "v"},
                   {"Nested", {{"SecretBinary", "b"}, {"Keep", 1}}},
                   {"List", json::array({{{"Mac", "m"}, {"Name", "n"}}})}};
  const json out = json::parse(SanitizedJson(in));
  EXPECT_EQ(out, json({{"nested", {{"keep", 1}}}, {"list", json::array({{{"name", "n"}}})}}));
}

TEST(Sanitize, DropsCustomKeyStoreSecrets) {
  const json in = {
      {"CustomKeyStoreName", "s"},
      {"KeyStorePassword", "kmsuser-password"},
      {"XksProxyAuthenticationCredential", {{"AccessKeyId", "AKID"}, {"RawSecretAccessKey", "secret"}}}};
  const json out = json::parse(SanitizedJson(in));
  EXPECT_EQ(out, json({{"customKeyStoreName", "s"},
                       {"xksProxyAuthenticationCredential", {{"accessKeyId", "AKID"}}}}));
}

TEST(Sanitize, KeepsEncryptionContextKeysVerbatim) {
  const json out = json::parse(SanitizedJson({{"EncryptionContext", {{"Purpose", "Test"}}}}));
  EXPECT_EQ(out, json({{"encryptionContext", {{"Purpose", "Test"}}}}));
}

TEST(ReadOnly, FollowsCloudTrailsClassification) {
  for (const char* op : {"Encrypt", "Decrypt", "GenerateDataKey", "DescribeKey", "ListKeys", "GetKeyPolicy",
                         "LookupEvents", "GenerateRandom", "GenerateDataKeyPair",
                         "GenerateDataKeyPairWithoutPlaintext", "ReEncrypt", "Sign", "Verify"}) {
    EXPECT_TRUE(IsReadOnly(op)) << op;
  }
  for (const char* op : {"CreateKey", "ScheduleKeyDeletion", "TagResource", "PutKeyPolicy", "CreateAlias"}) {
    EXPECT_FALSE(IsReadOnly(op)) << op;
  }
}

TEST(ServiceEvent, NamesTheKeyAndTheServiceAsCaller) {
  ServiceAction action{"RotateKey",
                       "kms",
                       "us-east-1",
                       "111122223333",
                       "arn:aws:kms:us-east-1:111122223333:key/k",
                       std::chrono::system_clock::from_time_t(1'800'000'000)};
  const json e = json::parse(BuildServiceEvent(action, "e9"));
  EXPECT_EQ(e["eventType"], "AwsServiceEvent");
  EXPECT_EQ(e["eventName"], "RotateKey");
  EXPECT_EQ(e["userIdentity"]["type"], "AWSService");
  EXPECT_EQ(e["userIdentity"]["invokedBy"], "kms.amazonaws.com");
  EXPECT_EQ(e["recipientAccountId"], "111122223333");
  EXPECT_EQ(e["resources"][0]["ARN"], action.key_arn);
  EXPECT_EQ(e["eventID"], "e9");
  EXPECT_EQ(e["readOnly"], false);
  EXPECT_EQ(e["managementEvent"], true);
}

}  // namespace
}  // namespace coffer::audit

// The XKS Proxy API bodies: what each decoder accepts and what it refuses,
// member by member, and the specification's own CDIV example.
#include "xks/wire.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "common/encoding.h"
#include "xks/proxy.h"

namespace coffer::xks {
namespace {

using nlohmann::json;

json Metadata() {
  return {{"awsPrincipalArn", "arn:aws:iam::123456789012:user/Alice"},
          {"kmsKeyArn", "arn:aws:kms:us-east-2:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"},
          {"kmsOperation", "Encrypt"},
          {"kmsRequestId", "4112f4d6-db54-4af4-ae30-c55a22a8dfae"}};
}

json EncryptBody() {
  return {{"requestMetadata", Metadata()},
          {"plaintext", "SGVsbG8gV29ybGQh"},
          {"encryptionAlgorithm", "AES_GCM"},
          {"additionalAuthenticatedData", "cHJvamVjdD1uaWxlLGRlcGFydG1lbnQ9bWFya2V0aW5n"},
          {"ciphertextDataIntegrityValueAlgorithm", "SHA_256"}};
}

json DecryptBody() {
  return {{"requestMetadata", Metadata()},
          {"ciphertext", "ghxkK1txeDNn3q8Y"},
          {"ciphertextMetadata", "a2V5X3ZlcnNpb249MQ=="},
          {"encryptionAlgorithm", "AES_GCM"},
          {"initializationVector", "HMrlRw85cAJUd5Ax"},
          {"authenticationTag", "vBxN2ncH1oEkR8WVXpmyYQ=="}};
}

ErrorCode EncryptCode(const json& body) {
  auto decoded = DecodeEncryptRequest(body.dump());
  return decoded.ok() ? ErrorCode::kOk : decoded.status().code();
}

ErrorCode DecryptCode(const json& body) {
  auto decoded = DecodeDecryptRequest(body.dump());
  return decoded.ok() ? ErrorCode::kOk : decoded.status().code();
}

Bytes Hex(std::string_view text) { return *HexDecode(text); }

TEST(XksWireTest, ErrorNamesCarryTheSpecificationsHttpStatus) {
  EXPECT_EQ(ErrorHttpStatus(ErrorName::kValidation), 400);
  EXPECT_EQ(ErrorHttpStatus(ErrorName::kInvalidCiphertext), 400);
  EXPECT_EQ(ErrorHttpStatus(ErrorName::kAuthenticationFailed), 401);
  EXPECT_EQ(ErrorHttpStatus(ErrorName::kAccessDenied), 403);
  EXPECT_EQ(ErrorHttpStatus(ErrorName::kKeyNotFound), 404);
  EXPECT_EQ(ErrorHttpStatus(ErrorName::kInvalidUriPath), 404);
  EXPECT_EQ(ErrorHttpStatus(ErrorName::kThrottling), 429);
  EXPECT_EQ(ErrorHttpStatus(ErrorName::kInternal), 500);
  EXPECT_EQ(ErrorHttpStatus(ErrorName::kUnsupportedOperation), 501);
  EXPECT_EQ(ErrorHttpStatus(ErrorName::kDependencyTimeout), 503);
  EXPECT_EQ(ParseErrorName("KeyNotFoundException"), ErrorName::kKeyNotFound);
  EXPECT_FALSE(ParseErrorName("NoSuchThing").has_value());
}

TEST(XksWireTest, ErrorBodyRoundTripsAndKeepsMessagesPrintableAndShort) {
  const std::string body = EncodeError({ErrorName::kInvalidState, std::string(600, 'x') + "\n"});
  auto decoded = DecodeError(body);
  ASSERT_TRUE(decoded.ok()) << decoded.status().message();
  EXPECT_EQ(decoded->name, ErrorName::kInvalidState);
  EXPECT_EQ(decoded->message.size(), 511u);
  const std::string with_newline = EncodeError({ErrorName::kValidation, "a\nb"});
  EXPECT_EQ(json::parse(with_newline)["errorMessage"], "a?b");
}

TEST(XksWireTest, ErrorBodyWithoutAKnownNameIsAnInvalidResponse) {
  EXPECT_EQ(DecodeError(R"({"errorName":"Whatever"})").status().code(), ErrorCode::kInternal);
  EXPECT_EQ(DecodeError(R"({"errorMessage":"x"})").status().code(), ErrorCode::kInternal);
  EXPECT_EQ(DecodeError("<html>").status().code(), ErrorCode::kInternal);
}

TEST(XksWireTest, EncryptRequestOfTheSpecificationDecodes) {
  auto decoded = DecodeEncryptRequest(EncryptBody().dump());
  ASSERT_TRUE(decoded.ok()) << decoded.status().message();
  EXPECT_EQ(AsChars(decoded->plaintext.view()), "Hello World!");
  ASSERT_TRUE(decoded->aad.has_value());
  EXPECT_EQ(AsChars(*decoded->aad), "project=nile,department=marketing");
  EXPECT_TRUE(decoded->want_integrity_value);
  EXPECT_EQ(decoded->metadata.kms_operation, "Encrypt");
}

TEST(XksWireTest, EncryptRequestRoundTripsThroughItsEncoder) {
  EncryptRequest request;
  request.metadata.aws_principal_arn = "arn:aws:iam::111122223333:user/alice";
  request.metadata.kms_key_arn = "arn:aws:kms:us-east-1:111122223333:key/k";
  request.metadata.kms_operation = "GenerateDataKey";
  request.metadata.kms_request_id = "r-1";
  request.metadata.kms_via_service = "s3.us-east-1.amazonaws.com";
  request.plaintext = SecretBytes(AsBytes("secret bytes"));
  request.aad = ToBytes("aad");
  auto decoded = DecodeEncryptRequest(EncodeEncryptRequest(request));
  ASSERT_TRUE(decoded.ok()) << decoded.status().message();
  EXPECT_EQ(AsChars(decoded->plaintext.view()), "secret bytes");
  EXPECT_EQ(decoded->metadata.kms_via_service, "s3.us-east-1.amazonaws.com");
  EXPECT_FALSE(decoded->want_integrity_value);
}

TEST(XksWireTest, EncryptRequestRefusesEachBadMember) {
  json body = EncryptBody();
  body.erase("requestMetadata");
  EXPECT_EQ(EncryptCode(body), ErrorCode::kValidation);

  body = EncryptBody();
  body["requestMetadata"].erase("kmsKeyArn");
  EXPECT_EQ(EncryptCode(body), ErrorCode::kValidation);

  body = EncryptBody();
  body["requestMetadata"].erase("awsPrincipalArn");
  EXPECT_EQ(EncryptCode(body), ErrorCode::kValidation);

  body = EncryptBody();
  body["requestMetadata"]["kmsKeyArn"] = std::string(kMaxArnChars + 1, 'a');
  EXPECT_EQ(EncryptCode(body), ErrorCode::kValidation);

  body = EncryptBody();
  body["plaintext"] = "not base64!";
  EXPECT_EQ(EncryptCode(body), ErrorCode::kValidation);

  body = EncryptBody();
  body.erase("plaintext");
  EXPECT_EQ(EncryptCode(body), ErrorCode::kValidation);

  body = EncryptBody();
  body["encryptionAlgorithm"] = "AES_CBC";
  EXPECT_EQ(EncryptCode(body), ErrorCode::kValidation);

  body = EncryptBody();
  body["ciphertextDataIntegrityValueAlgorithm"] = "MD5";
  EXPECT_EQ(EncryptCode(body), ErrorCode::kValidation);

  body = EncryptBody();
  body["extra"] = 1;
  EXPECT_EQ(EncryptCode(body), ErrorCode::kValidation);

  body = EncryptBody();
  body["plaintext"] = 42;
  EXPECT_EQ(EncryptCode(body), ErrorCode::kValidation);

  EXPECT_EQ(DecodeEncryptRequest("[1,2]").status().code(), ErrorCode::kValidation);
  EXPECT_EQ(DecodeEncryptRequest("{not json").status().code(), ErrorCode::kValidation);
}

TEST(XksWireTest, UnknownRequestMetadataMembersAreAccepted) {
  json body = EncryptBody();
  body["requestMetadata"]["kmsRecipientAttestationImageSha384"] = "abc";
  EXPECT_EQ(EncryptCode(body), ErrorCode::kOk);
}

TEST(XksWireTest, SizesBeyondTheSpecificationsMinimumAreUnsupported) {
  json body = EncryptBody();
  body["plaintext"] = Base64Encode(Bytes(kMaxPlaintextBytes, 1));
  EXPECT_EQ(EncryptCode(body), ErrorCode::kOk);
  body["plaintext"] = Base64Encode(Bytes(kMaxPlaintextBytes + 1, 1));
  EXPECT_EQ(EncryptCode(body), ErrorCode::kUnsupportedOperation);

  body = EncryptBody();
  body["additionalAuthenticatedData"] = Base64Encode(Bytes(kMaxAadBytes + 1, 1));
  EXPECT_EQ(EncryptCode(body), ErrorCode::kUnsupportedOperation);
}

TEST(XksWireTest, DecryptRequestChecksIvTagAndMetadataLengths) {
  EXPECT_EQ(DecryptCode(DecryptBody()), ErrorCode::kOk);

  json body = DecryptBody();
  body["initializationVector"] = Base64Encode(Bytes(11, 0));
  EXPECT_EQ(DecryptCode(body), ErrorCode::kValidation);
  body["initializationVector"] = Base64Encode(Bytes(16, 0));
  EXPECT_EQ(DecryptCode(body), ErrorCode::kOk);

  body = DecryptBody();
  body["authenticationTag"] = Base64Encode(Bytes(15, 0));
  EXPECT_EQ(DecryptCode(body), ErrorCode::kValidation);

  body = DecryptBody();
  body["ciphertextMetadata"] = Base64Encode(Bytes(21, 0));
  EXPECT_EQ(DecryptCode(body), ErrorCode::kValidation);

  body = DecryptBody();
  body.erase("initializationVector");
  EXPECT_EQ(DecryptCode(body), ErrorCode::kValidation);

  body = DecryptBody();
  body.erase("ciphertext");
  EXPECT_EQ(DecryptCode(body), ErrorCode::kValidation);
}

TEST(XksWireTest, MetadataRequestMayOmitTheKeyArnButNotTheRequestId) {
  json body = {{"requestMetadata", Metadata()}};
  body["requestMetadata"].erase("kmsKeyArn");
  EXPECT_TRUE(DecodeMetadataRequest(body.dump()).ok());
  body["requestMetadata"].erase("kmsRequestId");
  EXPECT_EQ(DecodeMetadataRequest(body.dump()).status().code(), ErrorCode::kValidation);
}

TEST(XksWireTest, HealthRequestNeedsRequestIdAndOperation) {
  EXPECT_TRUE(DecodeHealthRequest(EncodeHealthRequest({"id-1", "KmsHealthCheck"})).ok());
  EXPECT_EQ(DecodeHealthRequest(R"({"requestMetadata":{"kmsRequestId":"x"}})").status().code(),
            ErrorCode::kValidation);
  EXPECT_EQ(DecodeHealthRequest(R"({"requestMetadata":"x"})").status().code(), ErrorCode::kValidation);
}

TEST(XksWireTest, EncryptResponseIsCheckedAgainstTheRequest) {
  EncryptResponse response{Bytes(5, 1), {}, Bytes(12, 2), Bytes(16, 3), {}};
  const std::string body = EncodeEncryptResponse(response);
  EXPECT_TRUE(DecodeEncryptResponse(body, 5).ok());
  EXPECT_EQ(DecodeEncryptResponse(body, 6).status().code(), ErrorCode::kInternal);

  response.tag = Bytes(12, 3);
  EXPECT_EQ(DecodeEncryptResponse(EncodeEncryptResponse(response), 5).status().code(), ErrorCode::kInternal);
  response.tag = Bytes(16, 3);
  response.iv = Bytes(8, 2);
  EXPECT_EQ(DecodeEncryptResponse(EncodeEncryptResponse(response), 5).status().code(), ErrorCode::kInternal);
  response.iv = Bytes(12, 2);
  response.ciphertext_metadata = Bytes(21, 4);
  EXPECT_EQ(DecodeEncryptResponse(EncodeEncryptResponse(response), 5).status().code(), ErrorCode::kInternal);
}

TEST(XksWireTest, DecryptResponseMustBeAsLongAsTheCiphertext) {
  const std::string body = EncodeDecryptResponse(AsBytes("abc"));
  auto ok = DecodeDecryptResponse(body, 3);
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(AsChars(ok->view()), "abc");
  EXPECT_EQ(DecodeDecryptResponse(body, 4).status().code(), ErrorCode::kInternal);
}

TEST(XksWireTest, KeyMetadataResponseRefusesMalformedUsage) {
  const KeyMetadata metadata{"AES_256", {"ENCRYPT", "DECRYPT"}, "ENABLED"};
  auto decoded = DecodeKeyMetadata(EncodeKeyMetadata(metadata));
  ASSERT_TRUE(decoded.ok());
  EXPECT_EQ(decoded->key_usage.size(), 2u);
  EXPECT_EQ(DecodeKeyMetadata(R"({"keySpec":"AES_256","keyUsage":"ENCRYPT","keyStatus":"ENABLED"})")
                .status()
                .code(),
            ErrorCode::kInternal);
  EXPECT_EQ(
      DecodeKeyMetadata(R"({"keySpec":"AES_256","keyUsage":[1],"keyStatus":"ENABLED"})").status().code(),
      ErrorCode::kInternal);
}

TEST(XksWireTest, HealthResponseNeedsOneToTenKnownStatuses) {
  HealthStatus health{
      2, "Acme Corp", "Acme XKS Proxy 1.0", "Thales Group", {{"hsm-1", "Luna 5.0", "DEGRADED"}}};
  auto decoded = DecodeHealthStatus(EncodeHealthStatus(health));
  ASSERT_TRUE(decoded.ok()) << decoded.status().message();
  EXPECT_EQ(decoded->proxy_fleet_size, 2);
  EXPECT_EQ(decoded->ekm_fleet[0].health_status, "DEGRADED");

  health.ekm_fleet[0].health_status = "FINE";
  EXPECT_EQ(DecodeHealthStatus(EncodeHealthStatus(health)).status().code(), ErrorCode::kInternal);
  health.ekm_fleet.clear();
  EXPECT_EQ(DecodeHealthStatus(EncodeHealthStatus(health)).status().code(), ErrorCode::kInternal);
  health.ekm_fleet.assign(11, {"id", "model", "ACTIVE"});
  EXPECT_EQ(DecodeHealthStatus(EncodeHealthStatus(health)).status().code(), ErrorCode::kInternal);
}

// Appendix C of the specification: its 86-byte example and its CDIV.
TEST(XksWireTest, IntegrityValueMatchesTheSpecificationsExample) {
  EncryptResponse response;
  response.ciphertext_metadata = ToBytes("key_version=1");
  response.iv = Hex("1ccae5470f39700254779031");
  response.ciphertext = Hex("821c642b5b71783367deaf18");
  response.tag = Hex("bc1c4dda7707d6812447c5955e99b261");
  const Bytes cdiv = IntegrityValue(ToBytes("project=nile,department=marketing"), response);
  EXPECT_EQ(Base64Encode(cdiv), "qHA/ImC9h5HsLRXqCyPmWgYx7tzyoTplzILbP0fPXsc=");
}

TEST(XksWireTest, GcmAadPrefixesBothLengths) {
  EXPECT_EQ(GcmAad(std::nullopt, {}), (Bytes{0, 0, 0}));
  const Bytes metadata = {9, 8};
  EXPECT_EQ(GcmAad(Bytes{'a', 'b', 'c'}, metadata), (Bytes{0, 3, 'a', 'b', 'c', 2, 9, 8}));
  // No aad + metadata differs from metadata passed as aad.
  EXPECT_NE(GcmAad(std::nullopt, metadata), GcmAad(metadata, {}));
}

TEST(XksWireTest, ExternalKeyIdsFollowTheSpecificationsCharacterSet) {
  EXPECT_TRUE(IsValidExternalKeyId("b42c7fbf-de61-441c-ae24-123456789012"));
  EXPECT_TRUE(IsValidExternalKeyId("key.v1_A"));
  EXPECT_FALSE(IsValidExternalKeyId(""));
  EXPECT_FALSE(IsValidExternalKeyId("a/b"));
  EXPECT_FALSE(IsValidExternalKeyId(std::string(129, 'a')));
}

TEST(XksProxyConfigTest, UriPathMustEndWithTheApiVersion) {
  EXPECT_TRUE(CheckUriPath("/kms/xks/v1").ok());
  EXPECT_TRUE(CheckUriPath("/keystores/4a0d79d6-1d1b_x/kms/xks/v1").ok());
  EXPECT_FALSE(CheckUriPath("/kms/xks/v2").ok());
  EXPECT_FALSE(CheckUriPath("kms/xks/v1").ok());
  EXPECT_FALSE(CheckUriPath("/a b/kms/xks/v1").ok());
  EXPECT_FALSE(CheckUriPath("/a//kms/xks/v1").ok());
  EXPECT_FALSE(CheckUriPath("/" + std::string(120, 'a') + "/kms/xks/v1").ok());
}

TEST(XksProxyConfigTest, CredentialFollowsAwsLengthsAndCharacters) {
  const std::string secret(43, 'A');
  EXPECT_TRUE(CheckProxyCredential("AKIAI2SFODNN7EXAMPLE", AsBytes(secret)).ok());
  EXPECT_FALSE(CheckProxyCredential("AKIAI2SFODNN7EXAMPL", AsBytes(secret)).ok());   // 19
  EXPECT_FALSE(CheckProxyCredential("AKIAI2SFODNN7EXAMPL1", AsBytes(secret)).ok());  // '1'
  EXPECT_FALSE(CheckProxyCredential("AKIAI2SFODNN7EXAMPLE", AsBytes(std::string(42, 'A'))).ok());
  EXPECT_FALSE(CheckProxyCredential("AKIAI2SFODNN7EXAMPLE", AsBytes(std::string(43, '-'))).ok());
}

}  // namespace
}  // namespace coffer::xks

// Coffer's XKS client against Coffer's XKS proxy over a real loopback HTTP
// listener, the proxy backed by KMS keys of an in-memory store: round trips,
// and each way a request is refused (signature, path, body, key, tampering).
#include "net/test_listener.h"
#include "xks/backend.h"
#include "xks/xks_test_util.h"

namespace coffer::xks {
namespace {

using namespace coffer::xks::testing;  // NOLINT(google-build-using-namespace): the fixture's vocabulary

TEST_F(XksLoopbackTest, HealthCheckReportsAnActiveKeyManager) {
  auto health = Client()->GetHealthStatus({"req-1", "ConnectCustomKeyStore"});
  ASSERT_TRUE(health.ok()) << health.status().message();
  EXPECT_EQ(health->proxy_vendor, "Coffer");
  ASSERT_EQ(health->ekm_fleet.size(), 1u);
  EXPECT_EQ(health->ekm_fleet[0].health_status, "ACTIVE");
}

TEST_F(XksLoopbackTest, MetadataOfASymmetricKeyIsAnEnabledAes256Key) {
  auto metadata = Client()->GetKeyMetadata(key_id_, {Meta("CreateKey")});
  ASSERT_TRUE(metadata.ok()) << metadata.status().message();
  EXPECT_EQ(metadata->key_spec, "AES_256");
  EXPECT_EQ(metadata->key_usage, (std::vector<std::string>{"ENCRYPT", "DECRYPT"}));
  EXPECT_EQ(metadata->key_status, "ENABLED");

  MustCall("DisableKey", {{"KeyId", key_id_}});
  metadata = Client()->GetKeyMetadata(key_id_, {Meta("DescribeKey")});
  ASSERT_TRUE(metadata.ok());
  EXPECT_EQ(metadata->key_status, "DISABLED");
}

TEST_F(XksLoopbackTest, MetadataOfAnAsymmetricKeyIsNotAes) {
  const std::string rsa = CreateKeyId({{"KeySpec", "RSA_2048"}, {"KeyUsage", "SIGN_VERIFY"}});
  auto metadata = Client()->GetKeyMetadata(rsa, {Meta("CreateKey")});
  ASSERT_TRUE(metadata.ok());
  EXPECT_EQ(metadata->key_spec, "RSA_2048");
  EXPECT_EQ(ConnectionErrorCodeFor(Status::Ok()), "INTERNAL_ERROR");  // not a call failure
}

TEST_F(XksLoopbackTest, EncryptThenDecryptRoundTripsWithAad) {
  const EncryptResponse sealed = MustEncrypt("attack at dawn", ToBytes("context"));
  EXPECT_EQ(sealed.iv.size(), 12u);
  EXPECT_EQ(sealed.tag.size(), 16u);
  EXPECT_EQ(sealed.ciphertext.size(), 14u);
  EXPECT_EQ(sealed.ciphertext_metadata.size(), 17u);
  auto plaintext = Client()->Decrypt(key_id_, DecryptOf(sealed, ToBytes("context")));
  ASSERT_TRUE(plaintext.ok()) << plaintext.status().message();
  EXPECT_EQ(AsChars(plaintext->view()), "attack at dawn");
}

TEST_F(XksLoopbackTest, CiphertextsFromBeforeARotationStillDecrypt) {
  const EncryptResponse sealed = MustEncrypt("old", std::nullopt);
  MustCall("RotateKeyOnDemand", {{"KeyId", key_id_}});
  const EncryptResponse newer = MustEncrypt("new", std::nullopt);
  EXPECT_NE(sealed.ciphertext_metadata, newer.ciphertext_metadata);
  auto plaintext = Client()->Decrypt(key_id_, DecryptOf(sealed, std::nullopt));
  ASSERT_TRUE(plaintext.ok()) << plaintext.status().message();
  EXPECT_EQ(AsChars(plaintext->view()), "old");
}

TEST_F(XksLoopbackTest, TamperedCiphertextTagIvAadOrMetadataIsInvalidCiphertext) {
  const EncryptResponse sealed = MustEncrypt("attack at dawn", ToBytes("context"));
  auto expect_invalid = [&](DecryptRequest request, const char* what) {
    auto result = Client()->Decrypt(key_id_, request);
    ASSERT_FALSE(result.ok()) << what;
    EXPECT_EQ(ProxyErrorOf(result.status()), ErrorName::kInvalidCiphertext) << what;
  };
  DecryptRequest request = DecryptOf(sealed, ToBytes("context"));
  request.ciphertext[0] ^= 1;
  expect_invalid(std::move(request), "ciphertext");
  request = DecryptOf(sealed, ToBytes("context"));
  request.tag[15] ^= 1;
  expect_invalid(std::move(request), "tag");
  request = DecryptOf(sealed, ToBytes("context"));
  request.iv[0] ^= 1;
  expect_invalid(std::move(request), "iv");
  expect_invalid(DecryptOf(sealed, ToBytes("other")), "aad");
  expect_invalid(DecryptOf(sealed, std::nullopt), "missing aad");
  request = DecryptOf(sealed, ToBytes("context"));
  request.ciphertext_metadata[0] = 2;
  expect_invalid(std::move(request), "metadata format");
  request = DecryptOf(sealed, ToBytes("context"));
  request.ciphertext_metadata[5] ^= 1;
  expect_invalid(std::move(request), "metadata version");
}

TEST_F(XksLoopbackTest, WrongSecretIsAuthenticationFailed) {
  auto result =
      Client("FYtE5EFA5FT0mCc3DrGUe2sti527BitkQ0Zr9MO9fvX")->GetHealthStatus({"r", "KmsHealthCheck"});
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(ProxyErrorOf(result.status()), ErrorName::kAuthenticationFailed);
  EXPECT_EQ(ConnectionErrorCodeFor(result.status()), "INVALID_CREDENTIALS");
  EXPECT_EQ(CryptoErrorFor(result.status()).code(), ErrorCode::kInvalidState);
}

TEST_F(XksLoopbackTest, UnsignedOrWronglyScopedRequestsAreRefusedWith401) {
  envelope::KmsClientOptions options;
  options.endpoint = Endpoint();
  auto transport = envelope::NewBeastTransport(options);
  ASSERT_TRUE(transport.ok());
  auto unsigned_answer = (*transport)
                             ->Send({"POST",
                                     std::string(kUriPath) + "/health",
                                     {{"Host", "127.0.0.1"}},
                                     EncodeHealthRequest({"r", "KmsHealthCheck"})});
  ASSERT_TRUE(unsigned_answer.ok());
  EXPECT_EQ(unsigned_answer->status, 401);
  EXPECT_EQ(ErrorNameIn(*unsigned_answer), "AuthenticationFailedException");

  // Signed for service "kms" instead of kms-xks-proxy.
  auth::HttpRequest request{"POST",
                            std::string(kUriPath) + "/health",
                            {{"Host", "127.0.0.1:" + std::to_string(server_->port())}},
                            EncodeHealthRequest({"r", "KmsHealthCheck"})};
  auth::SigningParams params{
      std::string(kAccessKeyId), std::string(kSecret), "", std::string(kRegion), "kms", clock_.Now()};
  ASSERT_TRUE(auth::SignRequest(request, params).ok());
  auto answer = (*transport)->Send({"POST", request.target, request.headers, request.body});
  ASSERT_TRUE(answer.ok());
  EXPECT_EQ(answer->status, 401);
}

TEST_F(XksLoopbackTest, StaleSignaturesAreRefused) {
  auto client = Client();
  // The proxy's clock moves on; this client signs 6 minutes behind it.
  clock_.Advance(std::chrono::minutes(6));
  FakeClock behind(clock_.Now() - std::chrono::minutes(6));
  ClientOptions options{Endpoint(),
                        std::string(kUriPath),
                        std::string(kAccessKeyId),
                        SecretBytes(AsBytes(kSecret)),
                        std::string(kRegion),
                        std::chrono::seconds(1),
                        ""};
  auto stale = XksClient::Create(std::move(options), behind);
  ASSERT_TRUE(stale.ok());
  auto result = (*stale)->GetHealthStatus({"r", "KmsHealthCheck"});
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(ProxyErrorOf(result.status()), ErrorName::kAuthenticationFailed);
  EXPECT_TRUE(client->GetHealthStatus({"r", "KmsHealthCheck"}).ok());
}

TEST_F(XksLoopbackTest, PathsUnderThePrefixThatNameNoOperationAreInvalidUriPath) {
  const std::string metadata = EncodeMetadataRequest({Meta("DescribeKey")});
  const std::vector<std::string> suffixes = {
      "/keys/" + key_id_ + "/sign", "/keys/" + key_id_, "/keys//metadata",
      "/keys/a/b/metadata",         "/nothing",         ""};
  for (const std::string& suffix : suffixes) {
    auto answer = RawPost(std::string(kUriPath) + suffix, metadata);
    EXPECT_EQ(answer.status, 404) << suffix;
    EXPECT_EQ(ErrorNameIn(answer), "InvalidUriPathException") << suffix;
  }
  EXPECT_FALSE(proxy_.Claims("/tenant-2/kms/xks/v1/health"));
  EXPECT_FALSE(proxy_.Claims("/tenant-1/kms/xks/v1x/health"));
  EXPECT_TRUE(proxy_.Claims("/tenant-1/kms/xks/v1/health?x=1"));
}

TEST_F(XksLoopbackTest, GetIsMethodNotAllowed) {
  auto answer = RawPost(std::string(kUriPath) + "/health", "", "GET");
  EXPECT_EQ(answer.status, 405);
}

TEST_F(XksLoopbackTest, MalformedBodiesAreValidationExceptions) {
  const std::string target = std::string(kUriPath) + "/keys/" + key_id_ + "/encrypt";
  const std::vector<std::string> bodies = {"{not json", "[]", R"({"plaintext":"AA=="})"};
  for (const std::string& body : bodies) {
    auto answer = RawPost(target, body);
    EXPECT_EQ(answer.status, 400) << body;
    EXPECT_EQ(ErrorNameIn(answer), "ValidationException") << body;
  }
  auto health = RawPost(std::string(kUriPath) + "/health", "{}");
  EXPECT_EQ(ErrorNameIn(health), "ValidationException");
}

TEST_F(XksLoopbackTest, OversizedPlaintextIsUnsupportedOperation) {
  EncryptRequest request{Meta("Encrypt"), SecretBytes(Bytes(kMaxPlaintextBytes + 1, 7)), std::nullopt, false};
  auto result = Client()->Encrypt(key_id_, request);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(ProxyErrorOf(result.status()), ErrorName::kUnsupportedOperation);
}

TEST_F(XksLoopbackTest, UnknownKeyIsKeyNotFound) {
  auto result = Client()->GetKeyMetadata("00000000-0000-0000-0000-000000000000", {Meta("CreateKey")});
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(ProxyErrorOf(result.status()), ErrorName::kKeyNotFound);
  EXPECT_EQ(CreateKeyErrorFor(result.status()).type(), "XksKeyNotFoundException");
}

TEST_F(XksLoopbackTest, DisabledKeyIsInvalidStateForCrypto) {
  const EncryptResponse sealed = MustEncrypt("x", std::nullopt);
  MustCall("DisableKey", {{"KeyId", key_id_}});
  EncryptRequest request{Meta("Encrypt"), SecretBytes(AsBytes("y")), std::nullopt, false};
  auto encrypted = Client()->Encrypt(key_id_, request);
  ASSERT_FALSE(encrypted.ok());
  EXPECT_EQ(ProxyErrorOf(encrypted.status()), ErrorName::kInvalidState);
  auto decrypted = Client()->Decrypt(key_id_, DecryptOf(sealed, std::nullopt));
  ASSERT_FALSE(decrypted.ok());
  EXPECT_EQ(ProxyErrorOf(decrypted.status()), ErrorName::kInvalidState);
  EXPECT_EQ(CreateKeyErrorFor(decrypted.status()).type(), "XksKeyInvalidConfigurationException");
}

TEST_F(XksLoopbackTest, AsymmetricKeyIsInvalidKeyUsageForCrypto) {
  const std::string rsa = CreateKeyId({{"KeySpec", "RSA_2048"}, {"KeyUsage", "SIGN_VERIFY"}});
  EncryptRequest request{Meta("Encrypt"), SecretBytes(AsBytes("y")), std::nullopt, false};
  auto result = Client()->Encrypt(rsa, request);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(ProxyErrorOf(result.status()), ErrorName::kInvalidKeyUsage);
}

// A health check from a client of `endpoint` / `path`: the failed call's
// Status, or kOk when it succeeded.
Status HealthCheckAgainst(const std::string& endpoint, const std::string& path = "/kms/xks/v1") {
  FakeClock clock(FromEpochMillis(1'704'067'200'000));
  ClientOptions options;
  options.uri_endpoint = endpoint;
  options.uri_path = path;
  options.access_key_id = std::string(kAccessKeyId);
  options.secret = SecretBytes(AsBytes(kSecret));
  options.region = "us-east-1";
  options.timeout = std::chrono::seconds(1);
  auto client = XksClient::Create(std::move(options), clock);
  if (!client.ok()) return client.status();
  auto result = (*client)->GetHealthStatus({"r", "ConnectCustomKeyStore"});
  return result.ok() ? Status::Ok() : result.status();
}

std::string Loopback(std::uint16_t port) { return "http://127.0.0.1:" + std::to_string(port); }

TEST(XksClientTest, NoListenerIsNotReachable) {
  std::uint16_t port = 0;
  {
    net::TestListener listener(true);  // take a free port, then let it go
    port = listener.port();
    envelope::KmsClientOptions options;
    options.endpoint = Loopback(port);
    auto transport = envelope::NewBeastTransport(options);
    (void)(*transport)->Send({"GET", "/", {{"Host", "x"}}, ""});
  }
  const Status failure = HealthCheckAgainst(Loopback(port));
  EXPECT_EQ(FailureOf(failure).kind, Failure::kNotReachable);
  EXPECT_EQ(ConnectionErrorCodeFor(failure), "XKS_PROXY_NOT_REACHABLE");
}

TEST(XksClientTest, SilentProxyTimesOut) {
  net::TestListener silent(false);
  EXPECT_EQ(ConnectionErrorCodeFor(HealthCheckAgainst(Loopback(silent.port()))), "XKS_PROXY_TIMED_OUT");
}

TEST(XksClientTest, AnswerWithoutAnXksBodyIsAnInvalidResponse) {
  net::TestListener answers_204(true);
  const Status failure = HealthCheckAgainst(Loopback(answers_204.port()));
  EXPECT_EQ(ConnectionErrorCodeFor(failure), "XKS_PROXY_INVALID_RESPONSE");
  EXPECT_EQ(CryptoErrorFor(failure).code(), ErrorCode::kInvalidState);
}

TEST(XksClientTest, BadEndpointOrPathIsRefusedBeforeAnyCall) {
  EXPECT_EQ(HealthCheckAgainst("http://127.0.0.1:1", "/kms/xks").code(), ErrorCode::kValidation);
  EXPECT_EQ(HealthCheckAgainst("ftp://x").code(), ErrorCode::kValidation);
}

}  // namespace
}  // namespace coffer::xks

// The KMS client: signing, retries with backoff and jitter (no real sleep:
// a recording sleeper and fixed randomness), error mapping, configuration.
#include <cstdio>
#include <filesystem>
#include <fstream>

#include "envelope/kms/endpoint.h"
#include "envelope/kms/kms_test_util.h"
#include "net/test_listener.h"

namespace coffer::envelope {
namespace {

using testing::FakeKms;
using testing::MakeTestClient;

HttpResponse Throttled() { return FakeKms::Error("ThrottlingException"); }
HttpResponse DataKeyAnswer() {
  return FakeKms::Ok({{"KeyId", "arn:aws:kms:us-east-1:111122223333:key/k1"},
                      {"Plaintext", Base64Encode(Bytes(32, 7))},
                      {"CiphertextBlob", Base64Encode(Bytes(5, 1))}});
}

class SecretOf final : public auth::SecretKeySource {
 public:
  StatusOr<SecretBytes> SecretKeyFor(std::string_view id) override {
    if (id != "AKIDEXAMPLE") return NotFoundError("unknown");
    return SecretBytes(AsBytes("secret"));
  }
};

TEST(KmsClientTest, SignsAJson11CallTheServerVerifierAccepts) {
  auto t = MakeTestClient();
  t.transport->script.push_back(DataKeyAnswer());
  auto key = t.client->GenerateDataKey("alias/app", 32, {{"purpose", "test"}});
  ASSERT_TRUE(key.ok()) << key.status().ToString();
  EXPECT_EQ(key->key_id, "arn:aws:kms:us-east-1:111122223333:key/k1");
  EXPECT_EQ(Bytes(key->plaintext.view().begin(), key->plaintext.view().end()), Bytes(32, 7));
  EXPECT_EQ(key->ciphertext, Bytes(5, 1));
  ASSERT_EQ(t.transport->calls.size(), 1u);
  const HttpCall& call = t.transport->calls[0];
  EXPECT_EQ(testing::HeaderValue(call, "X-Amz-Target"), "TrentService.GenerateDataKey");
  EXPECT_EQ(testing::HeaderValue(call, "Host"), "127.0.0.1:9");
  const auto body = nlohmann::json::parse(call.body);
  EXPECT_EQ(body["KeyId"], "alias/app");
  EXPECT_EQ(body["NumberOfBytes"], 32);
  EXPECT_EQ(body["EncryptionContext"]["purpose"], "test");
  const FakeClock clock(testing::kTestTime);
  SecretOf secrets;
  auth::SigV4Verifier verifier(clock, secrets);
  auto identity = verifier.Verify({call.method, call.target, call.headers, call.body});
  ASSERT_TRUE(identity.ok()) << identity.status().ToString();
  EXPECT_EQ(identity->service, "kms");
  EXPECT_EQ(identity->region, "us-east-1");
}

TEST(KmsClientTest, RetriesThrottlingAnd5xxWithJitteredExponentialBackoff) {
  auto t = MakeTestClient(testing::TestClientOptions(), 1000);
  t.transport->script.push_back(Throttled());
  t.transport->script.push_back(HttpResponse{503, "{}"});
  t.transport->script.push_back(Status(ErrorCode::kUnavailable, "connection refused"));
  t.transport->script.push_back(DataKeyAnswer());
  ASSERT_TRUE(t.client->GenerateDataKey("k", 32, {}).ok());
  EXPECT_EQ(t.transport->calls.size(), 4u);
  // base 50 ms: caps 50, 100, 200; delay = random % (cap + 1).
  EXPECT_EQ(t.sleeper->slept, (std::vector<std::int64_t>{1000 % 51, 1000 % 101, 1000 % 201}));
}

TEST(KmsClientTest, BackoffIsCappedByMaxDelay) {
  KmsClientOptions options = testing::TestClientOptions();
  options.max_attempts = 4;
  options.max_delay = std::chrono::milliseconds(60);
  auto t = MakeTestClient(options, ~std::uint64_t{0});
  for (int i = 0; i < 4; ++i) t.transport->script.push_back(Throttled());
  auto result = t.client->GenerateDataKey("k", 32, {});
  EXPECT_EQ(result.status().code(), ErrorCode::kThrottling);
  EXPECT_EQ(t.transport->calls.size(), 4u);
  ASSERT_EQ(t.sleeper->slept.size(), 3u);
  for (auto d : t.sleeper->slept) EXPECT_LE(d, 60);
}

TEST(KmsClientTest, ClientErrorsAreNotRetriedAndKeepTheirName) {
  auto t = MakeTestClient();
  t.transport->script.push_back(HttpResponse{
      400, R"({"__type":"com.amazonaws.kms#NotFoundException","message":"Key 'x' does not exist"})"});
  auto result = t.client->Decrypt("x", Bytes(3, 1), {});
  EXPECT_EQ(result.status().code(), ErrorCode::kNotFound);
  EXPECT_NE(result.status().message().find("NotFoundException: Key 'x' does not exist"), std::string::npos);
  EXPECT_EQ(t.transport->calls.size(), 1u);
  EXPECT_TRUE(t.sleeper->slept.empty());
  t.transport->script.push_back(HttpResponse{400, "not json"});
  EXPECT_NE(t.client->Decrypt("x", Bytes(3, 1), {}).status().message().find("without an error body"),
            std::string::npos);
}

TEST(KmsClientTest, MalformedSuccessAnswersAreErrors) {
  auto t = MakeTestClient();
  t.transport->script.push_back(HttpResponse{200, "[]"});
  EXPECT_NE(t.client->Decrypt("k", Bytes(1), {}).status().message().find("not a JSON object"),
            std::string::npos);
  t.transport->script.push_back(FakeKms::Ok({{"KeyId", "k"}}));
  EXPECT_NE(t.client->Decrypt("k", Bytes(1), {}).status().message().find("no Plaintext"), std::string::npos);
  t.transport->script.push_back(FakeKms::Ok({{"KeyId", "k"}, {"Plaintext", "!!"}}));
  EXPECT_NE(t.client->Decrypt("k", Bytes(1), {}).status().message().find("not base64"), std::string::npos);
  t.transport->script.push_back(FakeKms::Ok({{"Plaintext", "AAAA"}}));
  EXPECT_NE(t.client->Decrypt("k", Bytes(1), {}).status().message().find("no KeyId"), std::string::npos);
}

TEST(KmsClientTest, CreateRejectsIncompleteOptions) {
  KmsClientOptions options = testing::TestClientOptions();
  options.endpoint = "ftp://x";
  EXPECT_FALSE(KmsClient::Create(options).ok());
  options = testing::TestClientOptions();
  options.secret_access_key.clear();
  EXPECT_FALSE(KmsClient::Create(options).ok());
  options = testing::TestClientOptions();
  options.max_attempts = 0;
  EXPECT_FALSE(KmsClient::Create(options).ok());
}

// The real transport against loopback listeners: io_timeout ends a call to
// an endpoint that accepts and never answers (blocking reads with socket
// timeouts would wait forever), and an answer comes back whole.
StatusOr<HttpResponse> SendTo(const net::TestListener& listener, std::chrono::seconds timeout) {
  KmsClientOptions options;
  options.endpoint = "http://127.0.0.1:" + std::to_string(listener.port());
  options.io_timeout = timeout;
  auto transport = NewBeastTransport(options);
  if (!transport.ok()) return transport.status();
  return (*transport)->Send(HttpCall{"POST", "/", {{"Host", "127.0.0.1"}}, "{}"});
}

TEST(BeastTransportTest, ASilentEndpointEndsInUnavailableAfterTheTimeout) {
  net::TestListener silent(/*answer=*/false);
  auto answer = SendTo(silent, std::chrono::seconds(1));
  ASSERT_FALSE(answer.ok());
  EXPECT_EQ(answer.status().code(), ErrorCode::kUnavailable);
  EXPECT_NE(answer.status().message().find("did not answer within 1s"), std::string::npos)
      << answer.status().message();
  EXPECT_TRUE(silent.received());
}

TEST(BeastTransportTest, AnAnsweringEndpointReturnsItsStatus) {
  net::TestListener answering(/*answer=*/true);
  auto answer = SendTo(answering, std::chrono::seconds(10));
  ASSERT_TRUE(answer.ok()) << answer.status().message();
  EXPECT_EQ(answer->status, 204);
}

TEST(BeastTransportTest, ARefusedConnectionIsUnavailableNamingTheStep) {
  unsigned short port = 0;
  {
    net::TestListener probe(/*answer=*/true);
    port = probe.port();
    ASSERT_TRUE(SendTo(probe, std::chrono::seconds(10)).ok());
  }
  KmsClientOptions options;
  options.endpoint = "http://127.0.0.1:" + std::to_string(port);
  auto transport = NewBeastTransport(options);
  ASSERT_TRUE(transport.ok());
  auto answer = (*transport)->Send(HttpCall{"POST", "/", {}, "{}"});
  ASSERT_FALSE(answer.ok());
  EXPECT_EQ(answer.status().code(), ErrorCode::kUnavailable);
  EXPECT_NE(answer.status().message().find("connect"), std::string::npos) << answer.status().message();
}

TEST(EndpointTest, ParsesSchemesPortsAndRejectsPaths) {
  auto e = ParseEndpoint("https://kms.us-east-1.amazonaws.com");
  ASSERT_TRUE(e.ok());
  EXPECT_TRUE(e->https);
  EXPECT_EQ(e->port, 443);
  EXPECT_EQ(e->host_header, "kms.us-east-1.amazonaws.com");
  e = ParseEndpoint("http://127.0.0.1:4566/");
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e->port, 4566);
  EXPECT_EQ(e->host_header, "127.0.0.1:4566");
  for (const char* bad :
       {"kms.local", "http://", "http://h:0", "http://h:99999", "http://h:1x", "http://h/path"}) {
    EXPECT_FALSE(ParseEndpoint(bad).ok()) << bad;
  }
}

TEST(EndpointTest, KmsArns) {
  auto arn = ParseKmsArn("arn:aws-cn:kms:cn-north-1:111122223333:key/abc");
  ASSERT_TRUE(arn.has_value());
  EXPECT_EQ(arn->partition, "aws-cn");
  EXPECT_EQ(arn->region, "cn-north-1");
  EXPECT_EQ(arn->account, "111122223333");
  EXPECT_EQ(arn->resource_type, "key");
  EXPECT_EQ(arn->resource_id, "abc");
  EXPECT_EQ(ParseKmsArn("arn:aws:kms:us-east-1:111122223333:alias/app")->resource_type, "alias");
  for (const char* bad : {"abc", "alias/app", "arn:aws:s3:us-east-1:1:key/a", "arn:aws:kms:us-east-1:1:key/",
                          "arn:aws:kms:us-east-1:1:grant/a", "arn:aws:kms::1:key/a"}) {
    EXPECT_FALSE(ParseKmsArn(bad).has_value()) << bad;
  }
}

// ---------------------------------------------------------------------------
// Configuration from the environment and the shared files.

class ConfigTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("coffer-kms-config-" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_ / ".aws");
    Write(".aws/credentials",
          "[default]\naws_access_key_id = AKDEFAULT\naws_secret_access_key = s-default\n"
          "[dev]\naws_access_key_id=AKDEV\naws_secret_access_key=s-dev\naws_session_token = tok\n");
    Write(".aws/config", "[default]\nregion = eu-west-1\n[profile dev]\nregion=ap-south-1\n");
    env_["HOME"] = dir_.string();
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  void Write(const std::string& name, const std::string& text) { std::ofstream(dir_ / name) << text; }
  EnvLookup Env() {
    return [this](const std::string& name) -> std::optional<std::string> {
      auto it = env_.find(name);
      if (it == env_.end()) return std::nullopt;
      return it->second;
    };
  }
  std::filesystem::path dir_;
  std::map<std::string, std::string> env_;
};

TEST_F(ConfigTest, DefaultProfileFromTheSharedFiles) {
  auto o = ResolveKmsConfig({}, Env());
  ASSERT_TRUE(o.ok()) << o.status().ToString();
  EXPECT_EQ(o->access_key_id, "AKDEFAULT");
  EXPECT_EQ(o->secret_access_key, "s-default");
  EXPECT_EQ(o->region, "eu-west-1");
  EXPECT_EQ(o->endpoint, "https://kms.eu-west-1.amazonaws.com");
}

TEST_F(ConfigTest, AwsProfileSelectsASection) {
  env_["AWS_PROFILE"] = "dev";
  auto o = ResolveKmsConfig({}, Env());
  ASSERT_TRUE(o.ok());
  EXPECT_EQ(o->access_key_id, "AKDEV");
  EXPECT_EQ(o->session_token, "tok");
  EXPECT_EQ(o->region, "ap-south-1");
}

TEST_F(ConfigTest, EnvironmentBeatsFilesAndExplicitBeatsEnvironment) {
  env_["AWS_ACCESS_KEY_ID"] = "AKENV";
  env_["AWS_SECRET_ACCESS_KEY"] = "s-env";
  env_["AWS_REGION"] = "us-west-2";
  env_["AWS_DEFAULT_REGION"] = "us-west-1";
  env_["AWS_ENDPOINT_URL"] = "http://generic:1";
  env_["AWS_ENDPOINT_URL_KMS"] = "http://kms-only:2";
  auto o = ResolveKmsConfig({}, Env());
  ASSERT_TRUE(o.ok());
  EXPECT_EQ(o->access_key_id, "AKENV");
  EXPECT_EQ(o->region, "us-west-2");
  EXPECT_EQ(o->endpoint, "http://kms-only:2");
  KmsClientOptions explicit_options;
  explicit_options.region = "sa-east-1";
  explicit_options.endpoint = "http://mine:3";
  explicit_options.access_key_id = "AKX";
  explicit_options.secret_access_key = "s-x";
  o = ResolveKmsConfig(explicit_options, Env());
  ASSERT_TRUE(o.ok());
  EXPECT_EQ(o->region, "sa-east-1");
  EXPECT_EQ(o->endpoint, "http://mine:3");
  EXPECT_EQ(o->access_key_id, "AKX");
}

TEST_F(ConfigTest, SharedCredentialsFileVariableAndMissingPieces) {
  Write("other", "[default]\naws_access_key_id=AKOTHER\naws_secret_access_key=s\n");
  env_["AWS_SHARED_CREDENTIALS_FILE"] = (dir_ / "other").string();
  auto o = ResolveKmsConfig({}, Env());
  ASSERT_TRUE(o.ok());
  EXPECT_EQ(o->access_key_id, "AKOTHER");
  env_["AWS_PROFILE"] = "nobody";
  EXPECT_NE(ResolveKmsConfig({}, Env()).status().message().find("no AWS region"), std::string::npos);
  env_["AWS_REGION"] = "us-east-1";
  EXPECT_NE(ResolveKmsConfig({}, Env()).status().message().find("no AWS credentials"), std::string::npos);
}

}  // namespace
}  // namespace coffer::envelope

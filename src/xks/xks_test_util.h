// Test support for src/xks: Coffer's XKS proxy on a real loopback HTTP
// listener, backed by the KMS keys of an in-memory KmsService, and clients
// of it.
#pragma once

#include <gtest/gtest.h>

#include <thread>

#include "auth/sigv4.h"
#include "coffer/kms_client.h"
#include "kms/kms_test_util.h"
#include "server/http_server.h"
#include "xks/client.h"
#include "xks/kms_keys.h"
#include "xks/proxy.h"

namespace coffer::xks::testing {

using kms::testing::kAccount;
using kms::testing::kRegion;

inline constexpr std::string_view kAccessKeyId = "AKIAI2SFODNN7EXAMPLE";
inline constexpr std::string_view kSecret = "FYtE5EFA5FT0mCc3DrGUe2sti527BitkQ0Zr9MO9fvE";
inline constexpr std::string_view kUriPath = "/tenant-1/kms/xks/v1";

inline ProxyCredential Credential() { return {std::string(kAccessKeyId), SecretBytes(AsBytes(kSecret))}; }

inline RequestMetadata Meta(std::string_view operation) {
  return {"arn:aws:iam::111122223333:user/alice",
          "",
          "",
          "arn:aws:kms:us-east-1:111122223333:key/k",
          std::string(operation),
          "req-1",
          ""};
}

inline std::optional<ErrorName> ProxyErrorOf(const Status& status) { return FailureOf(status).proxy_error; }

class XksLoopbackTest : public kms::testing::KmsTest {
 protected:
  void SetUp() override {
    key_id_ = CreateKeyId();
    server::ServerOptions options;
    options.host = "127.0.0.1";
    options.port = 0;
    options.threads = 1;
    auto created = server::HttpServer::Create(
        options,
        [this](const auth::HttpRequest& r, const server::ConnectionInfo&) {
          server::HttpResponse response;
          if (!proxy_.Claims(r.target)) {
            response.status = 404;
            return response;
          }
          ProxyResponse answer = proxy_.Handle({r.method, r.target, r.headers, r.body});
          response.status = answer.status;
          response.body = std::move(answer.body);
          response.headers = {{"Content-Type", "application/json"}};
          return response;
        },
        [](const Status&) {
          server::HttpResponse refused;
          refused.status = 400;
          return refused;
        });
    ASSERT_TRUE(created.ok()) << created.status().message();
    server_ = std::move(created).value();
    thread_ = std::thread([this] { server_->Run(); });
  }

  void TearDown() override {
    server_->Stop();
    thread_.join();
  }

  std::string Endpoint() const { return "http://127.0.0.1:" + std::to_string(server_->port()); }

  std::unique_ptr<XksClient> Client(std::string_view secret = kSecret, std::string_view path = kUriPath,
                                    std::string endpoint = "") {
    ClientOptions options;
    options.uri_endpoint = endpoint.empty() ? Endpoint() : endpoint;
    options.uri_path = std::string(path);
    options.access_key_id = std::string(kAccessKeyId);
    options.secret = SecretBytes(AsBytes(secret));
    options.region = std::string(kRegion);
    options.timeout = std::chrono::seconds(1);
    auto client = XksClient::Create(std::move(options), clock_);
    EXPECT_TRUE(client.ok()) << client.status().message();
    return client.ok() ? std::move(*client) : nullptr;
  }

  // A signed POST of any target and body, for what the client never sends.
  envelope::HttpResponse RawPost(const std::string& target, const std::string& body,
                                 std::string method = "POST") {
    auth::HttpRequest request{
        method, target, {{"Host", "127.0.0.1:" + std::to_string(server_->port())}}, body};
    auth::SigningParams params{std::string(kAccessKeyId), std::string(kSecret),      "",
                               std::string(kRegion),      std::string(kSigningName), clock_.Now()};
    EXPECT_TRUE(auth::SignRequest(request, params).ok());
    envelope::KmsClientOptions options;
    options.endpoint = Endpoint();
    options.io_timeout = std::chrono::seconds(2);
    auto transport = envelope::NewBeastTransport(options);
    EXPECT_TRUE(transport.ok());
    auto answer = (*transport)->Send({method, request.target, request.headers, request.body});
    EXPECT_TRUE(answer.ok()) << answer.status().message();
    return answer.ok() ? *answer : envelope::HttpResponse{};
  }

  static std::string ErrorNameIn(const envelope::HttpResponse& response) {
    auto error = DecodeError(response.body);
    return error.ok() ? std::string(ErrorNameText(error->name)) : "<no error body>";
  }

  EncryptResponse MustEncrypt(std::string_view plaintext, std::optional<Bytes> aad) {
    EncryptRequest request{Meta("Encrypt"), SecretBytes(AsBytes(plaintext)), std::move(aad), true};
    auto sealed = Client()->Encrypt(key_id_, request);
    EXPECT_TRUE(sealed.ok()) << sealed.status().message();
    return sealed.ok() ? *sealed : EncryptResponse{};
  }

  DecryptRequest DecryptOf(const EncryptResponse& sealed, std::optional<Bytes> aad) {
    return {Meta("Decrypt"), sealed.ciphertext, sealed.ciphertext_metadata,
            std::move(aad),  sealed.iv,         sealed.tag};
  }

  std::string key_id_;
  KmsKeyBackend backend_{keys_, random_, std::string(kRegion), std::string(kAccount)};
  XksProxy proxy_{std::string(kUriPath), Credential(), backend_, clock_};
  std::unique_ptr<server::HttpServer> server_;
  std::thread thread_;
};

}  // namespace coffer::xks::testing

// The router over an in-memory store and a FakeClock, with one account and
// its user alice (an access key in key_): the fixture of the server tests.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "api/embedded_models.h"
#include "crypto/crypto.h"
#include "server/router.h"

namespace coffer::server {

inline TimePoint Start() { return TimePoint(std::chrono::seconds(1'800'000'000)); }

class RouterTest : public ::testing::Test {
 protected:
  RouterTest()
      : clock_(Start()),
        store_(store::NewMemoryStore()),
        root_key_(SecretBytes(Bytes(32, 7)), random_),
        identities_(*store_, root_key_, random_, clock_),
        verifier_(clock_, identities_),
        keys_(*store_, root_key_, random_),
        kms_(keys_, random_, clock_) {
    model_ = std::move(api::ServiceModel::Load(api::EmbeddedKmsModel())).value();
    router_ = std::make_unique<Router>(*model_, verifier_, identities_, kms_, random_);
    account_ = identities_.CreateAccount("test")->id;
    EXPECT_TRUE(identities_.CreateUser(account_, "alice").ok());
    key_ = std::move(identities_.CreateAccessKey(account_, "alice")).value();
  }

  auth::HttpRequest Unsigned(std::string_view target, std::string body) {
    auth::HttpRequest r;
    r.method = "POST";
    r.target = "/";
    r.headers = {{"Host", "localhost"},
                 {"Content-Type", "application/x-amz-json-1.1"},
                 {"X-Amz-Target", std::string(target)}};
    r.body = std::move(body);
    return r;
  }

  auth::HttpRequest Signed(std::string_view target, std::string body, std::string service = "kms") {
    auth::HttpRequest r = Unsigned(target, std::move(body));
    auth::SigningParams p{
        key_.key.access_key_id, key_.secret_access_key, "", "us-east-1", service, clock_.Now()};
    EXPECT_TRUE(auth::SignRequest(r, p).ok());
    return r;
  }

  static std::string Header(const HttpResponse& r, std::string_view name) {
    for (const auto& [k, v] : r.headers) {
      if (k == name) return v;
    }
    return "";
  }

  static std::string Type(const HttpResponse& r) { return nlohmann::json::parse(r.body).value("__type", ""); }

  HttpResponse Call(const auth::HttpRequest& r) {
    return router_->Handle(r, ConnectionInfo{false, "127.0.0.1"});
  }

  crypto::OsRandom random_;
  FakeClock clock_;
  std::unique_ptr<store::Store> store_;
  rootkey::SoftwareRootKey root_key_;
  iam::IdentityStore identities_;
  auth::SigV4Verifier verifier_;
  kms::KeyStore keys_;
  kms::KmsService kms_;
  std::unique_ptr<api::ServiceModel> model_;
  std::unique_ptr<Router> router_;
  std::string account_;
  iam::NewAccessKey key_;
};

}  // namespace coffer::server

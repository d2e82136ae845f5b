// The JSON 1.1 front as a client sees it: status, __type and headers for each
// kind of request, plus the coverage check against the AWS model and the docs.
#include "server/router.h"

#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>
#include <sstream>

#include "api/embedded_models.h"
#include "common/encoding.h"
#include "crypto/crypto.h"
#include "server/error_table.h"
#include "server/router_test_fixture.h"

namespace coffer::server {
namespace {

using nlohmann::json;

TEST_F(RouterTest, SignedCreateKeyAndEncryptSucceed) {
  HttpResponse created = Call(Signed("TrentService.CreateKey", "{}"));
  ASSERT_EQ(created.status, 200) << created.body;
  EXPECT_FALSE(Header(created, "x-amzn-RequestId").empty());
  EXPECT_EQ(Header(created, "Content-Type"), "application/x-amz-json-1.1");
  const std::string key_id = json::parse(created.body)["KeyMetadata"]["KeyId"];
  const json encrypt = {{"KeyId", key_id}, {"Plaintext", Base64Encode(AsBytes("hi"))}};
  HttpResponse encrypted = Call(Signed("TrentService.Encrypt", encrypt.dump()));
  ASSERT_EQ(encrypted.status, 200) << encrypted.body;
  EXPECT_TRUE(json::parse(encrypted.body).contains("CiphertextBlob"));
}

TEST_F(RouterTest, UnknownTargetIsUnknownOperation) {
  HttpResponse r = Call(Signed("TrentService.NoSuchThing", "{}"));
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(Type(r), "UnknownOperationException");
  EXPECT_EQ(Header(r, "x-amzn-ErrorType"), "UnknownOperationException");
  EXPECT_FALSE(Header(r, "x-amzn-RequestId").empty());
}

TEST_F(RouterTest, ModelOperationWithoutHandlerIsUnknownOperation) {
  HttpResponse r =
      Call(Signed("TrentService.UpdatePrimaryRegion", R"({"KeyId":"k","PrimaryRegion":"us-west-2"})"));
  EXPECT_EQ(Type(r), "UnknownOperationException");
}

TEST_F(RouterTest, MalformedJsonIsSerializationException) {
  HttpResponse r = Call(Signed("TrentService.ListKeys", "{not json"));
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(Type(r), "SerializationException");
}

TEST_F(RouterTest, MissingRequiredMemberNamesTheField) {
  HttpResponse r = Call(Signed("TrentService.Encrypt", R"({"Plaintext":"aGk="})"));
  EXPECT_EQ(Type(r), "ValidationException");
  EXPECT_NE(json::parse(r.body)["message"].get<std::string>().find("'keyId'"), std::string::npos);
}

TEST_F(RouterTest, NoAuthenticationIsMissingAuthenticationToken) {
  HttpResponse r = Call(Unsigned("TrentService.ListKeys", "{}"));
  EXPECT_EQ(r.status, 403);
  EXPECT_EQ(Type(r), "MissingAuthenticationTokenException");
}

TEST_F(RouterTest, TamperedBodyIsInvalidSignature) {
  auth::HttpRequest r = Signed("TrentService.ListKeys", "{}");
  r.body = R"({"Limit":5})";
  EXPECT_EQ(Type(Call(r)), "InvalidSignatureException");
}

TEST_F(RouterTest, CredentialScopedToAnotherServiceIsRejected) {
  EXPECT_EQ(Type(Call(Signed("TrentService.ListKeys", "{}", "s3"))), "InvalidSignatureException");
}

// The router reuses its per-request trace and caller objects on each thread:
// nothing of one request may show in the next one's audit view.
class CopyingObserver : public RequestObserver {
 public:
  std::uint64_t Observe(const RequestTrace& trace) override {
    Seen seen{
        trace.request_id,          trace.user_agent,           trace.operation,    trace.region, trace.caller,
        trace.request.is_object(), trace.response.is_object(), trace.status.code()};
    seen_.push_back(std::move(seen));
    return 0;
  }
  struct Seen {
    std::string request_id, user_agent, operation, region;
    Caller caller;
    bool has_request = false, has_response = false;
    ErrorCode code = ErrorCode::kOk;
  };
  std::vector<Seen> seen_;
};

TEST_F(RouterTest, ANextRequestSeesNothingOfThePreviousOne) {
  CopyingObserver observer;
  RouterHooks hooks;
  hooks.observers.push_back(&observer);
  router_->SetHooks(std::move(hooks));
  auth::HttpRequest signed_request = Signed("TrentService.ListKeys", "{}");
  signed_request.headers.emplace_back("User-Agent", "a-user-agent-longer-than-fifteen");
  ASSERT_EQ(Call(signed_request).status, 200);
  EXPECT_EQ(Call(Unsigned("TrentService.ListKeys", "{}")).status, 403);
  ASSERT_EQ(observer.seen_.size(), 2u);
  const auto& first = observer.seen_[0];
  EXPECT_EQ(first.user_agent, "a-user-agent-longer-than-fifteen");
  EXPECT_EQ(first.caller.access_key_id, key_.key.access_key_id);
  EXPECT_FALSE(first.caller.arn.empty());
  EXPECT_TRUE(first.has_request);
  EXPECT_TRUE(first.has_response);
  const auto& second = observer.seen_[1];
  EXPECT_NE(second.request_id, first.request_id);
  EXPECT_EQ(second.request_id.size(), 36u);
  EXPECT_EQ(second.operation, "ListKeys");
  EXPECT_TRUE(second.user_agent.empty());
  EXPECT_TRUE(second.region.empty());
  EXPECT_TRUE(second.caller.arn.empty());
  EXPECT_TRUE(second.caller.user_id.empty());
  EXPECT_TRUE(second.caller.user_name.empty());
  EXPECT_TRUE(second.caller.account_id.empty());
  EXPECT_TRUE(second.caller.access_key_id.empty());
  EXPECT_FALSE(second.has_request);
  EXPECT_FALSE(second.has_response);
  EXPECT_EQ(second.code, ErrorCode::kMissingAuthenticationToken);
}

TEST_F(RouterTest, HealthCheckNeedsNoSignature) {
  auth::HttpRequest r;
  r.method = "GET";
  r.target = "/healthz";
  EXPECT_EQ(Call(r).status, 200);
}

// An unreachable store makes /healthz 503 naming the store, never the
// reason (a connection error may name hosts); /ping stays 200.
TEST_F(RouterTest, HealthCheckIs503WhileTheStoreIsDown) {
  RouterHooks hooks;
  hooks.store_health = [] {
    return Status(ErrorCode::kUnavailable, "postgres store cannot connect: host db1");
  };
  router_->SetHooks(hooks);
  auth::HttpRequest r;
  r.method = "GET";
  r.target = "/healthz";
  HttpResponse down = Call(r);
  EXPECT_EQ(down.status, 503);
  EXPECT_EQ(down.body, R"({"status":"unavailable","failing":"store"})");
  r.target = "/ping";
  EXPECT_EQ(Call(r).status, 200);
  hooks.store_health = [] { return Status::Ok(); };
  router_->SetHooks(hooks);
  r.target = "/healthz";
  HttpResponse up = Call(r);
  EXPECT_EQ(up.status, 200);
  EXPECT_EQ(up.body, R"({"status":"ok"})");
}

TEST_F(RouterTest, ErrorsNeverEchoThePlaintext) {
  // A plaintext over the 4096-byte limit is rejected without quoting it.
  const std::string secret(5000, 'S');
  const json body = {{"KeyId", "alias/x"}, {"Plaintext", Base64Encode(AsBytes(secret))}};
  HttpResponse r = Call(Signed("TrentService.Encrypt", body.dump()));
  EXPECT_EQ(Type(r), "ValidationException");
  EXPECT_EQ(r.body.find(Base64Encode(AsBytes(secret)).substr(0, 40)), std::string::npos);
}

// Every KMS error name the server can send is a shape the model declares, with
// a client/server split that matches the model's.
TEST_F(RouterTest, ErrorTableNamesAreModelErrorShapes) {
  const std::set<std::string> protocol = {
      "ValidationException",          "SerializationException",
      "UnknownOperationException",    "MissingAuthenticationTokenException",
      "IncompleteSignatureException", "InvalidSignatureException",
      "UnrecognizedClientException",  "ExpiredTokenException",
      "AccessDeniedException",        "RequestEntityTooLargeException",
      "ThrottlingException",          "ServiceUnavailableException"};
  // CloudTrail's own error shapes (LookupEvents) are not in the KMS model.
  const std::set<std::string> cloudtrail = {"InvalidNextTokenException", "InvalidLookupAttributesException",
                                            "InvalidTimeRangeException"};
  for (int c = 1; c <= static_cast<int>(ErrorCode::kExpiredToken); ++c) {
    const ErrorInfo info = LookupError(static_cast<ErrorCode>(c));
    const std::string name(info.type);
    if (protocol.contains(name) || cloudtrail.contains(name)) continue;
    auto model_status = model_->ErrorHttpStatus(name);
    ASSERT_TRUE(model_status.has_value()) << name << " is not an error shape of the KMS model";
    EXPECT_EQ(*model_status >= 500, info.http_status >= 500) << name;
  }
}

// docs/api-coverage.md lists every model operation, and says "not yet" exactly
// for those the router has no handler for.
TEST_F(RouterTest, CoverageDocMatchesRouter) {
  std::ifstream in(std::string(COFFER_SOURCE_DIR) + "/docs/api-coverage.md");
  ASSERT_TRUE(in) << "docs/api-coverage.md missing";
  std::stringstream text;
  text << in.rdbuf();
  const std::string doc = text.str();
  const auto implemented = router_->Implemented();
  const std::set<std::string> impl(implemented.begin(), implemented.end());
  for (auto name : model_->OperationNames()) {
    const std::regex row("\\| " + std::string(name) + " \\| ([a-z ]+) \\|");
    std::smatch m;
    ASSERT_TRUE(std::regex_search(doc, m, row)) << name << " missing from docs/api-coverage.md";
    const bool doc_says_missing = m[1] == "not yet";
    EXPECT_EQ(doc_says_missing, !impl.contains(std::string(name))) << name;
  }
  EXPECT_EQ(router_->Implemented().size() + router_->NotImplemented().size(),
            model_->OperationNames().size());
}

}  // namespace
}  // namespace coffer::server

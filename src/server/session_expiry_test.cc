// Temporary credentials past their expiry, as a client sees them on both
// protocol fronts: ExpiredTokenException (JSON 1.1, HTTP 400) and
// ExpiredToken (Query XML, HTTP 403), while a wrong token stays "invalid".
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "server/query_front.h"
#include "server/router_test_fixture.h"

namespace coffer::server {
namespace {

using nlohmann::json;

constexpr std::string_view kExpiredMessage = "The security token included in the request is expired";

class SessionExpiryTest : public RouterTest {
 protected:
  SessionExpiryTest() : query_(verifier_, identities_) {
    router_->SetQueryFront(&query_);
    const iam::Principal alice = identities_.PrincipalFor(key_.key.access_key_id).value();
    session_ = std::move(identities_.NewSession(alice, 900)).value();
  }

  auth::HttpRequest SignedBySession(auth::HttpRequest r, std::string_view service, std::string_view token) {
    auth::SigningParams p{session_.access_key_id, session_.secret_access_key,
                          std::string(token),     "us-east-1",
                          std::string(service),   clock_.Now()};
    EXPECT_TRUE(auth::SignRequest(r, p).ok());
    return r;
  }

  HttpResponse Kms(std::string_view token) {
    return Call(SignedBySession(Unsigned("TrentService.ListKeys", "{}"), "kms", token));
  }

  HttpResponse Sts(std::string_view token) {
    auth::HttpRequest r{"POST",
                        "/",
                        {{"Host", "localhost"}, {"Content-Type", "application/x-www-form-urlencoded"}},
                        "Action=GetCallerIdentity&Version=2011-06-15"};
    return Call(SignedBySession(std::move(r), "sts", token));
  }

  std::string WrongToken() const {
    std::string wrong = session_.session_token;
    wrong[0] = wrong[0] == 'A' ? 'B' : 'A';
    return wrong;
  }

  QueryFront query_;
  iam::SessionCredentials session_;
};

TEST_F(SessionExpiryTest, JsonFrontAnswersExpiredTokenException) {
  ASSERT_EQ(Kms(session_.session_token).status, 200);
  clock_.Advance(std::chrono::seconds(899));
  ASSERT_EQ(Kms(session_.session_token).status, 200);  // still inside its 900 s
  clock_.Advance(std::chrono::seconds(1));
  const HttpResponse r = Kms(session_.session_token);
  EXPECT_EQ(r.status, 400);
  const json body = json::parse(r.body);
  EXPECT_EQ(body.value("__type", ""), "ExpiredTokenException");
  EXPECT_EQ(body.value("message", ""), kExpiredMessage);
}

TEST_F(SessionExpiryTest, JsonFrontCallsAWrongTokenInvalidEvenAfterExpiry) {
  clock_.Advance(std::chrono::seconds(901));
  const HttpResponse r = Kms(WrongToken());
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(json::parse(r.body).value("__type", ""), "UnrecognizedClientException");
}

TEST_F(SessionExpiryTest, QueryFrontAnswersExpiredToken) {
  const HttpResponse ok = Sts(session_.session_token);
  ASSERT_EQ(ok.status, 200) << ok.body;
  clock_.Advance(std::chrono::seconds(900));
  const HttpResponse r = Sts(session_.session_token);
  EXPECT_EQ(r.status, 403);
  EXPECT_NE(r.body.find("<Type>Sender</Type><Code>ExpiredToken</Code><Message>" +
                        std::string(kExpiredMessage) + "</Message>"),
            std::string::npos)
      << r.body;
}

TEST_F(SessionExpiryTest, QueryFrontCallsAWrongTokenInvalidEvenAfterExpiry) {
  clock_.Advance(std::chrono::seconds(901));
  const HttpResponse r = Sts(WrongToken());
  EXPECT_EQ(r.status, 403);
  EXPECT_NE(r.body.find("<Code>InvalidClientTokenId</Code>"), std::string::npos) << r.body;
}

}  // namespace
}  // namespace coffer::server

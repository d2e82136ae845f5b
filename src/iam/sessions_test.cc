// Temporary credentials, roles, inline policies and access key status: the
// session token is checked, expiry follows the injected clock, an inactive
// key is refused at once, and identity policies follow IAM writes.
#include <gtest/gtest.h>

#include <chrono>

#include "crypto/crypto.h"
#include "iam/identity_store.h"

namespace coffer::iam {
namespace {

constexpr std::int64_t kStartMs = 1'704'067'200'000;  // 2024-01-01T00:00:00Z

SecretBytes RootKeyBytes() { return SecretBytes(Bytes(32, 0x5a)); }

class SessionsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto account = ids_.CreateAccount("acme");
    ASSERT_TRUE(account.ok());
    account_ = account->id;
    auto user = ids_.CreateUser(account_, "alice", /*admin=*/false);
    ASSERT_TRUE(user.ok());
    auto key = ids_.CreateAccessKey(account_, "alice");
    ASSERT_TRUE(key.ok());
    key_ = *key;
  }
  policy::CallerInfo Who() {
    policy::CallerInfo who;
    who.caller = {"arn:aws:iam::" + account_ + ":user/alice", "", account_, "", false};
    who.user_name = "alice";
    return who;
  }

  FakeClock clock_{FromEpochMillis(kStartMs)};
  crypto::OsRandom random_;
  std::unique_ptr<store::Store> store_ = store::NewMemoryStore();
  rootkey::SoftwareRootKey root_key_{RootKeyBytes(), random_};
  IdentityStore ids_{*store_, root_key_, random_, clock_};
  std::string account_;
  NewAccessKey key_;
};

TEST_F(SessionsTest, SessionWorksWithItsTokenUntilItExpires) {
  auto alice = ids_.PrincipalFor(key_.key.access_key_id);
  ASSERT_TRUE(alice.ok());
  auto session = ids_.NewSession(*alice, 900);
  ASSERT_TRUE(session.ok()) << session.status().ToString();
  EXPECT_TRUE(session->access_key_id.starts_with("ASIA"));
  auto p = ids_.PrincipalForRequest(session->access_key_id, session->session_token);
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_EQ(p->arn, alice->arn);
  auto secret = ids_.SecretKeyFor(session->access_key_id);
  ASSERT_TRUE(secret.ok());
  EXPECT_EQ(std::string(secret->view().begin(), secret->view().end()), session->secret_access_key);

  clock_.Advance(std::chrono::seconds(899));
  EXPECT_TRUE(ids_.PrincipalForRequest(session->access_key_id, session->session_token).ok());
  clock_.Advance(std::chrono::seconds(1));
  auto expired = ids_.PrincipalForRequest(session->access_key_id, session->session_token);
  ASSERT_FALSE(expired.ok());
  EXPECT_EQ(expired.status().code(), ErrorCode::kExpiredToken);
  EXPECT_EQ(expired.status().message(), "The security token included in the request is expired");
  // The secret stays available so the signature is checked before the caller
  // is told the session has expired.
  EXPECT_TRUE(ids_.SecretKeyFor(session->access_key_id).ok());
}

TEST_F(SessionsTest, WrongOrMissingTokenIsRefused) {
  auto alice = ids_.PrincipalFor(key_.key.access_key_id);
  ASSERT_TRUE(alice.ok());
  auto session = ids_.NewSession(*alice, 3600);
  ASSERT_TRUE(session.ok());
  std::string wrong = session->session_token;
  wrong[0] = wrong[0] == 'A' ? 'B' : 'A';
  EXPECT_EQ(ids_.PrincipalForRequest(session->access_key_id, wrong).status().code(),
            ErrorCode::kUnrecognizedClient);
  EXPECT_EQ(ids_.PrincipalForRequest(session->access_key_id, "").status().code(),
            ErrorCode::kUnrecognizedClient);
  // Past expiry, a wrong token is still "invalid", never "expired".
  clock_.Advance(std::chrono::seconds(3600));
  EXPECT_EQ(ids_.PrincipalForRequest(session->access_key_id, wrong).status().code(),
            ErrorCode::kUnrecognizedClient);
  // A token on long-term credentials is refused, as on AWS.
  EXPECT_EQ(ids_.PrincipalForRequest(key_.key.access_key_id, session->session_token).status().code(),
            ErrorCode::kUnrecognizedClient);
}

TEST_F(SessionsTest, InactiveAccessKeyIsRefusedAtOnce) {
  ASSERT_TRUE(ids_.PrincipalFor(key_.key.access_key_id).ok());  // now cached
  ASSERT_TRUE(ids_.UpdateAccessKey(account_, key_.key.access_key_id, "Inactive").ok());
  EXPECT_EQ(ids_.PrincipalFor(key_.key.access_key_id).status().code(), ErrorCode::kUnrecognizedClient);
  EXPECT_FALSE(ids_.SecretKeyFor(key_.key.access_key_id).ok());
  EXPECT_EQ(ids_.UpdateAccessKey(account_, key_.key.access_key_id, "Paused").code(), ErrorCode::kValidation);
  EXPECT_EQ(ids_.UpdateAccessKey(account_, "AKIANOSUCHKEY", "Active").code(), ErrorCode::kNotFound);
  ASSERT_TRUE(ids_.UpdateAccessKey(account_, key_.key.access_key_id, "Active").ok());
  EXPECT_TRUE(ids_.PrincipalFor(key_.key.access_key_id).ok());
}

TEST_F(SessionsTest, IdentityPoliciesFollowWrites) {
  auto none = ids_.PoliciesFor(Who());
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->empty());  // a non-admin user starts with nothing
  const std::uint64_t before = ids_.Generation();
  const std::string doc =
      R"({"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"kms:*","Resource":"*"}})";
  ASSERT_TRUE(ids_.PutUserPolicy(account_, "alice", "kms", doc).ok());
  EXPECT_GT(ids_.Generation(), before);
  auto one = ids_.PoliciesFor(Who());
  ASSERT_TRUE(one.ok());
  ASSERT_EQ(one->size(), 1u);
  EXPECT_EQ((*one)[0].name, "user/alice/kms");
  EXPECT_EQ(ids_.PutUserPolicy(account_, "alice", "bad", R"({"Statement":[]})").code(),
            ErrorCode::kMalformedPolicyDocument);
  EXPECT_EQ(ids_.PutUserPolicy(account_, "nobody", "kms", doc).code(), ErrorCode::kNotFound);
  ASSERT_TRUE(ids_.DeleteUserPolicy(account_, "alice", "kms").ok());
  EXPECT_TRUE(ids_.PoliciesFor(Who())->empty());
}

TEST_F(SessionsTest, RolesHoldTrustAndPolicies) {
  const std::string trust = R"({"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"AWS":")" +
                            account_ + R"("},"Action":"sts:AssumeRole"}})";
  auto role = ids_.CreateRole(account_, "app", trust);
  ASSERT_TRUE(role.ok()) << role.status().ToString();
  EXPECT_TRUE(role->role_id.starts_with("AROA"));
  EXPECT_EQ(ids_.CreateRole(account_, "app", trust).status().code(), ErrorCode::kAlreadyExists);
  EXPECT_EQ(
      ids_.CreateRole(account_, "bad", R"({"Statement":{"Effect":"Allow","Action":"*","Resource":"*"}})")
          .status()
          .code(),
      ErrorCode::kMalformedPolicyDocument);  // a trust policy needs a Principal
  const std::string doc =
      R"({"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"kms:Encrypt","Resource":"*"}})";
  ASSERT_TRUE(ids_.PutRolePolicy(account_, "app", "enc", doc).ok());
  policy::CallerInfo who;
  who.caller = {"arn:aws:sts::" + account_ + ":assumed-role/app/s", role->arn, account_, "", false};
  auto policies = ids_.PoliciesFor(who);
  ASSERT_TRUE(policies.ok());
  ASSERT_EQ(policies->size(), 1u);
  EXPECT_EQ((*policies)[0].name, "role/app/enc");
  EXPECT_EQ(ids_.DeleteRole(account_, "app").code(), ErrorCode::kConflict);
  ASSERT_TRUE(ids_.DeleteRolePolicy(account_, "app", "enc").ok());
  EXPECT_TRUE(ids_.DeleteRole(account_, "app").ok());
  EXPECT_EQ(ids_.GetRole(account_, "app").status().code(), ErrorCode::kNotFound);
}

}  // namespace
}  // namespace coffer::iam

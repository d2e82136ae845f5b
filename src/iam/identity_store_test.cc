// Accounts, users and access keys: their identifier formats, the rules on
// creation, and that secret access keys are stored only wrapped.
#include "iam/identity_store.h"

#include <gtest/gtest.h>

#include <chrono>
#include <ostream>
#include <set>
#include <string>
#include <vector>

#include "crypto/crypto.h"

namespace coffer {

inline void PrintTo(ErrorCode code, std::ostream* os) { *os << ErrorName(code); }

namespace iam {
namespace {

constexpr std::int64_t kStartMs = 1'704'067'200'000;  // 2024-01-01T00:00:00Z
constexpr std::string_view kBase32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

bool AllOf(std::string_view text, std::string_view alphabet) {
  return text.find_first_not_of(alphabet) == std::string_view::npos;
}

SecretBytes FixedRootKeyBytes() {
  Bytes raw(32);
  for (std::size_t i = 0; i < raw.size(); ++i) raw[i] = static_cast<std::uint8_t>(0xa0 + i);
  return SecretBytes(raw);
}

class IdentityStoreTest : public ::testing::Test {
 protected:
  Account MustCreateAccount(std::string_view name = "acme") {
    auto account = identities_.CreateAccount(name);
    EXPECT_TRUE(account.ok()) << account.status().ToString();
    return account.ok() ? *account : Account{};
  }
  User MustCreateUser(std::string_view account_id, std::string_view name) {
    auto user = identities_.CreateUser(account_id, name);
    EXPECT_TRUE(user.ok()) << user.status().ToString();
    return user.ok() ? *user : User{};
  }
  NewAccessKey MustCreateAccessKey(std::string_view account_id, std::string_view user) {
    auto key = identities_.CreateAccessKey(account_id, user);
    EXPECT_TRUE(key.ok()) << key.status().ToString();
    return key.ok() ? *key : NewAccessKey{};
  }

  FakeClock clock_{FromEpochMillis(kStartMs)};
  crypto::OsRandom random_;
  std::unique_ptr<store::Store> store_ = store::NewMemoryStore();
  rootkey::SoftwareRootKey root_key_{FixedRootKeyBytes(), random_};
  IdentityStore identities_{*store_, root_key_, random_, clock_};
};

// ---- accounts ----

TEST_F(IdentityStoreTest, AccountIdsAreTwelveDigitsWithoutALeadingZero) {
  std::set<std::string> ids;
  for (int i = 0; i < 50; ++i) {
    const Account account = MustCreateAccount("acct" + std::to_string(i));
    EXPECT_EQ(account.id.size(), 12u) << account.id;
    EXPECT_TRUE(AllOf(account.id, "0123456789")) << account.id;
    EXPECT_NE(account.id.front(), '0') << account.id;
    ids.insert(account.id);
  }
  EXPECT_EQ(ids.size(), 50u);
}

TEST_F(IdentityStoreTest, CreatedAccountsAreListedWithTheirNameAndTime) {
  const Account account = MustCreateAccount("acme");
  EXPECT_EQ(account.name, "acme");
  EXPECT_EQ(account.created_ms, kStartMs);
  auto listed = identities_.ListAccounts();
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_EQ((*listed)[0].id, account.id);
  EXPECT_EQ((*listed)[0].name, "acme");
  EXPECT_EQ((*listed)[0].created_ms, kStartMs);
}

// ---- users ----

TEST_F(IdentityStoreTest, CreateUserGivesAnIamArnAndUserId) {
  const Account account = MustCreateAccount();
  const User user = MustCreateUser(account.id, "alice");
  EXPECT_EQ(user.arn, "arn:aws:iam::" + account.id + ":user/alice");
  EXPECT_EQ(user.account_id, account.id);
  EXPECT_EQ(user.name, "alice");
  EXPECT_EQ(user.user_id.substr(0, 4), "AIDA");
  EXPECT_EQ(user.user_id.size(), 21u);
  EXPECT_TRUE(AllOf(user.user_id.substr(4), kBase32)) << user.user_id;
  EXPECT_EQ(user.created_ms, kStartMs);
  auto listed = identities_.ListUsers(account.id);
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_EQ((*listed)[0].arn, user.arn);
}

TEST_F(IdentityStoreTest, UserNamesFollowIamRules) {
  const Account account = MustCreateAccount();
  for (const std::string& good :
       std::vector<std::string>{"a", "Alice", "svc+ci=1,a.b@c_d-e", std::string(64, 'u')}) {
    EXPECT_TRUE(identities_.CreateUser(account.id, good).ok()) << good;
  }
  for (const std::string& bad :
       std::vector<std::string>{"", std::string(65, 'u'), "has space", "slash/name", "colon:name", "star*"}) {
    auto user = identities_.CreateUser(account.id, bad);
    ASSERT_FALSE(user.ok()) << bad;
    EXPECT_EQ(user.status().code(), ErrorCode::kValidation) << bad;
  }
}

TEST_F(IdentityStoreTest, DuplicateUserIsAlreadyExists) {
  const Account account = MustCreateAccount();
  MustCreateUser(account.id, "alice");
  auto again = identities_.CreateUser(account.id, "alice");
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.status().code(), ErrorCode::kAlreadyExists);
}

TEST_F(IdentityStoreTest, TheSameUserNameMayExistInTwoAccounts) {
  const Account first = MustCreateAccount("one");
  const Account second = MustCreateAccount("two");
  EXPECT_NE(MustCreateUser(first.id, "alice").arn, MustCreateUser(second.id, "alice").arn);
}

TEST_F(IdentityStoreTest, UserInAnUnknownAccountIsNotFound) {
  auto user = identities_.CreateUser("123456789012", "alice");
  ASSERT_FALSE(user.ok());
  EXPECT_EQ(user.status().code(), ErrorCode::kNotFound);
}

// ---- access keys ----

TEST_F(IdentityStoreTest, AccessKeyIdsAndSecretsHaveTheAwsShape) {
  const Account account = MustCreateAccount();
  MustCreateUser(account.id, "alice");
  const NewAccessKey created = MustCreateAccessKey(account.id, "alice");
  const std::string& id = created.key.access_key_id;
  EXPECT_EQ(id.size(), 20u);
  EXPECT_EQ(id.substr(0, 4), "AKIA");
  EXPECT_TRUE(AllOf(id.substr(4), kBase32)) << id;
  EXPECT_EQ(created.secret_access_key.size(), 40u);
  EXPECT_EQ(created.key.status, "Active");
  EXPECT_EQ(created.key.account_id, account.id);
  EXPECT_EQ(created.key.user_name, "alice");
  EXPECT_EQ(created.key.created_ms, kStartMs);
}

TEST_F(IdentityStoreTest, EveryAccessKeyIsDistinct) {
  const Account account = MustCreateAccount();
  MustCreateUser(account.id, "alice");
  const NewAccessKey a = MustCreateAccessKey(account.id, "alice");
  const NewAccessKey b = MustCreateAccessKey(account.id, "alice");
  EXPECT_NE(a.key.access_key_id, b.key.access_key_id);
  EXPECT_NE(a.secret_access_key, b.secret_access_key);
  auto listed = identities_.ListAccessKeys(account.id, "alice");
  ASSERT_TRUE(listed.ok());
  EXPECT_EQ(listed->size(), 2u);
}

TEST_F(IdentityStoreTest, AccessKeyForAnUnknownUserIsNotFound) {
  const Account account = MustCreateAccount();
  auto key = identities_.CreateAccessKey(account.id, "nobody");
  ASSERT_FALSE(key.ok());
  EXPECT_EQ(key.status().code(), ErrorCode::kNotFound);
}

TEST_F(IdentityStoreTest, SecretAccessKeysAreNotStoredInTheClear) {
  const Account account = MustCreateAccount();
  MustCreateUser(account.id, "alice");
  const NewAccessKey created = MustCreateAccessKey(account.id, "alice");
  auto txn = store_->BeginRead();
  ASSERT_TRUE(txn.ok());
  auto entries = (*txn)->Scan("access_keys", "", "", 1000);
  ASSERT_TRUE(entries.ok());
  ASSERT_EQ(entries->size(), 1u);
  for (const store::Entry& entry : *entries) {
    EXPECT_EQ(entry.key, created.key.access_key_id);
    EXPECT_EQ(entry.value.find(created.secret_access_key), std::string::npos) << "secret stored in the clear";
    // Not even a long piece of it.
    EXPECT_EQ(entry.value.find(created.secret_access_key.substr(0, 12)), std::string::npos);
  }
}

TEST_F(IdentityStoreTest, SecretKeyForReturnsTheSecret) {
  const Account account = MustCreateAccount();
  MustCreateUser(account.id, "alice");
  const NewAccessKey created = MustCreateAccessKey(account.id, "alice");
  auto secret = identities_.SecretKeyFor(created.key.access_key_id);
  ASSERT_TRUE(secret.ok()) << secret.status().ToString();
  EXPECT_EQ(AsChars(secret->view()), created.secret_access_key);
}

TEST_F(IdentityStoreTest, SecretsNeedTheRootKeyTheyWereWrappedUnder) {
  const Account account = MustCreateAccount();
  MustCreateUser(account.id, "alice");
  const NewAccessKey created = MustCreateAccessKey(account.id, "alice");
  rootkey::SoftwareRootKey other_root(SecretBytes(Bytes(32, 0x01)), random_);
  IdentityStore other(*store_, other_root, random_, clock_);
  auto secret = other.SecretKeyFor(created.key.access_key_id);
  ASSERT_FALSE(secret.ok());
  EXPECT_EQ(secret.status().code(), ErrorCode::kInternal);
}

TEST_F(IdentityStoreTest, UnknownAccessKeysAreUnrecognizedClients) {
  auto secret = identities_.SecretKeyFor("AKIAAAAAAAAAAAAAAAAA");
  ASSERT_FALSE(secret.ok());
  EXPECT_EQ(secret.status().code(), ErrorCode::kUnrecognizedClient);
  auto principal = identities_.PrincipalFor("AKIAAAAAAAAAAAAAAAAA");
  ASSERT_FALSE(principal.ok());
  EXPECT_EQ(principal.status().code(), ErrorCode::kUnrecognizedClient);
}

TEST_F(IdentityStoreTest, PrincipalForNamesTheUserBehindTheKey) {
  const Account account = MustCreateAccount();
  const User user = MustCreateUser(account.id, "alice");
  const NewAccessKey created = MustCreateAccessKey(account.id, "alice");
  for (int lookup = 0; lookup < 2; ++lookup) {  // the second answer comes from the cache
    auto principal = identities_.PrincipalFor(created.key.access_key_id);
    ASSERT_TRUE(principal.ok()) << principal.status().ToString();
    EXPECT_EQ(principal->arn, user.arn);
    EXPECT_EQ(principal->account_id, account.id);
    EXPECT_EQ(principal->user_name, "alice");
    EXPECT_EQ(principal->user_id, user.user_id);
    EXPECT_EQ(principal->access_key_id, created.key.access_key_id);
  }
}

}  // namespace
}  // namespace iam
}  // namespace coffer

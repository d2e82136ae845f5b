// Accounts, IAM users and access keys, kept in the Store. Secret access keys
// are stored only wrapped under the root key. Also the SigV4 verifier's source
// of secrets, and the map from a verified access key to its principal.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "auth/sigv4.h"
#include "common/clock.h"
#include "common/random.h"
#include "common/reused.h"
#include "policy/identity_source.h"
#include "rootkey/root_key.h"
#include "store/store.h"

namespace coffer::iam {

struct Account {
  std::string id;  // 12 digits
  std::string name;
  std::int64_t created_ms = 0;
};

struct User {
  std::string account_id;
  std::string name;
  std::string user_id;  // AIDA...
  std::string arn;      // arn:aws:iam::<account>:user/<name>
  std::int64_t created_ms = 0;
  // Account administrators (the bootstrap user and users made by `coffer
  // admin`) hold AdministratorAccess; users made through the IAM API do not.
  bool admin = true;
};

struct AccessKey {
  std::string access_key_id;
  std::string account_id;
  std::string user_name;
  std::string status;  // Active | Inactive
  std::int64_t created_ms = 0;
};

struct NewAccessKey {
  AccessKey key;
  std::string secret_access_key;  // returned once, never stored in the clear
};

// Who made a request, as far as authorization needs to know.
struct Principal {
  std::string account_id;
  std::string user_name;
  std::string user_id;
  std::string arn;
  std::string access_key_id;
  bool admin = false;
  std::string role_arn{};  // role sessions (AssumeRole): the role
  std::string role_name{};
  std::int64_t expires_ms = 0;  // temporary credentials only
};

struct Role {
  std::string account_id;
  std::string name;
  std::string role_id;  // AROA...
  std::string arn;      // arn:aws:iam::<account>:role/<name>
  std::string trust_policy;
  std::int64_t created_ms = 0;
};

struct ManagedPolicy {
  std::string name;
  std::string policy_id;  // ANPA...
  std::string arn;        // arn:aws:iam::<account>:policy/<name>
  std::int64_t created_ms = 0;
};

// Temporary credentials from AssumeRole / GetSessionToken.
struct SessionCredentials {
  std::string access_key_id;  // ASIA...
  std::string secret_access_key;
  std::string session_token;
  std::int64_t expires_ms = 0;
  Principal principal;  // who the credentials act as
};

// Where secrets wrapped under the root key are kept, and the aad each is
// bound to (`coffer admin migrate-root-key` rewraps them).
inline constexpr std::string_view kAccessKeysTable = "access_keys";  // wrapped_secret
inline constexpr std::string_view kSessionsTable = "sessions";       // wrapped_secret, wrapped_token
std::string AccessKeySecretAad(std::string_view access_key_id);
std::string SessionSecretAad(std::string_view access_key_id);
std::string SessionTokenAad(std::string_view access_key_id);

class IdentityStore final : public auth::SecretKeySource, public policy::IdentityPolicySource {
 public:
  IdentityStore(store::Store& store, const rootkey::RootKey& root_key, RandomSource& random,
                const Clock& clock);

  StatusOr<Account> CreateAccount(std::string_view name);
  StatusOr<User> CreateUser(std::string_view account_id, std::string_view user_name, bool admin = true);
  StatusOr<NewAccessKey> CreateAccessKey(std::string_view account_id, std::string_view user_name);

  StatusOr<std::vector<Account>> ListAccounts();
  StatusOr<std::vector<User>> ListUsers(std::string_view account_id);
  StatusOr<std::vector<AccessKey>> ListAccessKeys(std::string_view account_id, std::string_view user_name);

  // The principal behind an active access key (cached after first use).
  StatusOr<Principal> PrincipalFor(std::string_view access_key_id);
  // The same, shared and immutable: the cached principal itself, no copy.
  StatusOr<std::shared_ptr<const Principal>> SharedPrincipalFor(std::string_view access_key_id);

  // auth::SecretKeySource: unwraps the stored secret of an active key, or of a
  // session (even an expired one: PrincipalForRequest enforces expiry).
  StatusOr<SecretBytes> SecretKeyFor(std::string_view access_key_id) override;

  // Inline user policies (PutUserPolicy & co). Documents are parsed as
  // identity policies first (MalformedPolicyDocument otherwise).
  Status PutUserPolicy(std::string_view account_id, std::string_view user_name, std::string_view policy_name,
                       std::string_view document);
  StatusOr<std::string> GetUserPolicy(std::string_view account_id, std::string_view user_name,
                                      std::string_view policy_name);
  Status DeleteUserPolicy(std::string_view account_id, std::string_view user_name,
                          std::string_view policy_name);
  StatusOr<std::vector<std::string>> ListUserPolicies(std::string_view account_id,
                                                      std::string_view user_name);
  // Active | Inactive. An inactive key is refused at once (caches dropped).
  Status UpdateAccessKey(std::string_view account_id, std::string_view access_key_id,
                         std::string_view status);

  // Roles and their inline policies (roles.cc).
  StatusOr<Role> CreateRole(std::string_view account_id, std::string_view name,
                            std::string_view trust_policy);
  StatusOr<Role> GetRole(std::string_view account_id, std::string_view name);
  Status DeleteRole(std::string_view account_id, std::string_view name);
  Status PutRolePolicy(std::string_view account_id, std::string_view role, std::string_view policy_name,
                       std::string_view document);
  StatusOr<std::string> GetRolePolicy(std::string_view account_id, std::string_view role,
                                      std::string_view policy_name);
  Status DeleteRolePolicy(std::string_view account_id, std::string_view role, std::string_view policy_name);
  StatusOr<std::vector<std::string>> ListRolePolicies(std::string_view account_id, std::string_view role);

  // Managed policies, attachments, groups, tags and deletions (directory.cc).
  // `kind` is "user" or "role"; policy ARNs are arn:aws:iam::<account>:policy/<name>
  // or arn:aws:iam::aws:policy/AdministratorAccess.
  StatusOr<ManagedPolicy> CreatePolicy(std::string_view account_id, std::string_view name,
                                       std::string_view document);
  Status AttachPolicy(std::string_view kind, std::string_view account_id, std::string_view owner,
                      std::string_view policy_arn);
  Status DetachPolicy(std::string_view kind, std::string_view account_id, std::string_view owner,
                      std::string_view policy_arn);
  StatusOr<std::vector<std::string>> ListAttachedPolicies(std::string_view kind, std::string_view account_id,
                                                          std::string_view owner);
  // Returns the new group's id (AGPA...).
  StatusOr<std::string> CreateGroup(std::string_view account_id, std::string_view name);
  Status AddUserToGroup(std::string_view account_id, std::string_view group, std::string_view user);
  Status PutGroupPolicy(std::string_view account_id, std::string_view group, std::string_view policy_name,
                        std::string_view document);
  Status TagEntity(std::string_view kind, std::string_view account_id, std::string_view owner,
                   const std::map<std::string, std::string>& tags);
  // IAM's DeleteConflict when the user still has access keys, policies or groups.
  Status DeleteUser(std::string_view account_id, std::string_view name);
  Status DeleteAccessKey(std::string_view account_id, std::string_view access_key_id);

  // Sessions (sessions.cc). `duration_s` is already range-checked.
  StatusOr<SessionCredentials> NewSession(const Principal& acting_as, std::int64_t duration_s);
  // The principal of a verified request: checks the session token of
  // temporary credentials (constant time), then their expiry (injected Clock;
  // kExpiredToken once past it);
  // a token on long-term credentials is refused, as on AWS.
  StatusOr<Principal> PrincipalForRequest(std::string_view access_key_id, std::string_view session_token);
  // The same, shared: a long-term key's principal is the cached one.
  StatusOr<std::shared_ptr<const Principal>> SharedPrincipalForRequest(std::string_view access_key_id,
                                                                       std::string_view session_token);

  // policy::IdentityPolicySource
  StatusOr<std::vector<policy::NamedPolicy>> PoliciesFor(const policy::CallerInfo& who) override;
  std::uint64_t Generation() const override { return generation_.load(std::memory_order_relaxed); }
  // Drops cached principals and policies (another cluster node wrote IAM state).
  void ForgetCached() { Changed(); }

 private:
  StatusOr<AccessKey> LoadAccessKey(std::string_view access_key_id, std::string* out_wrapped);
  StatusOr<SecretBytes> SessionSecret(std::string_view access_key_id);
  StatusOr<std::vector<policy::NamedPolicy>> LoadPolicies(const policy::CallerInfo& who);
  // Attached managed policies and (users) group policies, added to `out`.
  Status AddAttachedAndGroupPolicies(store::Txn& txn, const policy::CallerInfo& who,
                                     std::vector<policy::NamedPolicy>& out);
  StatusOr<std::string> RandomString(std::string_view alphabet, std::size_t len);

  store::Store& store_;
  const rootkey::RootKey& root_key_;
  RandomSource& random_;
  const Clock& clock_;
  std::shared_mutex mu_;
  StringMap<std::shared_ptr<const Principal>> principals_;                      // by access key id
  std::unordered_map<std::string, std::vector<policy::NamedPolicy>> policies_;  // user ARN -> policies
  std::atomic<std::uint64_t> generation_{0};

  // After any IAM write: cached principals and policies are dropped.
  void Changed();
};

}  // namespace coffer::iam

// Accounts, IAM users and access keys, kept in the Store. Secret access keys
// are stored only wrapped under the root key. Also the SigV4 verifier's source
// of secrets, and the map from a verified access key to its principal.
#pragma once

#include <cstdint>
#include <memory>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "auth/sigv4.h"
#include "common/clock.h"
#include "common/random.h"
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
};

class IdentityStore final : public auth::SecretKeySource {
 public:
  IdentityStore(store::Store& store, const rootkey::RootKey& root_key, RandomSource& random,
                const Clock& clock);

  StatusOr<Account> CreateAccount(std::string_view name);
  StatusOr<User> CreateUser(std::string_view account_id, std::string_view user_name);
  StatusOr<NewAccessKey> CreateAccessKey(std::string_view account_id, std::string_view user_name);

  StatusOr<std::vector<Account>> ListAccounts();
  StatusOr<std::vector<User>> ListUsers(std::string_view account_id);
  StatusOr<std::vector<AccessKey>> ListAccessKeys(std::string_view account_id, std::string_view user_name);

  // The principal behind an active access key (cached after first use).
  StatusOr<Principal> PrincipalFor(std::string_view access_key_id);

  // auth::SecretKeySource: unwraps the stored secret of an active key.
  StatusOr<SecretBytes> SecretKeyFor(std::string_view access_key_id) override;

 private:
  StatusOr<AccessKey> LoadAccessKey(std::string_view access_key_id, std::string* out_wrapped);
  StatusOr<std::string> RandomString(std::string_view alphabet, std::size_t len);

  store::Store& store_;
  const rootkey::RootKey& root_key_;
  RandomSource& random_;
  const Clock& clock_;
  std::shared_mutex mu_;
  std::unordered_map<std::string, Principal> principals_;
};

}  // namespace coffer::iam

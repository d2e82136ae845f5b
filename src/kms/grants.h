// KMS grants: records in the Store (table "grants", key region/account/key
// id/grant id), read by the authorizer (GrantSource) and written by the grant
// operations in ops/grants.cc. A grant is usable as soon as CreateGrant
// returns (the store is strongly consistent), so grant tokens are accepted
// but not needed for eventual consistency.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/random.h"
#include "kms/authorizer.h"
#include "store/store.h"

namespace coffer::kms {

struct GrantRecord {
  GrantView view;  // id, grantee, operations, constraints
  std::string key_arn;
  std::string region;
  std::string account;  // the key's account
  std::string key_id;
  std::string name;
  std::string retiring_principal;
  std::string issuing_account;
  std::string token;  // opaque; compared in constant time
  std::int64_t created_ms = 0;
};

class GrantStore final : public GrantSource {
 public:
  GrantStore(store::Store& store, RandomSource& random);

  StatusOr<std::vector<GrantView>> GrantsFor(const KeyRecord& key) override;

  // Stores a new grant (fills id and token) or, when a grant with the same
  // Name and parameters exists on the key, returns that one (idempotency).
  StatusOr<GrantRecord> Create(GrantRecord draft);
  StatusOr<std::vector<GrantRecord>> ForKey(std::string_view region, std::string_view account,
                                            std::string_view key_id);
  // Every grant of the account (ListRetirableGrants).
  StatusOr<std::vector<GrantRecord>> ForAccount(std::string_view region, std::string_view account);
  StatusOr<std::optional<GrantRecord>> Find(std::string_view region, std::string_view account,
                                            std::string_view key_id, std::string_view grant_id);
  // The grant a token names, in any account of the region.
  StatusOr<std::optional<GrantRecord>> FindByToken(std::string_view token);
  Status Delete(const GrantRecord& grant);
  // Grants end with their key.
  Status DeleteForKey(std::string_view region, std::string_view account, std::string_view key_id);

 private:
  store::Store& store_;
  RandomSource& random_;
};

}  // namespace coffer::kms

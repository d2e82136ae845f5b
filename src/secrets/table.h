// Where secrets live in the Store: one record per (account, region, name) in
// "sm_secrets" and one sealed value per (secret ARN, version id) in
// "sm_values". Callers own the transaction.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "secrets/record.h"
#include "store/store.h"

namespace coffer::secrets {

class SecretTable {
 public:
  static StatusOr<std::optional<SecretRecord>> Get(store::Txn& txn, std::string_view account,
                                                   std::string_view region, std::string_view name);
  static Status Put(store::Txn& txn, const SecretRecord& record);
  // The record and every value of it.
  static Status Remove(store::Txn& txn, const SecretRecord& record);
  // Every secret of an account in a region, by name.
  static StatusOr<std::vector<SecretRecord>> List(store::Txn& txn, std::string_view account,
                                                  std::string_view region);
  // Every secret of every account (the sweeper's view).
  static StatusOr<std::vector<SecretRecord>> All(store::Txn& txn);

  static StatusOr<std::optional<SealedValue>> GetValue(store::Txn& txn, std::string_view arn,
                                                       std::string_view version_id);
  static Status PutValue(store::Txn& txn, std::string_view arn, std::string_view version_id,
                         const SealedValue& value);
  static Status DeleteValue(store::Txn& txn, std::string_view arn, std::string_view version_id);
};

}  // namespace coffer::secrets

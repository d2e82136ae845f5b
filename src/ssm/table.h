// Where parameters live in the Store: one record per (account, region, name)
// in "ssm_parameters", and the account's service settings in
// "ssm_settings". Callers own the transaction.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ssm/record.h"
#include "store/store.h"

namespace coffer::ssm {

class ParameterTable {
 public:
  static StatusOr<std::optional<ParameterRecord>> Get(store::Txn& txn, std::string_view account,
                                                      std::string_view region, std::string_view name);
  static Status Put(store::Txn& txn, const ParameterRecord& record);
  static Status Remove(store::Txn& txn, const ParameterRecord& record);
  // Parameters of an account in a region whose name starts with `prefix`,
  // ascending by name, after `start_after` (a name), at most `limit`.
  static StatusOr<std::vector<ParameterRecord>> List(store::Txn& txn, std::string_view account,
                                                     std::string_view region, std::string_view prefix,
                                                     std::string_view start_after, std::size_t limit);
  // How many parameters of the tier the account has in the region.
  static StatusOr<std::size_t> CountTier(store::Txn& txn, std::string_view account, std::string_view region,
                                         std::string_view tier);
  // Every parameter (the sweeper's view).
  static StatusOr<std::vector<ParameterRecord>> All(store::Txn& txn);

  static StatusOr<std::optional<std::string>> GetSetting(store::Txn& txn, std::string_view account,
                                                         std::string_view region, std::string_view id);
  static Status PutSetting(store::Txn& txn, std::string_view account, std::string_view region,
                           std::string_view id, std::string_view json);
  static Status DeleteSetting(store::Txn& txn, std::string_view account, std::string_view region,
                              std::string_view id);
};

}  // namespace coffer::ssm

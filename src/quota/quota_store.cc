#include "quota/quota_store.h"

#include <charconv>
#include <string>

#include "quota/quota_groups.h"

namespace coffer::quota {
namespace {

constexpr std::string_view kTable = "quotas";
constexpr std::string_view kDefaults = "*";

}  // namespace

Status SetStoredQuota(store::Store& store, std::string_view account, std::string_view group, double rate) {
  if (!DefaultRates().contains(group))
    return ValidationError("unknown quota group '" + std::string(group) + "'");
  if (!(rate > 0)) return ValidationError("a quota rate must be a positive number of requests per second");
  ASSIGN_OR_RETURN(auto txn, store.BeginWrite());
  const std::string key = std::string(account.empty() ? kDefaults : account) + "/" + std::string(group);
  RETURN_IF_ERROR(txn->Put(kTable, key, std::to_string(rate)));
  return txn->Commit();
}

StatusOr<QuotaConfig> LoadStoredQuotas(store::Store& store) {
  ASSIGN_OR_RETURN(auto txn, store.BeginRead());
  ASSIGN_OR_RETURN(auto entries, txn->Scan(kTable, "", "", 100000));
  QuotaConfig config;
  for (const auto& entry : entries) {
    const auto slash = entry.key.find('/');
    if (slash == std::string::npos) continue;
    const std::string account = entry.key.substr(0, slash);
    const std::string group = entry.key.substr(slash + 1);
    double rate = 0;
    try {
      rate = std::stod(entry.value);
    } catch (const std::exception&) {
      continue;
    }
    if (account == kDefaults) {
      config.defaults[group] = rate;
    } else {
      config.accounts[account][group] = rate;
    }
  }
  return config;
}

}  // namespace coffer::quota

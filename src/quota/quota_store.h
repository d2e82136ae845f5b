// Quota overrides kept in the Store ("quotas" table), written by
// `coffer admin set-quota` and read by the server every few seconds, so a
// change applies without a restart. They win over the config file.
#pragma once

#include <string_view>

#include "quota/rate_limiter.h"
#include "store/store.h"

namespace coffer::quota {

// `account` empty: the default for every account. kValidation for an unknown
// group or a rate that is not positive.
Status SetStoredQuota(store::Store& store, std::string_view account, std::string_view group, double rate);
StatusOr<QuotaConfig> LoadStoredQuotas(store::Store& store);

}  // namespace coffer::quota

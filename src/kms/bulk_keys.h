// Many symmetric keys at once, for `coffer admin bulk-create-keys` (load
// tests, fixtures, preloading): the records CreateKey would make, written in
// batched transactions instead of one per key.
#pragma once

#include <cstddef>
#include <functional>
#include <string>

#include "common/status_or.h"
#include "kms/service.h"

namespace coffer::kms {

struct BulkCreateReport {
  std::size_t created = 0;
  std::string first_key_id;  // "" when none
  std::string last_key_id;
};

// Creates `count` SYMMETRIC_DEFAULT keys in ctx's account and region, each
// exactly as CreateKey without parameters makes it (default policy, fresh
// material wrapped under the root key), `per_txn` to a transaction
// (`per_txn` > 0). Keys of committed transactions stay when a later one
// fails. `progress` (optional) hears the running total after each commit.
StatusOr<BulkCreateReport> CreateKeysInBulk(KmsService& kms, const RequestContext& ctx, std::size_t count,
                                            std::size_t per_txn,
                                            const std::function<void(std::size_t)>& progress = {});

}  // namespace coffer::kms

#include "kms/bulk_keys.h"

#include <algorithm>

namespace coffer::kms {

StatusOr<BulkCreateReport> CreateKeysInBulk(KmsService& kms, const RequestContext& ctx, std::size_t count,
                                            std::size_t per_txn,
                                            const std::function<void(std::size_t)>& progress) {
  if (per_txn == 0) return ValidationError("keys per transaction must be positive");
  // A fresh store marks its due index complete now, so the first sweep after
  // a million new keys does not read them all to build it.
  RETURN_IF_ERROR(kms.keys().EnsureIndex());
  BulkCreateReport report;
  while (report.created < count) {
    const std::size_t batch = std::min(per_txn, count - report.created);
    ASSIGN_OR_RETURN(KeyWriter writer, kms.keys().BeginWrite());
    std::string last;
    for (std::size_t i = 0; i < batch; ++i) {
      ASSIGN_OR_RETURN(KeyRecord record, kms.DraftSymmetricKey(ctx, KeyRecord{}));
      RETURN_IF_ERROR(writer.PutKey(record));
      if (report.first_key_id.empty() && i == 0) report.first_key_id = record.key_id;
      last = std::move(record.key_id);
    }
    RETURN_IF_ERROR(writer.Commit());
    report.created += batch;
    report.last_key_id = std::move(last);
    if (progress) progress(report.created);
  }
  return report;
}

}  // namespace coffer::kms

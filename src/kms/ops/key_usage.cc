// GetKeyLastUsage: the last successful cryptographic use of a key, as the
// audit trail recorded it.
#include "kms/key_usage.h"

#include <algorithm>

#include "kms/ops/ops.h"

namespace coffer::kms::ops {
namespace {

double EpochSeconds(TimePoint t) { return static_cast<double>(ToEpochMillis(t)) / 1000.0; }

}  // namespace

StatusOr<Json> GetKeyLastUsage(KmsService& kms, const RequestContext& ctx, const Json& req) {
  // Same account only, as AWS ("Cross-account use: No"); authorized first.
  ASSIGN_OR_RETURN(auto key, kms.LoadForCaller(ctx, req.at("KeyId").get<std::string>()));
  KeyUsageSource* usage = kms.key_usage();
  if (usage == nullptr) {
    return Status(ErrorCode::kUnsupportedOperation,
                  "GetKeyLastUsage reads the audit trail, which is off on this server");
  }
  const KeyRecord& r = key->record;
  ASSIGN_OR_RETURN(std::optional<KeyLastUse> last, usage->LastUse(r.Arn()));
  const TimePoint created = FromEpochMillis(r.created_ms);
  Json out = {{"KeyId", r.key_id},
              {"KeyCreationDate", EpochSeconds(created)},
              {"TrackingStartDate", EpochSeconds(std::max(created, usage->TrackingStart()))},
              {"KeyLastUsage", Json::object()}};
  if (last) {
    out["KeyLastUsage"] = {{"Operation", last->operation},
                           {"Timestamp", EpochSeconds(last->time)},
                           {"CloudTrailEventId", last->event_id},
                           {"KmsRequestId", last->request_id}};
  }
  return out;
}

}  // namespace coffer::kms::ops

// Rotation: EnableKeyRotation, DisableKeyRotation, GetKeyRotationStatus,
// RotateKeyOnDemand, ListKeyRotations. Automatic rotation is done by the
// sweeper (KmsService::RunSweeper).
#include "kms/ops/ops.h"

namespace coffer::kms::ops {
namespace {

constexpr std::int64_t kDayMs = 24LL * 3600 * 1000;
// AWS's quota of on-demand rotations per key.
constexpr int kMaxOnDemandRotations = 10;

Status CheckRotatable(const KeyRecord& r, const RequestContext& ctx) {
  RETURN_IF_ERROR(CheckCustomerManaged(r, ctx));
  // As AWS: only symmetric keys with KMS-made material rotate.
  if (r.key_spec != "SYMMETRIC_DEFAULT" || r.origin != "AWS_KMS") {
    return {ErrorCode::kUnsupportedOperation, r.Arn() + " does not support key rotation"};
  }
  return CheckUsableForCrypto(r);
}

Json RotationEntry(const KeyRecord& r, const KeyVersion& v) {
  Json entry = {{"KeyId", r.Arn()}, {"KeyMaterialId", v.id}};
  if (!v.rotation_type.empty()) {
    entry["RotationDate"] = static_cast<double>(v.created_ms) / 1000.0;
    entry["RotationType"] = v.rotation_type;
  }
  return entry;
}

}  // namespace

StatusOr<Json> EnableKeyRotation(KmsService& kms, const RequestContext& ctx, const Json& req) {
  const int period = static_cast<int>(req.value("RotationPeriodInDays", std::int64_t{365}));
  const std::int64_t now = kms.NowMs();
  RETURN_IF_ERROR(MutateKey(kms, ctx, req.at("KeyId").get<std::string>(), [&](KeyRecord& r) {
                    RETURN_IF_ERROR(CheckRotatable(r, ctx));
                    // As AWS: the first rotation is `period` days after rotation is enabled
                    // (not after the material was made); a new period for a key already
                    // rotating counts from the same start (enable date or last rotation).
                    const std::int64_t start =
                        r.rotation_enabled ? r.next_rotation_ms - r.rotation_period_days * kDayMs : now;
                    r.rotation_enabled = true;
                    r.rotation_period_days = period;
                    r.next_rotation_ms = std::max(start + period * kDayMs, now);
                    return Status::Ok();
                  }).status());
  return Json::object();
}

StatusOr<Json> DisableKeyRotation(KmsService& kms, const RequestContext& ctx, const Json& req) {
  RETURN_IF_ERROR(MutateKey(kms, ctx, req.at("KeyId").get<std::string>(), [&](KeyRecord& r) {
                    RETURN_IF_ERROR(CheckRotatable(r, ctx));
                    r.rotation_enabled = false;
                    r.next_rotation_ms = 0;
                    return Status::Ok();
                  }).status());
  return Json::object();
}

StatusOr<Json> GetKeyRotationStatus(KmsService& kms, const RequestContext& ctx, const Json& req) {
  ASSIGN_OR_RETURN(auto key, kms.LoadForCaller(ctx, req.at("KeyId").get<std::string>()));
  const KeyRecord& r = key->record;
  // A key pending deletion does not rotate; cancelling the deletion restores
  // its rotation setting, so the flag itself is kept.
  const bool enabled = r.rotation_enabled && r.state != kStatePendingDeletion;
  Json out = {{"KeyId", r.Arn()}, {"KeyRotationEnabled", enabled}};
  if (enabled) {
    out["RotationPeriodInDays"] = r.rotation_period_days;
    out["NextRotationDate"] = static_cast<double>(r.next_rotation_ms) / 1000.0;
  }
  return out;
}

StatusOr<Json> RotateKeyOnDemand(KmsService& kms, const RequestContext& ctx, const Json& req) {
  const std::int64_t now = kms.NowMs();
  ASSIGN_OR_RETURN(
      KeyRecord record, MutateKey(kms, ctx, req.at("KeyId").get<std::string>(), [&](KeyRecord& r) {
        // AWS managed keys rotate yearly on their own; their key policy does
        // not allow kms:RotateKeyOnDemand, so AWS answers AccessDenied.
        RETURN_IF_ERROR(CheckCustomerManaged(r, ctx));
        RETURN_IF_ERROR(CheckRotatable(r, ctx));
        if (r.on_demand_rotations >= kMaxOnDemandRotations) {
          return Status(ErrorCode::kLimitExceeded, "The key has reached the limit of 10 on-demand rotations");
        }
        ASSIGN_OR_RETURN(KeyVersion version, kms.keys().NewVersion(r, "ON_DEMAND", now));
        r.versions.push_back(std::move(version));
        ++r.on_demand_rotations;
        return Status::Ok();
      }));
  return Json{{"KeyId", record.Arn()}};
}

StatusOr<Json> ListKeyRotations(KmsService& kms, const RequestContext& ctx, const Json& req) {
  ASSIGN_OR_RETURN(auto key, kms.LoadForCaller(ctx, req.at("KeyId").get<std::string>()));
  ASSIGN_OR_RETURN(std::string after, DecodeMarker(req));
  const bool all_material = req.value("IncludeKeyMaterial", "ROTATIONS_ONLY") == "ALL_KEY_MATERIAL";
  const std::size_t limit = ReadLimit(req, 100);
  const KeyRecord& r = key->record;
  // Position markers are version indexes: stable because versions only append.
  std::size_t start = 0;
  if (!after.empty()) {
    try {
      start = std::stoul(after);
    } catch (...) {
      return Status(ErrorCode::kInvalidMarker, "The marker is invalid or does not belong to this request");
    }
  }
  Json rotations = Json::array();
  bool truncated = false;
  std::size_t next = start;
  for (std::size_t i = start; i < r.versions.size(); ++i) {
    if (!all_material && r.versions[i].rotation_type.empty()) continue;
    if (rotations.size() == limit) {
      truncated = true;
      next = i;
      break;
    }
    rotations.push_back(RotationEntry(r, r.versions[i]));
  }
  Json out = {{"Rotations", std::move(rotations)}, {"Truncated", truncated}};
  if (truncated) out["NextMarker"] = EncodeMarker(std::to_string(next));
  return out;
}

}  // namespace coffer::kms::ops

// Key lifecycle: CreateKey, DescribeKey, ListKeys, EnableKey, DisableKey,
// UpdateKeyDescription, ScheduleKeyDeletion, CancelKeyDeletion.
#include <algorithm>

#include "kms/key_spec.h"
#include "kms/ops/ops.h"
#include "policy/policy.h"

namespace coffer::kms::ops {
namespace {

constexpr std::int64_t kDayMs = 24LL * 3600 * 1000;
constexpr std::size_t kMaxTags = 50;
constexpr std::size_t kMaxPolicyBytes = 32768;

std::string StringMember(const Json& request, std::string_view name, std::string_view fallback = "") {
  auto it = request.find(name);
  return it != request.end() && it->is_string() ? it->get<std::string>() : std::string(fallback);
}

Status CheckCreateKeyOptions(const Json& req, const std::string& spec) {
  if (req.contains("KeySpec") && req.contains("CustomerMasterKeySpec") &&
      req["KeySpec"] != req["CustomerMasterKeySpec"]) {
    return ValidationError("You cannot specify both KeySpec and CustomerMasterKeySpec with different values");
  }
  const KeySpecInfo* info = FindKeySpec(spec);
  if (info == nullptr) {
    return {ErrorCode::kUnsupportedOperation, "KeySpec " + spec + " is not supported by this server"};
  }
  const std::string usage = StringMember(req, "KeyUsage", "ENCRYPT_DECRYPT");
  if (std::find(info->usages.begin(), info->usages.end(), usage) == info->usages.end()) {
    return ValidationError("KeyUsage " + usage + " is not compatible with KeySpec " + spec);
  }
  const std::string origin = StringMember(req, "Origin", "AWS_KMS");
  // AWS_CLOUDHSM and EXTERNAL_KEY_STORE: CreateKeyInCustomKeyStore checks the rest.
  if (origin != "AWS_KMS" && origin != "EXTERNAL" && origin != "AWS_CLOUDHSM" &&
      origin != "EXTERNAL_KEY_STORE") {
    return {ErrorCode::kUnsupportedOperation, "Origin " + origin + " is not supported by this server"};
  }
  if (req.value("MultiRegion", false)) {
    return {ErrorCode::kUnsupportedOperation, "Multi-Region keys are not supported by this server yet"};
  }
  return Status::Ok();
}

Status CheckNotPendingImport(const KeyRecord& r) {
  if (r.state != kStatePendingImport) return Status::Ok();
  return {ErrorCode::kInvalidState, r.Arn() + " is pending import."};
}

}  // namespace

Status CheckPolicyDocument(const std::string& policy) {
  if (policy.size() > kMaxPolicyBytes) {
    return {ErrorCode::kLimitExceeded, "The key policy exceeds the 32768 byte quota"};
  }
  return policy::Parse(policy, {policy::PolicyKind::kResource, kMaxPolicyBytes}).status();
}

StatusOr<Json> CreateKey(KmsService& kms, const RequestContext& ctx, const Json& req) {
  const std::string spec =
      StringMember(req, "KeySpec", StringMember(req, "CustomerMasterKeySpec", "SYMMETRIC_DEFAULT"));
  RETURN_IF_ERROR(CheckCreateKeyOptions(req, spec));
  RETURN_IF_ERROR(kms.AuthorizeAccount(ctx));  // kms:CreateKey: IAM policy only, as on AWS
  KeyRecord draft;
  draft.key_spec = spec;
  draft.key_usage = StringMember(req, "KeyUsage", "ENCRYPT_DECRYPT");
  draft.origin = StringMember(req, "Origin", "AWS_KMS");
  draft.description = StringMember(req, "Description");
  draft.policy = StringMember(req, "Policy");
  if (!draft.policy.empty()) {
    RETURN_IF_ERROR(CheckPolicyDocument(draft.policy));
    KeyRecord future = draft;  // the key as the lockout check sees it (its id is not drawn yet)
    future.account = ctx.account;
    future.region = ctx.region;
    RETURN_IF_ERROR(CheckLockout(kms, ctx, future, draft.policy, req));
  }
  ASSIGN_OR_RETURN(draft.tags, ReadTags(req));
  if (draft.tags.size() > kMaxTags)
    return Status(ErrorCode::kLimitExceeded, "A key can have at most 50 tags");
  if (WantsCustomKeyStore(req)) {
    ASSIGN_OR_RETURN(KeyRecord created, CreateKeyInCustomKeyStore(kms, ctx, req, std::move(draft)));
    Json metadata = KeyMetadata(created);
    AddCustomKeyStoreMetadata(kms, created, metadata);
    return Json{{"KeyMetadata", std::move(metadata)}};
  }
  ASSIGN_OR_RETURN(KeyRecord created, kms.CreateSymmetricKey(ctx, std::move(draft)));
  return Json{{"KeyMetadata", KeyMetadata(created)}};
}

StatusOr<Json> DescribeKey(KmsService& kms, const RequestContext& ctx, const Json& req) {
  ASSIGN_OR_RETURN(auto key,
                   kms.Resolve(ctx, req.at("KeyId").get<std::string>(), KeyRefs::kAnyIncludingAlias));
  Json metadata = KeyMetadata(key->record);
  AddCustomKeyStoreMetadata(kms, key->record, metadata);
  return Json{{"KeyMetadata", std::move(metadata)}};
}

StatusOr<Json> ListKeys(KmsService& kms, const RequestContext& ctx, const Json& req) {
  ASSIGN_OR_RETURN(std::string after, DecodeMarker(req));
  RETURN_IF_ERROR(kms.AuthorizeAccount(ctx));
  ASSIGN_OR_RETURN(KeyPage page, kms.keys().ListKeys(ctx.region, ctx.account, after, ReadLimit(req, 100)));
  Json keys = Json::array();
  for (const auto& k : page.keys) keys.push_back({{"KeyId", k.key_id}, {"KeyArn", k.Arn()}});
  Json out = {{"Keys", std::move(keys)}, {"Truncated", page.truncated}};
  if (page.truncated) out["NextMarker"] = EncodeMarker(page.keys.back().key_id);
  return out;
}

StatusOr<Json> EnableKey(KmsService& kms, const RequestContext& ctx, const Json& req) {
  RETURN_IF_ERROR(MutateKey(kms, ctx, req.at("KeyId").get<std::string>(), [&](KeyRecord& r) {
                    RETURN_IF_ERROR(CheckCustomerManaged(r, ctx));
                    RETURN_IF_ERROR(CheckNotPendingDeletion(r));
                    RETURN_IF_ERROR(CheckNotPendingImport(r));
                    r.state = std::string(kStateEnabled);
                    return Status::Ok();
                  }).status());
  return Json::object();
}

StatusOr<Json> DisableKey(KmsService& kms, const RequestContext& ctx, const Json& req) {
  RETURN_IF_ERROR(MutateKey(kms, ctx, req.at("KeyId").get<std::string>(), [&](KeyRecord& r) {
                    RETURN_IF_ERROR(CheckCustomerManaged(r, ctx));
                    RETURN_IF_ERROR(CheckNotPendingDeletion(r));
                    RETURN_IF_ERROR(CheckNotPendingImport(r));
                    r.state = std::string(kStateDisabled);
                    return Status::Ok();
                  }).status());
  return Json::object();
}

StatusOr<Json> UpdateKeyDescription(KmsService& kms, const RequestContext& ctx, const Json& req) {
  RETURN_IF_ERROR(MutateKey(kms, ctx, req.at("KeyId").get<std::string>(), [&](KeyRecord& r) {
                    RETURN_IF_ERROR(CheckCustomerManaged(r, ctx));
                    RETURN_IF_ERROR(CheckNotPendingDeletion(r));
                    r.description = req.at("Description").get<std::string>();
                    return Status::Ok();
                  }).status());
  return Json::object();
}

StatusOr<Json> ScheduleKeyDeletion(KmsService& kms, const RequestContext& ctx, const Json& req) {
  const std::int64_t days = req.value("PendingWindowInDays", std::int64_t{30});
  if (days < 7) {
    return ValidationFailure("pendingWindowInDays", std::to_string(days),
                             "Member must have value greater than or equal to 7");
  }
  if (days > 30) {
    return ValidationFailure("pendingWindowInDays", std::to_string(days),
                             "Member must have value less than or equal to 30");
  }
  const std::int64_t now = kms.NowMs();
  ASSIGN_OR_RETURN(KeyRecord record,
                   MutateKey(kms, ctx, req.at("KeyId").get<std::string>(), [&](KeyRecord& r) {
                     RETURN_IF_ERROR(CheckCustomerManaged(r, ctx));
                     RETURN_IF_ERROR(CheckNotPendingDeletion(r));
                     r.state = std::string(kStatePendingDeletion);
                     r.deletion_ms = now + days * kDayMs;
                     r.pending_window_days = static_cast<int>(days);
                     return Status::Ok();
                   }));
  return Json{{"KeyId", record.Arn()},
              {"DeletionDate", static_cast<double>(*record.deletion_ms) / 1000.0},
              {"KeyState", record.state},
              {"PendingWindowInDays", days}};
}

StatusOr<Json> CancelKeyDeletion(KmsService& kms, const RequestContext& ctx, const Json& req) {
  ASSIGN_OR_RETURN(KeyRecord record,
                   MutateKey(kms, ctx, req.at("KeyId").get<std::string>(), [&](KeyRecord& r) {
                     if (r.state != kStatePendingDeletion) {
                       return Status(ErrorCode::kInvalidState, r.Arn() + " is not pending deletion.");
                     }
                     // As AWS: cancelled keys come back disabled, or PendingImport
                     // when they have no (imported) material.
                     r.state = std::string(r.versions.empty() ? kStatePendingImport : kStateDisabled);
                     r.deletion_ms.reset();
                     r.pending_window_days = 0;
                     return Status::Ok();
                   }));
  return Json{{"KeyId", record.Arn()}};
}

}  // namespace coffer::kms::ops

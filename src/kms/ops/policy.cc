// Key policies: GetKeyPolicy, PutKeyPolicy, ListKeyPolicies. Documents are
// parsed by the policy engine and evaluated by kms/authorizer.
#include "kms/authorizer.h"
#include "kms/ops/ops.h"

namespace coffer::kms::ops {
namespace {

constexpr std::string_view kDefaultPolicyName = "default";

Status CheckPolicyName(const Json& req) {
  const std::string name = req.value("PolicyName", std::string(kDefaultPolicyName));
  if (name != kDefaultPolicyName) return NotFoundError("Policy " + name + " does not exist");
  return Status::Ok();
}

}  // namespace

// AWS's policy lockout safety check: the caller must still be allowed
// kms:PutKeyPolicy under the new policy, unless the request bypasses it.
Status CheckLockout(KmsService& kms, const RequestContext& ctx, const KeyRecord& key,
                    const std::string& policy, const Json& req) {
  if (kms.authorizer() == nullptr || req.value("BypassPolicyLockoutSafetyCheck", false)) return Status::Ok();
  RequestContext put = ctx;
  put.action = "kms:PutKeyPolicy";
  ASSIGN_OR_RETURN(AuthzResult result, kms.authorizer()->Explain(put, key, policy));
  if (!result.allowed) {
    return {ErrorCode::kMalformedPolicyDocument,
            "The new key policy will not allow you to update the key policy in the future."};
  }
  return Status::Ok();
}

StatusOr<Json> GetKeyPolicy(KmsService& kms, const RequestContext& ctx, const Json& req) {
  RETURN_IF_ERROR(CheckPolicyName(req));
  ASSIGN_OR_RETURN(auto key, kms.LoadForCaller(ctx, req.at("KeyId").get<std::string>()));
  return Json{{"Policy", key->record.policy}, {"PolicyName", kDefaultPolicyName}};
}

StatusOr<Json> PutKeyPolicy(KmsService& kms, const RequestContext& ctx, const Json& req) {
  RETURN_IF_ERROR(CheckPolicyName(req));
  const std::string policy = req.at("Policy").get<std::string>();
  // MutateKey authorizes kms:PutKeyPolicy before the document is looked at.
  RETURN_IF_ERROR(MutateKey(kms, ctx, req.at("KeyId").get<std::string>(), [&](KeyRecord& r) {
                    RETURN_IF_ERROR(CheckCustomerManaged(r, ctx));
                    RETURN_IF_ERROR(CheckPolicyDocument(policy));
                    RETURN_IF_ERROR(CheckNotPendingDeletion(r));
                    RETURN_IF_ERROR(CheckLockout(kms, ctx, r, policy, req));
                    r.policy = policy;
                    return Status::Ok();
                  }).status());
  return Json::object();
}

StatusOr<Json> ListKeyPolicies(KmsService& kms, const RequestContext& ctx, const Json& req) {
  ASSIGN_OR_RETURN(auto key, kms.LoadForCaller(ctx, req.at("KeyId").get<std::string>()));
  return Json{{"PolicyNames", Json::array({kDefaultPolicyName})}, {"Truncated", false}};
}

}  // namespace coffer::kms::ops

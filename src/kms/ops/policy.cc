// Key policies: GetKeyPolicy, PutKeyPolicy, ListKeyPolicies. Documents are
// stored and returned; their evaluation arrives with the policy engine.
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

StatusOr<Json> GetKeyPolicy(KmsService& kms, const RequestContext& ctx, const Json& req) {
  RETURN_IF_ERROR(CheckPolicyName(req));
  ASSIGN_OR_RETURN(std::string id, kms.ResolveIdForWrite(ctx, req.at("KeyId").get<std::string>()));
  ASSIGN_OR_RETURN(auto key, kms.keys().Load(ctx.region, ctx.account, id));
  return Json{{"Policy", key->record.policy}, {"PolicyName", kDefaultPolicyName}};
}

StatusOr<Json> PutKeyPolicy(KmsService& kms, const RequestContext& ctx, const Json& req) {
  RETURN_IF_ERROR(CheckPolicyName(req));
  const std::string policy = req.at("Policy").get<std::string>();
  RETURN_IF_ERROR(CheckPolicyDocument(policy));
  RETURN_IF_ERROR(MutateKey(kms, ctx, req.at("KeyId").get<std::string>(), [&](KeyRecord& r) {
                    RETURN_IF_ERROR(CheckCustomerManaged(r, ctx));
                    RETURN_IF_ERROR(CheckNotPendingDeletion(r));
                    r.policy = policy;
                    return Status::Ok();
                  }).status());
  return Json::object();
}

StatusOr<Json> ListKeyPolicies(KmsService& kms, const RequestContext& ctx, const Json& req) {
  ASSIGN_OR_RETURN(std::string id, kms.ResolveIdForWrite(ctx, req.at("KeyId").get<std::string>()));
  ASSIGN_OR_RETURN(auto key, kms.keys().Load(ctx.region, ctx.account, id));
  return Json{{"PolicyNames", Json::array({kDefaultPolicyName})}, {"Truncated", false}};
}

}  // namespace coffer::kms::ops

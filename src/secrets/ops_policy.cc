// GetResourcePolicy, PutResourcePolicy, DeleteResourcePolicy,
// ValidateResourcePolicy.
#include "secrets/errors.h"
#include "secrets/service.h"
#include "secrets/table.h"

namespace coffer::secrets {
namespace {

constexpr std::string_view kPublicMessage =
    "This resource policy contains a statement that grants public access to the secret (a wildcard principal "
    "without a condition on aws:SourceAccount, aws:PrincipalAccount, aws:PrincipalOrgID, aws:SourceArn or "
    "aws:SourceVpc).";

}  // namespace

StatusOr<Json> SecretsService::GetResourcePolicy(const Caller& c, const Json& req) {
  ASSIGN_OR_RETURN(auto txn, store_.BeginRead());
  ASSIGN_OR_RETURN(SecretRecord r,
                   Resolve(*txn, c, req.at("SecretId").get<std::string>(), "GetResourcePolicy"));
  Json out = {{"ARN", r.arn}, {"Name", r.name}};
  if (!r.policy.empty()) out["ResourcePolicy"] = r.policy;
  return out;
}

StatusOr<Json> SecretsService::PutResourcePolicy(const Caller& c, const Json& req) {
  const std::string text = req.at("ResourcePolicy").get<std::string>();
  ASSIGN_OR_RETURN(policy::Policy parsed, ParseResourcePolicy(text));
  if (req.value("BlockPublicPolicy", false) && GrantsPublicAccess(parsed)) {
    return PublicPolicy(std::string(kPublicMessage));
  }
  SecretRecord r;
  {
    ASSIGN_OR_RETURN(auto txn, store_.BeginWrite());
    ASSIGN_OR_RETURN(r, Resolve(*txn, c, req.at("SecretId").get<std::string>(), "PutResourcePolicy"));
    RETURN_IF_ERROR(CheckWritable(r));
    r.policy = text;
    RETURN_IF_ERROR(SecretTable::Put(*txn, r));
    RETURN_IF_ERROR(txn->Commit());
  }
  if (!r.replicas.empty()) RETURN_IF_ERROR(SyncReplicas(c, r.name, r.region));
  return Json{{"ARN", r.arn}, {"Name", r.name}};
}

StatusOr<Json> SecretsService::DeleteResourcePolicy(const Caller& c, const Json& req) {
  SecretRecord r;
  {
    ASSIGN_OR_RETURN(auto txn, store_.BeginWrite());
    ASSIGN_OR_RETURN(r, Resolve(*txn, c, req.at("SecretId").get<std::string>(), "DeleteResourcePolicy"));
    RETURN_IF_ERROR(CheckWritable(r));
    r.policy.clear();
    RETURN_IF_ERROR(SecretTable::Put(*txn, r));
    RETURN_IF_ERROR(txn->Commit());
  }
  if (!r.replicas.empty()) RETURN_IF_ERROR(SyncReplicas(c, r.name, r.region));
  return Json{{"ARN", r.arn}, {"Name", r.name}};
}

StatusOr<Json> SecretsService::ValidateResourcePolicy(const Caller& c, const Json& req) {
  if (req.contains("SecretId")) {
    ASSIGN_OR_RETURN(auto txn, store_.BeginRead());
    ASSIGN_OR_RETURN(SecretRecord r,
                     Resolve(*txn, c, req.at("SecretId").get<std::string>(), "ValidateResourcePolicy"));
  } else {
    RETURN_IF_ERROR(Authorize(c, "ValidateResourcePolicy", "*", nullptr));
  }
  ASSIGN_OR_RETURN(policy::Policy parsed, ParseResourcePolicy(req.at("ResourcePolicy").get<std::string>()));
  Json errors = Json::array();
  if (GrantsPublicAccess(parsed)) {
    errors.push_back({{"CheckName", "BLOCKED_PUBLIC_POLICY"}, {"ErrorMessage", std::string(kPublicMessage)}});
  }
  return Json{{"PolicyValidationPassed", errors.empty()}, {"ValidationErrors", errors}};
}

}  // namespace coffer::secrets

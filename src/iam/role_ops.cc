// IAM role operations of the Query API.
#include "auth/canonical.h"
#include "iam/query_util.h"

namespace coffer::iam::internal {
namespace {

std::string RoleArn(const QueryContext& ctx, std::string_view name) {
  return "arn:aws:iam::" + ctx.principal.account_id + ":role/" + std::string(name);
}

std::string Encoded(std::string_view document) {
  std::string out;
  auth::internal::AppendUriEncoded(document, false, out);
  return out;
}

std::string RoleXml(const Role& r) {
  return "<Role><Path>/</Path><RoleName>" + XmlEscape(r.name) + "</RoleName><RoleId>" + r.role_id +
         "</RoleId><Arn>" + XmlEscape(r.arn) + "</Arn><CreateDate>" + IsoMillis(r.created_ms) +
         "</CreateDate><AssumeRolePolicyDocument>" + XmlEscape(Encoded(r.trust_policy)) +
         "</AssumeRolePolicyDocument><MaxSessionDuration>43200</MaxSessionDuration></Role>";
}

}  // namespace

StatusOr<std::string> CreateRole(IdentityStore& ids, const QueryContext& ctx, const FormParams& p) {
  ASSIGN_OR_RETURN(std::string name, Required(p, "RoleName"));
  ASSIGN_OR_RETURN(std::string trust, Required(p, "AssumeRolePolicyDocument"));
  RETURN_IF_ERROR(Authorize(ids, ctx, "iam:CreateRole", RoleArn(ctx, name)));
  ASSIGN_OR_RETURN(Role role, ids.CreateRole(ctx.principal.account_id, name, trust));
  return RoleXml(role);
}

StatusOr<std::string> GetRole(IdentityStore& ids, const QueryContext& ctx, const FormParams& p) {
  ASSIGN_OR_RETURN(std::string name, Required(p, "RoleName"));
  RETURN_IF_ERROR(Authorize(ids, ctx, "iam:GetRole", RoleArn(ctx, name)));
  ASSIGN_OR_RETURN(Role role, ids.GetRole(ctx.principal.account_id, name));
  return RoleXml(role);
}

StatusOr<std::string> DeleteRole(IdentityStore& ids, const QueryContext& ctx, const FormParams& p) {
  ASSIGN_OR_RETURN(std::string name, Required(p, "RoleName"));
  RETURN_IF_ERROR(Authorize(ids, ctx, "iam:DeleteRole", RoleArn(ctx, name)));
  RETURN_IF_ERROR(ids.DeleteRole(ctx.principal.account_id, name));
  return std::string();
}

StatusOr<std::string> PutRolePolicy(IdentityStore& ids, const QueryContext& ctx, const FormParams& p) {
  ASSIGN_OR_RETURN(std::string name, Required(p, "RoleName"));
  ASSIGN_OR_RETURN(std::string policy_name, Required(p, "PolicyName"));
  ASSIGN_OR_RETURN(std::string document, Required(p, "PolicyDocument"));
  RETURN_IF_ERROR(Authorize(ids, ctx, "iam:PutRolePolicy", RoleArn(ctx, name)));
  RETURN_IF_ERROR(ids.PutRolePolicy(ctx.principal.account_id, name, policy_name, document));
  return std::string();
}

StatusOr<std::string> GetRolePolicy(IdentityStore& ids, const QueryContext& ctx, const FormParams& p) {
  ASSIGN_OR_RETURN(std::string name, Required(p, "RoleName"));
  ASSIGN_OR_RETURN(std::string policy_name, Required(p, "PolicyName"));
  RETURN_IF_ERROR(Authorize(ids, ctx, "iam:GetRolePolicy", RoleArn(ctx, name)));
  ASSIGN_OR_RETURN(std::string document, ids.GetRolePolicy(ctx.principal.account_id, name, policy_name));
  return "<RoleName>" + XmlEscape(name) + "</RoleName><PolicyName>" + XmlEscape(policy_name) +
         "</PolicyName><PolicyDocument>" + XmlEscape(Encoded(document)) + "</PolicyDocument>";
}

StatusOr<std::string> DeleteRolePolicy(IdentityStore& ids, const QueryContext& ctx, const FormParams& p) {
  ASSIGN_OR_RETURN(std::string name, Required(p, "RoleName"));
  ASSIGN_OR_RETURN(std::string policy_name, Required(p, "PolicyName"));
  RETURN_IF_ERROR(Authorize(ids, ctx, "iam:DeleteRolePolicy", RoleArn(ctx, name)));
  RETURN_IF_ERROR(ids.DeleteRolePolicy(ctx.principal.account_id, name, policy_name));
  return std::string();
}

StatusOr<std::string> ListRolePolicies(IdentityStore& ids, const QueryContext& ctx, const FormParams& p) {
  ASSIGN_OR_RETURN(std::string name, Required(p, "RoleName"));
  RETURN_IF_ERROR(Authorize(ids, ctx, "iam:ListRolePolicies", RoleArn(ctx, name)));
  ASSIGN_OR_RETURN(auto names, ids.ListRolePolicies(ctx.principal.account_id, name));
  std::string out = "<PolicyNames>";
  for (const auto& n : names) out += "<member>" + XmlEscape(n) + "</member>";
  return out + "</PolicyNames><IsTruncated>false</IsTruncated>";
}

}  // namespace coffer::iam::internal

// Helpers shared by the IAM/STS Query operation files. Internal to src/iam/.
#pragma once

#include <string>
#include <string_view>

#include "iam/iam_ops.h"

namespace coffer::iam::internal {

std::string Param(const FormParams& params, const std::string& name);
// ValidationError naming the field (IAM's "Value null at 'roleName' ...").
StatusOr<std::string> Required(const FormParams& params, const std::string& name);
// The caller's identity policies allow `action` on `resource` and none denies.
StatusOr<bool> IdentityAllows(IdentityStore& ids, const QueryContext& ctx, std::string_view action,
                              const std::string& resource);
// AccessDenied in IAM's words unless IdentityAllows.
Status Authorize(IdentityStore& ids, const QueryContext& ctx, std::string_view action,
                 const std::string& resource);
std::string IsoMillis(std::int64_t ms);
// The condition keys of an IAM/STS request.
policy::Request RequestFor(const QueryContext& ctx, std::string_view action, const std::string& resource);

StatusOr<std::string> CreateRole(IdentityStore& ids, const QueryContext& ctx, const FormParams& p);
StatusOr<std::string> GetRole(IdentityStore& ids, const QueryContext& ctx, const FormParams& p);
StatusOr<std::string> DeleteRole(IdentityStore& ids, const QueryContext& ctx, const FormParams& p);
StatusOr<std::string> PutRolePolicy(IdentityStore& ids, const QueryContext& ctx, const FormParams& p);
StatusOr<std::string> GetRolePolicy(IdentityStore& ids, const QueryContext& ctx, const FormParams& p);
StatusOr<std::string> DeleteRolePolicy(IdentityStore& ids, const QueryContext& ctx, const FormParams& p);
StatusOr<std::string> ListRolePolicies(IdentityStore& ids, const QueryContext& ctx, const FormParams& p);
StatusOr<std::string> AssumeRole(IdentityStore& ids, const QueryContext& ctx, const FormParams& p);
StatusOr<std::string> GetSessionToken(IdentityStore& ids, const QueryContext& ctx, const FormParams& p);
StatusOr<std::string> SimulatePrincipalPolicy(IdentityStore& ids, const QueryContext& ctx,
                                              const FormParams& p);
StatusOr<std::string> SimulateCustomPolicy(IdentityStore& ids, const QueryContext& ctx, const FormParams& p);
#define COFFER_QUERY_OP(name) \
  StatusOr<std::string> name(IdentityStore& ids, const QueryContext& ctx, const FormParams& p)
COFFER_QUERY_OP(CreatePolicy);
COFFER_QUERY_OP(AttachUserPolicy);
COFFER_QUERY_OP(DetachUserPolicy);
COFFER_QUERY_OP(AttachRolePolicy);
COFFER_QUERY_OP(DetachRolePolicy);
COFFER_QUERY_OP(ListAttachedUserPolicies);
COFFER_QUERY_OP(ListAttachedRolePolicies);
COFFER_QUERY_OP(CreateGroup);
COFFER_QUERY_OP(AddUserToGroup);
COFFER_QUERY_OP(PutGroupPolicy);
COFFER_QUERY_OP(TagUser);
COFFER_QUERY_OP(TagRole);
COFFER_QUERY_OP(DeleteUser);
COFFER_QUERY_OP(DeleteAccessKey);
#undef COFFER_QUERY_OP
StatusOr<std::string> GetCallerIdentity(IdentityStore& ids, const QueryContext& ctx, const FormParams& p);

}  // namespace coffer::iam::internal

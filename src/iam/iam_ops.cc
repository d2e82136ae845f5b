#include "iam/iam_ops.h"

#include <algorithm>

#include "auth/canonical.h"
#include "common/encoding.h"
#include "common/iso_time.h"
#include "iam/query_util.h"

namespace coffer::iam {
namespace internal {

std::string IsoMillis(std::int64_t ms) { return IsoSeconds(FromEpochMillis(ms)); }

std::string Param(const FormParams& params, const std::string& name) {
  auto it = params.find(name);
  return it == params.end() ? std::string() : it->second;
}

StatusOr<std::string> Required(const FormParams& params, const std::string& name) {
  auto it = params.find(name);
  if (it == params.end() || it->second.empty()) {
    std::string field = name;
    field[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(field[0])));
    return ValidationError("1 validation error detected: Value null at '" + field +
                           "' failed to satisfy constraint: Member must not be null");
  }
  return it->second;
}

policy::Request RequestFor(const QueryContext& ctx, std::string_view action, const std::string& resource) {
  policy::Request request;
  request.caller = ctx.who.caller;
  request.action = std::string(action);
  request.resource = resource;
  request.keys.Set("aws:PrincipalArn",
                   ctx.who.caller.role_arn.empty() ? ctx.principal.arn : ctx.who.caller.role_arn);
  request.keys.Set("aws:PrincipalAccount", ctx.principal.account_id);
  if (!ctx.principal.user_name.empty()) request.keys.Set("aws:username", ctx.principal.user_name);
  request.keys.Set("aws:userid", ctx.principal.user_id);
  request.keys.Set("aws:SecureTransport", ctx.who.secure_transport ? "true" : "false");
  if (!ctx.who.source_ip.empty()) request.keys.Set("aws:SourceIp", ctx.who.source_ip);
  return request;
}

// Account administrators hold AdministratorAccess; anyone else needs an
// identity policy that allows the action (and none that denies it).
StatusOr<bool> IdentityAllows(IdentityStore& ids, const QueryContext& ctx, std::string_view action,
                              const std::string& resource) {
  const policy::Request request = RequestFor(ctx, action, resource);
  ASSIGN_OR_RETURN(auto policies, ids.PoliciesFor(ctx.who));
  bool allowed = false;
  for (const auto& named : policies) {
    const auto e = policy::Evaluate(*named.policy, request, false, named.name);
    if (e.decision == policy::Decision::kExplicitDeny) return false;
    allowed |= e.decision == policy::Decision::kAllow;
  }
  return allowed;
}

Status Authorize(IdentityStore& ids, const QueryContext& ctx, std::string_view action,
                 const std::string& resource) {
  ASSIGN_OR_RETURN(bool allowed, IdentityAllows(ids, ctx, action, resource));
  if (allowed) return Status::Ok();
  return {ErrorCode::kAccessDenied, "User: " + ctx.principal.arn + " is not authorized to perform: " +
                                        std::string(action) + " on resource: " + resource};
}

}  // namespace internal

namespace {

using namespace internal;  // NOLINT(google-build-using-namespace): the helpers of this module

std::string UserArn(const QueryContext& ctx, std::string_view name) {
  return "arn:aws:iam::" + ctx.principal.account_id + ":user/" + std::string(name);
}

std::string UserXml(const User& u) {
  return "<Path>/</Path><UserName>" + XmlEscape(u.name) + "</UserName><UserId>" + u.user_id +
         "</UserId><Arn>" + XmlEscape(u.arn) + "</Arn><CreateDate>" + IsoMillis(u.created_ms) +
         "</CreateDate>";
}

StatusOr<User> FindUser(IdentityStore& ids, std::string_view account, std::string_view name) {
  ASSIGN_OR_RETURN(auto users, ids.ListUsers(account));
  for (auto& u : users) {
    if (u.name == name) return u;
  }
  return NotFoundError("The user with name " + std::string(name) + " cannot be found.");
}

// The user an operation is about: UserName, or the caller itself.
std::string TargetUser(const QueryContext& ctx, const FormParams& p) {
  const std::string name = Param(p, "UserName");
  return name.empty() ? ctx.principal.user_name : name;
}

StatusOr<std::string> CreateUser(IdentityStore& ids, const QueryContext& ctx, const FormParams& p) {
  ASSIGN_OR_RETURN(std::string name, Required(p, "UserName"));
  RETURN_IF_ERROR(Authorize(ids, ctx, "iam:CreateUser", UserArn(ctx, name)));
  auto user = ids.CreateUser(ctx.principal.account_id, name, /*admin=*/false);
  if (!user.ok() && user.status().code() == ErrorCode::kAlreadyExists) {
    return Status(ErrorCode::kAlreadyExists, "User with name " + name + " already exists.");
  }
  if (!user.ok()) return user.status();
  return "<User>" + UserXml(*user) + "</User>";
}

StatusOr<std::string> GetUser(IdentityStore& ids, const QueryContext& ctx, const FormParams& p) {
  const std::string name = TargetUser(ctx, p);
  if (name != ctx.principal.user_name)
    RETURN_IF_ERROR(Authorize(ids, ctx, "iam:GetUser", UserArn(ctx, name)));
  ASSIGN_OR_RETURN(User user, FindUser(ids, ctx.principal.account_id, name));
  return "<User>" + UserXml(user) + "</User>";
}

StatusOr<std::string> ListUsers(IdentityStore& ids, const QueryContext& ctx, const FormParams&) {
  RETURN_IF_ERROR(Authorize(ids, ctx, "iam:ListUsers", UserArn(ctx, "*")));
  ASSIGN_OR_RETURN(auto users, ids.ListUsers(ctx.principal.account_id));
  std::string out = "<Users>";
  for (const auto& u : users) out += "<member>" + UserXml(u) + "</member>";
  return out + "</Users><IsTruncated>false</IsTruncated>";
}

StatusOr<std::string> CreateAccessKey(IdentityStore& ids, const QueryContext& ctx, const FormParams& p) {
  const std::string name = TargetUser(ctx, p);
  RETURN_IF_ERROR(Authorize(ids, ctx, "iam:CreateAccessKey", UserArn(ctx, name)));
  ASSIGN_OR_RETURN(NewAccessKey key, ids.CreateAccessKey(ctx.principal.account_id, name));
  return "<AccessKey><UserName>" + XmlEscape(name) + "</UserName><AccessKeyId>" + key.key.access_key_id +
         "</AccessKeyId><Status>Active</Status><SecretAccessKey>" + key.secret_access_key +
         "</SecretAccessKey><CreateDate>" + IsoMillis(key.key.created_ms) + "</CreateDate></AccessKey>";
}

StatusOr<std::string> ListAccessKeys(IdentityStore& ids, const QueryContext& ctx, const FormParams& p) {
  const std::string name = TargetUser(ctx, p);
  RETURN_IF_ERROR(Authorize(ids, ctx, "iam:ListAccessKeys", UserArn(ctx, name)));
  ASSIGN_OR_RETURN(User user, FindUser(ids, ctx.principal.account_id, name));
  ASSIGN_OR_RETURN(auto keys, ids.ListAccessKeys(ctx.principal.account_id, user.name));
  std::string out = "<AccessKeyMetadata>";
  for (const auto& k : keys) {
    out += "<member><UserName>" + XmlEscape(k.user_name) + "</UserName><AccessKeyId>" + k.access_key_id +
           "</AccessKeyId><Status>" + k.status + "</Status><CreateDate>" + IsoMillis(k.created_ms) +
           "</CreateDate></member>";
  }
  return out + "</AccessKeyMetadata><IsTruncated>false</IsTruncated>";
}

StatusOr<std::string> UpdateAccessKey(IdentityStore& ids, const QueryContext& ctx, const FormParams& p) {
  ASSIGN_OR_RETURN(std::string key_id, Required(p, "AccessKeyId"));
  ASSIGN_OR_RETURN(std::string status, Required(p, "Status"));
  RETURN_IF_ERROR(Authorize(ids, ctx, "iam:UpdateAccessKey", UserArn(ctx, TargetUser(ctx, p))));
  RETURN_IF_ERROR(ids.UpdateAccessKey(ctx.principal.account_id, key_id, status));
  return std::string();
}

StatusOr<std::string> PutUserPolicy(IdentityStore& ids, const QueryContext& ctx, const FormParams& p) {
  ASSIGN_OR_RETURN(std::string name, Required(p, "UserName"));
  ASSIGN_OR_RETURN(std::string policy_name, Required(p, "PolicyName"));
  ASSIGN_OR_RETURN(std::string document, Required(p, "PolicyDocument"));
  RETURN_IF_ERROR(Authorize(ids, ctx, "iam:PutUserPolicy", UserArn(ctx, name)));
  RETURN_IF_ERROR(ids.PutUserPolicy(ctx.principal.account_id, name, policy_name, document));
  return std::string();
}

StatusOr<std::string> GetUserPolicy(IdentityStore& ids, const QueryContext& ctx, const FormParams& p) {
  ASSIGN_OR_RETURN(std::string name, Required(p, "UserName"));
  ASSIGN_OR_RETURN(std::string policy_name, Required(p, "PolicyName"));
  RETURN_IF_ERROR(Authorize(ids, ctx, "iam:GetUserPolicy", UserArn(ctx, name)));
  ASSIGN_OR_RETURN(std::string document, ids.GetUserPolicy(ctx.principal.account_id, name, policy_name));
  // IAM returns the document URL-encoded (RFC 3986), as clients expect.
  std::string encoded;
  auth::internal::AppendUriEncoded(document, false, encoded);
  return "<UserName>" + XmlEscape(name) + "</UserName><PolicyName>" + XmlEscape(policy_name) +
         "</PolicyName><PolicyDocument>" + XmlEscape(encoded) + "</PolicyDocument>";
}

StatusOr<std::string> DeleteUserPolicy(IdentityStore& ids, const QueryContext& ctx, const FormParams& p) {
  ASSIGN_OR_RETURN(std::string name, Required(p, "UserName"));
  ASSIGN_OR_RETURN(std::string policy_name, Required(p, "PolicyName"));
  RETURN_IF_ERROR(Authorize(ids, ctx, "iam:DeleteUserPolicy", UserArn(ctx, name)));
  RETURN_IF_ERROR(ids.DeleteUserPolicy(ctx.principal.account_id, name, policy_name));
  return std::string();
}

StatusOr<std::string> ListUserPolicies(IdentityStore& ids, const QueryContext& ctx, const FormParams& p) {
  ASSIGN_OR_RETURN(std::string name, Required(p, "UserName"));
  RETURN_IF_ERROR(Authorize(ids, ctx, "iam:ListUserPolicies", UserArn(ctx, name)));
  ASSIGN_OR_RETURN(auto names, ids.ListUserPolicies(ctx.principal.account_id, name));
  std::string out = "<PolicyNames>";
  for (const auto& n : names) out += "<member>" + XmlEscape(n) + "</member>";
  return out + "</PolicyNames><IsTruncated>false</IsTruncated>";
}

}  // namespace

const std::vector<QueryOp>& QueryOperations() {
  static const std::vector<QueryOp> kTable = {
      {"iam", "CreateAccessKey", &CreateAccessKey},
      {"iam", "CreateUser", &CreateUser},
      {"iam", "DeleteUserPolicy", &DeleteUserPolicy},
      {"iam", "GetUser", &GetUser},
      {"iam", "GetUserPolicy", &GetUserPolicy},
      {"iam", "ListAccessKeys", &ListAccessKeys},
      {"iam", "ListUserPolicies", &ListUserPolicies},
      {"iam", "ListUsers", &ListUsers},
      {"iam", "PutUserPolicy", &PutUserPolicy},
      {"iam", "UpdateAccessKey", &UpdateAccessKey},
      {"iam", "CreateRole", &CreateRole},
      {"iam", "GetRole", &GetRole},
      {"iam", "DeleteRole", &DeleteRole},
      {"iam", "PutRolePolicy", &PutRolePolicy},
      {"iam", "GetRolePolicy", &GetRolePolicy},
      {"iam", "DeleteRolePolicy", &DeleteRolePolicy},
      {"iam", "ListRolePolicies", &ListRolePolicies},
      {"sts", "AssumeRole", &AssumeRole},
      {"iam", "CreatePolicy", &CreatePolicy},
      {"iam", "AttachUserPolicy", &AttachUserPolicy},
      {"iam", "DetachUserPolicy", &DetachUserPolicy},
      {"iam", "AttachRolePolicy", &AttachRolePolicy},
      {"iam", "DetachRolePolicy", &DetachRolePolicy},
      {"iam", "ListAttachedUserPolicies", &ListAttachedUserPolicies},
      {"iam", "ListAttachedRolePolicies", &ListAttachedRolePolicies},
      {"iam", "CreateGroup", &CreateGroup},
      {"iam", "AddUserToGroup", &AddUserToGroup},
      {"iam", "PutGroupPolicy", &PutGroupPolicy},
      {"iam", "TagUser", &TagUser},
      {"iam", "TagRole", &TagRole},
      {"iam", "DeleteUser", &DeleteUser},
      {"iam", "DeleteAccessKey", &DeleteAccessKey},
      {"iam", "SimulatePrincipalPolicy", &SimulatePrincipalPolicy},
      {"iam", "SimulateCustomPolicy", &SimulateCustomPolicy},
      {"sts", "GetSessionToken", &GetSessionToken},
      {"sts", "GetCallerIdentity", &GetCallerIdentity},
  };
  return kTable;
}

std::string XmlEscape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '&':
        out += "&amp;";
        break;
      case '"':
        out += "&quot;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

QueryError QueryErrorFor(ErrorCode code) {
  switch (code) {
    case ErrorCode::kNotFound:
      return {"NoSuchEntity", 404};
    case ErrorCode::kAlreadyExists:
      return {"EntityAlreadyExists", 409};
    case ErrorCode::kMalformedPolicyDocument:
      return {"MalformedPolicyDocument", 400};
    case ErrorCode::kLimitExceeded:
      return {"LimitExceeded", 409};
    case ErrorCode::kAccessDenied:
      return {"AccessDenied", 403};
    case ErrorCode::kConflict:
      return {"DeleteConflict", 409};
    case ErrorCode::kValidation:
      return {"ValidationError", 400};
    case ErrorCode::kTag:
      return {"InvalidInput", 400};
    case ErrorCode::kUnknownOperation:
      return {"InvalidAction", 400};
    case ErrorCode::kUnrecognizedClient:
      return {"InvalidClientTokenId", 403};
    case ErrorCode::kExpiredToken:
      return {"ExpiredToken", 403};
    case ErrorCode::kInvalidSignature:
    case ErrorCode::kSignatureExpired:
      return {"SignatureDoesNotMatch", 403};
    case ErrorCode::kIncompleteSignature:
      return {"IncompleteSignature", 400};
    case ErrorCode::kMissingAuthenticationToken:
      return {"MissingAuthenticationToken", 403};
    default:
      return {"ServiceFailure", 500};
  }
}

}  // namespace coffer::iam

// Query API: managed policies, attachments, groups, tags, deletions.
#include "common/tags.h"
#include "iam/query_util.h"

namespace coffer::iam::internal {
namespace {

std::string Arn(const QueryContext& ctx, std::string_view kind, std::string_view name) {
  return "arn:aws:iam::" + ctx.principal.account_id + ":" + std::string(kind) + "/" + std::string(name);
}

// Tags.member.N.Key / Tags.member.N.Value. IAM answers a reserved key with
// InvalidInput (it has no TagException).
StatusOr<std::map<std::string, std::string>> ReadTags(const FormParams& p) {
  std::map<std::string, std::string> out;
  for (int i = 1;; ++i) {
    const std::string base = "Tags.member." + std::to_string(i);
    auto key = p.find(base + ".Key");
    if (key == p.end()) return out;
    if (IsReservedTagKey(key->second)) {
      return Status(ErrorCode::kTag, "Tag keys beginning with aws: (in any letter case) are reserved");
    }
    out[key->second] = Param(p, base + ".Value");
  }
}

StatusOr<std::string> Attach(IdentityStore& ids, const QueryContext& ctx, const FormParams& p,
                             std::string_view kind, bool attach) {
  const std::string member = kind == "role" ? "RoleName" : "UserName";
  ASSIGN_OR_RETURN(std::string owner, Required(p, member));
  ASSIGN_OR_RETURN(std::string arn, Required(p, "PolicyArn"));
  const std::string action =
      std::string(attach ? "iam:Attach" : "iam:Detach") + (kind == "role" ? "Role" : "User") + "Policy";
  RETURN_IF_ERROR(Authorize(ids, ctx, action, Arn(ctx, kind, owner)));
  if (attach) {
    RETURN_IF_ERROR(ids.AttachPolicy(kind, ctx.principal.account_id, owner, arn));
  } else {
    RETURN_IF_ERROR(ids.DetachPolicy(kind, ctx.principal.account_id, owner, arn));
  }
  return std::string();
}

StatusOr<std::string> ListAttached(IdentityStore& ids, const QueryContext& ctx, const FormParams& p,
                                   std::string_view kind) {
  ASSIGN_OR_RETURN(std::string owner, Required(p, kind == "role" ? "RoleName" : "UserName"));
  RETURN_IF_ERROR(Authorize(ids, ctx,
                            kind == "role" ? "iam:ListAttachedRolePolicies" : "iam:ListAttachedUserPolicies",
                            Arn(ctx, kind, owner)));
  ASSIGN_OR_RETURN(auto arns, ids.ListAttachedPolicies(kind, ctx.principal.account_id, owner));
  std::string out = "<AttachedPolicies>";
  for (const auto& a : arns) {
    out += "<member><PolicyName>" + XmlEscape(a.substr(a.rfind('/') + 1)) + "</PolicyName><PolicyArn>" +
           XmlEscape(a) + "</PolicyArn></member>";
  }
  return out + "</AttachedPolicies><IsTruncated>false</IsTruncated>";
}

StatusOr<std::string> Tag(IdentityStore& ids, const QueryContext& ctx, const FormParams& p,
                          std::string_view kind) {
  ASSIGN_OR_RETURN(std::string owner, Required(p, kind == "role" ? "RoleName" : "UserName"));
  RETURN_IF_ERROR(Authorize(ids, ctx, kind == "role" ? "iam:TagRole" : "iam:TagUser", Arn(ctx, kind, owner)));
  ASSIGN_OR_RETURN(auto tags, ReadTags(p));
  RETURN_IF_ERROR(ids.TagEntity(kind, ctx.principal.account_id, owner, tags));
  return std::string();
}

}  // namespace

StatusOr<std::string> CreatePolicy(IdentityStore& ids, const QueryContext& ctx, const FormParams& p) {
  ASSIGN_OR_RETURN(std::string name, Required(p, "PolicyName"));
  ASSIGN_OR_RETURN(std::string document, Required(p, "PolicyDocument"));
  RETURN_IF_ERROR(Authorize(ids, ctx, "iam:CreatePolicy", Arn(ctx, "policy", name)));
  ASSIGN_OR_RETURN(ManagedPolicy mp, ids.CreatePolicy(ctx.principal.account_id, name, document));
  return "<Policy><PolicyName>" + XmlEscape(mp.name) + "</PolicyName><PolicyId>" + mp.policy_id +
         "</PolicyId><Arn>" + XmlEscape(mp.arn) +
         "</Arn><Path>/</Path><DefaultVersionId>v1</DefaultVersionId><AttachmentCount>0</AttachmentCount>"
         "<IsAttachable>true</IsAttachable><CreateDate>" +
         IsoMillis(mp.created_ms) + "</CreateDate><UpdateDate>" + IsoMillis(mp.created_ms) +
         "</UpdateDate></Policy>";
}

StatusOr<std::string> AttachUserPolicy(IdentityStore& ids, const QueryContext& ctx, const FormParams& p) {
  return Attach(ids, ctx, p, "user", true);
}
StatusOr<std::string> DetachUserPolicy(IdentityStore& ids, const QueryContext& ctx, const FormParams& p) {
  return Attach(ids, ctx, p, "user", false);
}
StatusOr<std::string> AttachRolePolicy(IdentityStore& ids, const QueryContext& ctx, const FormParams& p) {
  return Attach(ids, ctx, p, "role", true);
}
StatusOr<std::string> DetachRolePolicy(IdentityStore& ids, const QueryContext& ctx, const FormParams& p) {
  return Attach(ids, ctx, p, "role", false);
}
StatusOr<std::string> ListAttachedUserPolicies(IdentityStore& ids, const QueryContext& ctx,
                                               const FormParams& p) {
  return ListAttached(ids, ctx, p, "user");
}
StatusOr<std::string> ListAttachedRolePolicies(IdentityStore& ids, const QueryContext& ctx,
                                               const FormParams& p) {
  return ListAttached(ids, ctx, p, "role");
}
StatusOr<std::string> TagUser(IdentityStore& ids, const QueryContext& ctx, const FormParams& p) {
  return Tag(ids, ctx, p, "user");
}
StatusOr<std::string> TagRole(IdentityStore& ids, const QueryContext& ctx, const FormParams& p) {
  return Tag(ids, ctx, p, "role");
}

StatusOr<std::string> CreateGroup(IdentityStore& ids, const QueryContext& ctx, const FormParams& p) {
  ASSIGN_OR_RETURN(std::string name, Required(p, "GroupName"));
  RETURN_IF_ERROR(Authorize(ids, ctx, "iam:CreateGroup", Arn(ctx, "group", name)));
  ASSIGN_OR_RETURN(std::string group_id, ids.CreateGroup(ctx.principal.account_id, name));
  return "<Group><Path>/</Path><GroupName>" + XmlEscape(name) + "</GroupName><GroupId>" + group_id +
         "</GroupId><Arn>" + XmlEscape(Arn(ctx, "group", name)) + "</Arn></Group>";
}

StatusOr<std::string> AddUserToGroup(IdentityStore& ids, const QueryContext& ctx, const FormParams& p) {
  ASSIGN_OR_RETURN(std::string group, Required(p, "GroupName"));
  ASSIGN_OR_RETURN(std::string user, Required(p, "UserName"));
  RETURN_IF_ERROR(Authorize(ids, ctx, "iam:AddUserToGroup", Arn(ctx, "group", group)));
  RETURN_IF_ERROR(ids.AddUserToGroup(ctx.principal.account_id, group, user));
  return std::string();
}

StatusOr<std::string> PutGroupPolicy(IdentityStore& ids, const QueryContext& ctx, const FormParams& p) {
  ASSIGN_OR_RETURN(std::string group, Required(p, "GroupName"));
  ASSIGN_OR_RETURN(std::string name, Required(p, "PolicyName"));
  ASSIGN_OR_RETURN(std::string document, Required(p, "PolicyDocument"));
  RETURN_IF_ERROR(Authorize(ids, ctx, "iam:PutGroupPolicy", Arn(ctx, "group", group)));
  RETURN_IF_ERROR(ids.PutGroupPolicy(ctx.principal.account_id, group, name, document));
  return std::string();
}

StatusOr<std::string> DeleteUser(IdentityStore& ids, const QueryContext& ctx, const FormParams& p) {
  ASSIGN_OR_RETURN(std::string name, Required(p, "UserName"));
  RETURN_IF_ERROR(Authorize(ids, ctx, "iam:DeleteUser", Arn(ctx, "user", name)));
  RETURN_IF_ERROR(ids.DeleteUser(ctx.principal.account_id, name));
  return std::string();
}

StatusOr<std::string> DeleteAccessKey(IdentityStore& ids, const QueryContext& ctx, const FormParams& p) {
  ASSIGN_OR_RETURN(std::string key_id, Required(p, "AccessKeyId"));
  const std::string user = Param(p, "UserName").empty() ? ctx.principal.user_name : Param(p, "UserName");
  RETURN_IF_ERROR(Authorize(ids, ctx, "iam:DeleteAccessKey", Arn(ctx, "user", user)));
  RETURN_IF_ERROR(ids.DeleteAccessKey(ctx.principal.account_id, key_id));
  return std::string();
}

}  // namespace coffer::iam::internal

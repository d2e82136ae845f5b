// STS operations of the Query API: GetCallerIdentity, AssumeRole (trust
// policy evaluated as AWS does), GetSessionToken.
#include <algorithm>
#include <charconv>

#include "iam/query_util.h"

namespace coffer::iam::internal {
namespace {

StatusOr<std::int64_t> Duration(const FormParams& p, std::int64_t def, std::int64_t min, std::int64_t max) {
  const std::string text = Param(p, "DurationSeconds");
  if (text.empty()) return def;
  std::int64_t v = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || ptr != text.data() + text.size() || v < min || v > max) {
    return ValidationError("1 validation error detected: Value '" + text.substr(0, 32) +
                           "' at 'durationSeconds' failed to satisfy constraint: Member must have value " +
                           (v < min ? "greater than or equal to " + std::to_string(min)
                                    : "less than or equal to " + std::to_string(max)));
  }
  return v;
}

bool ValidSessionName(std::string_view s) {
  if (s.size() < 2 || s.size() > 64) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) ||
           std::string_view("+=,.@_-").find(c) != std::string_view::npos;
  });
}

std::string CredentialsXml(const SessionCredentials& c) {
  return "<Credentials><AccessKeyId>" + c.access_key_id + "</AccessKeyId><SecretAccessKey>" +
         c.secret_access_key + "</SecretAccessKey><SessionToken>" + c.session_token +
         "</SessionToken><Expiration>" + IsoMillis(c.expires_ms) + "</Expiration></Credentials>";
}

Status DeniedAssume(const QueryContext& ctx, const std::string& role_arn) {
  return {ErrorCode::kAccessDenied,
          "User: " + ctx.principal.arn +
              " is not authorized to perform: sts:AssumeRole on resource: " + role_arn};
}

// arn:aws:iam::<12 digits>:role/<name>
bool SplitRoleArn(std::string_view arn, std::string* out_account, std::string* out_name) {
  constexpr std::string_view kPrefix = "arn:aws:iam::";
  if (!arn.starts_with(kPrefix) || arn.size() < kPrefix.size() + 19) return false;
  *out_account = std::string(arn.substr(kPrefix.size(), 12));
  const std::string_view rest = arn.substr(kPrefix.size() + 12);
  if (!rest.starts_with(":role/")) return false;
  *out_name = std::string(rest.substr(6));
  return !out_name->empty() && std::all_of(out_account->begin(), out_account->end(), ::isdigit);
}

// The trust policy must allow the caller (naming it, or its account with an
// identity policy that allows sts:AssumeRole); across accounts, both.
Status CheckTrust(IdentityStore& ids, const QueryContext& ctx, const Role& role) {
  auto trust = policy::Parse(role.trust_policy, {policy::PolicyKind::kTrust, 2048});
  if (!trust.ok()) return DeniedAssume(ctx, role.arn);
  const policy::Evaluation e =
      policy::Evaluate(*trust, RequestFor(ctx, "sts:AssumeRole", role.arn), true, "trust");
  if (e.decision != policy::Decision::kAllow) return DeniedAssume(ctx, role.arn);
  const bool same_account = ctx.principal.account_id == role.account_id;
  ASSIGN_OR_RETURN(bool identity, IdentityAllows(ids, ctx, "sts:AssumeRole", role.arn));
  if (!identity && !(same_account && e.allows_directly)) return DeniedAssume(ctx, role.arn);
  return Status::Ok();
}

}  // namespace

StatusOr<std::string> GetCallerIdentity(IdentityStore&, const QueryContext& ctx, const FormParams&) {
  return "<Arn>" + XmlEscape(ctx.principal.arn) + "</Arn><UserId>" + XmlEscape(ctx.principal.user_id) +
         "</UserId><Account>" + ctx.principal.account_id + "</Account>";
}

StatusOr<std::string> AssumeRole(IdentityStore& ids, const QueryContext& ctx, const FormParams& p) {
  ASSIGN_OR_RETURN(std::string role_arn, Required(p, "RoleArn"));
  ASSIGN_OR_RETURN(std::string session, Required(p, "RoleSessionName"));
  if (!ValidSessionName(session)) {
    return ValidationError("1 validation error detected: Value '" + session.substr(0, 64) +
                           "' at 'roleSessionName' failed to satisfy constraint: Member must satisfy regular "
                           "expression pattern: [\\w+=,.@-]*");
  }
  ASSIGN_OR_RETURN(std::int64_t duration, Duration(p, 3600, 900, 43200));
  std::string account, name;
  if (!SplitRoleArn(role_arn, &account, &name)) {
    return ValidationError(
        "1 validation error detected: Value at 'roleArn' failed to satisfy constraint: "
        "Member must be a role ARN");
  }
  auto role = ids.GetRole(account, name);
  if (!role.ok())
    return role.status().code() == ErrorCode::kNotFound ? DeniedAssume(ctx, role_arn) : role.status();
  RETURN_IF_ERROR(CheckTrust(ids, ctx, *role));
  Principal acting;
  acting.account_id = role->account_id;
  acting.user_id = role->role_id + ":" + session;
  acting.arn = "arn:aws:sts::" + role->account_id + ":assumed-role/" + role->name + "/" + session;
  acting.role_arn = role->arn;
  acting.role_name = role->name;
  ASSIGN_OR_RETURN(SessionCredentials creds, ids.NewSession(acting, duration));
  return CredentialsXml(creds) + "<AssumedRoleUser><AssumedRoleId>" + XmlEscape(acting.user_id) +
         "</AssumedRoleId><Arn>" + XmlEscape(acting.arn) + "</Arn></AssumedRoleUser>";
}

StatusOr<std::string> GetSessionToken(IdentityStore& ids, const QueryContext& ctx, const FormParams& p) {
  if (!ctx.principal.role_arn.empty() || ctx.principal.expires_ms != 0) {
    return Status(ErrorCode::kAccessDenied, "Cannot call GetSessionToken with session credentials");
  }
  ASSIGN_OR_RETURN(std::int64_t duration, Duration(p, 43200, 900, 129600));
  Principal acting = ctx.principal;
  ASSIGN_OR_RETURN(SessionCredentials creds, ids.NewSession(acting, duration));
  return CredentialsXml(creds);
}

}  // namespace coffer::iam::internal

// Grants: CreateGrant, ListGrants, ListRetirableGrants, RetireGrant,
// RevokeGrant. Records live in kms/grants.cc; the authorizer consults them.
#include "kms/grants.h"

#include "kms/authorizer.h"
#include "kms/ops/ops.h"

namespace coffer::kms::ops {
namespace {

constexpr std::string_view kCryptoOps[] = {"Decrypt",
                                           "Encrypt",
                                           "GenerateDataKey",
                                           "GenerateDataKeyWithoutPlaintext",
                                           "ReEncryptFrom",
                                           "ReEncryptTo",
                                           "GenerateDataKeyPair",
                                           "GenerateDataKeyPairWithoutPlaintext",
                                           "Sign",
                                           "Verify",
                                           "GenerateMac",
                                           "VerifyMac",
                                           "DeriveSharedSecret"};

StatusOr<GrantStore*> Grants(KmsService& kms) {
  if (kms.grants() == nullptr) return Status(ErrorCode::kInternal, "grants are not configured");
  return kms.grants();
}

std::string Str(const Json& req, std::string_view name) {
  auto it = req.find(name);
  return it != req.end() && it->is_string() ? it->get<std::string>() : std::string();
}

Json GrantJson(const GrantRecord& g) {
  Json out = {{"KeyId", g.key_arn},
              {"GrantId", g.view.grant_id},
              {"GranteePrincipal", g.view.grantee_principal},
              {"IssuingAccount", g.issuing_account},
              {"Operations", g.view.operations},
              {"CreationDate", static_cast<double>(g.created_ms) / 1000.0}};
  if (!g.name.empty()) out["Name"] = g.name;
  if (!g.retiring_principal.empty()) out["RetiringPrincipal"] = g.retiring_principal;
  Json constraints = Json::object();
  if (!g.view.context_equals.empty()) constraints["EncryptionContextEquals"] = g.view.context_equals;
  if (!g.view.context_subset.empty()) constraints["EncryptionContextSubset"] = g.view.context_subset;
  if (!constraints.empty()) out["Constraints"] = constraints;
  return out;
}

// Constraints apply to cryptographic operations only, as on AWS.
Status ReadConstraints(const Json& req, GrantRecord& g) {
  auto c = req.find("Constraints");
  if (c == req.end() || !c->is_object()) return Status::Ok();
  g.view.context_equals = ReadContext(*c, "EncryptionContextEquals");
  g.view.context_subset = ReadContext(*c, "EncryptionContextSubset");
  if (g.view.context_equals.empty() && g.view.context_subset.empty()) return Status::Ok();
  for (const auto& op : g.view.operations) {
    if (std::find(std::begin(kCryptoOps), std::end(kCryptoOps), op) == std::end(kCryptoOps)) {
      return ValidationError("Grant constraints are not allowed with the " + op + " operation");
    }
  }
  return Status::Ok();
}

Status CheckGrantTokens(KmsService& kms, const Json& req) {
  auto tokens = req.find("GrantTokens");
  if (tokens == req.end() || !tokens->is_array()) return Status::Ok();
  ASSIGN_OR_RETURN(GrantStore * grants, Grants(kms));
  for (const auto& t : *tokens) {
    ASSIGN_OR_RETURN(auto found, grants->FindByToken(t.get<std::string>()));
    if (!found) return Status(ErrorCode::kInvalidGrantToken, "Grant token is invalid");
  }
  return Status::Ok();
}

// The grants of a key named by KeyId (key id or ARN, another account's too).
StatusOr<std::shared_ptr<const LoadedKey>> GrantKey(KmsService& kms, const RequestContext& ctx,
                                                    const Json& req) {
  return kms.Resolve(ctx, req.at("KeyId").get<std::string>(), KeyRefs::kIdOrArn);
}

// Retiring principal, grantee with RetireGrant, or a principal the key's
// policy allows kms:RetireGrant.
Status MayRetire(KmsService& kms, const RequestContext& ctx, const GrantRecord& g) {
  const std::string& me = ctx.principal_arn;
  const auto& ops = g.view.operations;
  if (me == g.retiring_principal) return Status::Ok();
  if (me == g.view.grantee_principal && std::find(ops.begin(), ops.end(), "RetireGrant") != ops.end()) {
    return Status::Ok();
  }
  ASSIGN_OR_RETURN(auto key, kms.keys().Load(g.region, g.account, g.key_id));
  return kms.AuthorizeKey(ctx, key->record);
}

}  // namespace

StatusOr<Json> CreateGrant(KmsService& kms, const RequestContext& ctx, const Json& req) {
  ASSIGN_OR_RETURN(GrantStore * grants, Grants(kms));
  ASSIGN_OR_RETURN(auto key, GrantKey(kms, ctx, req));
  RETURN_IF_ERROR(CheckNotPendingDeletion(key->record));
  RETURN_IF_ERROR(CheckGrantTokens(kms, req));
  GrantRecord draft;
  draft.view.grantee_principal = Str(req, "GranteePrincipal");
  draft.view.operations = req.at("Operations").get<std::vector<std::string>>();
  if (draft.view.operations.empty()) {
    return ValidationFailure("operations", "[]", "Member must have length greater than or equal to 1");
  }
  RETURN_IF_ERROR(ReadConstraints(req, draft));
  RETURN_IF_ERROR(CheckDryRun(req));
  draft.retiring_principal = Str(req, "RetiringPrincipal");
  draft.name = Str(req, "Name");
  draft.key_arn = key->record.Arn();
  draft.region = key->record.region;
  draft.account = key->record.account;
  draft.key_id = key->record.key_id;
  draft.issuing_account = "arn:aws:iam::" + ctx.account + ":root";
  draft.created_ms = kms.NowMs();
  ASSIGN_OR_RETURN(GrantRecord created, grants->Create(std::move(draft)));
  if (kms.authorizer() != nullptr) kms.authorizer()->Invalidate();
  return Json{{"GrantToken", created.token}, {"GrantId", created.view.grant_id}};
}

StatusOr<Json> ListGrants(KmsService& kms, const RequestContext& ctx, const Json& req) {
  ASSIGN_OR_RETURN(GrantStore * grants, Grants(kms));
  ASSIGN_OR_RETURN(auto key, GrantKey(kms, ctx, req));
  ASSIGN_OR_RETURN(std::string after, DecodeMarker(req));
  ASSIGN_OR_RETURN(auto all, grants->ForKey(key->record.region, key->record.account, key->record.key_id));
  const std::string grant_id = Str(req, "GrantId");
  const std::string grantee = Str(req, "GranteePrincipal");
  const std::size_t limit = std::min<std::size_t>(ReadLimit(req, 50), 100);
  Json list = Json::array();
  std::string last;
  bool truncated = false;
  for (const auto& g : all) {
    if (!after.empty() && g.view.grant_id <= after) continue;
    if ((!grant_id.empty() && g.view.grant_id != grant_id) ||
        (!grantee.empty() && g.view.grantee_principal != grantee)) {
      continue;
    }
    if (list.size() == limit) {
      truncated = true;
      break;
    }
    list.push_back(GrantJson(g));
    last = g.view.grant_id;
  }
  Json out = {{"Grants", std::move(list)}, {"Truncated", truncated}};
  if (truncated) out["NextMarker"] = EncodeMarker(last);
  return out;
}

StatusOr<Json> ListRetirableGrants(KmsService& kms, const RequestContext& ctx, const Json& req) {
  ASSIGN_OR_RETURN(GrantStore * grants, Grants(kms));
  RETURN_IF_ERROR(kms.AuthorizeAccount(ctx));
  ASSIGN_OR_RETURN(auto all, grants->ForAccount(ctx.region, ctx.account));
  const std::string retiring = Str(req, "RetiringPrincipal");
  Json list = Json::array();
  for (const auto& g : all) {
    if (g.retiring_principal == retiring) list.push_back(GrantJson(g));
  }
  return Json{{"Grants", std::move(list)}, {"Truncated", false}};
}

StatusOr<Json> RetireGrant(KmsService& kms, const RequestContext& ctx, const Json& req) {
  ASSIGN_OR_RETURN(GrantStore * grants, Grants(kms));
  std::optional<GrantRecord> grant;
  if (const std::string token = Str(req, "GrantToken"); !token.empty()) {
    ASSIGN_OR_RETURN(grant, grants->FindByToken(token));
    if (!grant) return Status(ErrorCode::kInvalidGrantToken, "Grant token is invalid");
  } else if (req.contains("KeyId") && req.contains("GrantId")) {
    ASSIGN_OR_RETURN(std::string id, kms.ResolveIdForWrite(ctx, req["KeyId"].get<std::string>()));
    ASSIGN_OR_RETURN(grant, grants->Find(ctx.region, ctx.account, id, Str(req, "GrantId")));
    if (!grant) return NotFoundError("Grant ID " + Str(req, "GrantId") + " not found");
  } else {
    return ValidationError("Either GrantToken or both KeyId and GrantId must be specified");
  }
  RequestContext retire = ctx;
  retire.action = "kms:RetireGrant";
  RETURN_IF_ERROR(MayRetire(kms, retire, *grant));
  RETURN_IF_ERROR(CheckDryRun(req));
  RETURN_IF_ERROR(grants->Delete(*grant));
  if (kms.authorizer() != nullptr) kms.authorizer()->Invalidate();
  return Json::object();
}

StatusOr<Json> RevokeGrant(KmsService& kms, const RequestContext& ctx, const Json& req) {
  ASSIGN_OR_RETURN(GrantStore * grants, Grants(kms));
  ASSIGN_OR_RETURN(auto key, GrantKey(kms, ctx, req));
  const std::string grant_id = Str(req, "GrantId");
  ASSIGN_OR_RETURN(auto grant,
                   grants->Find(key->record.region, key->record.account, key->record.key_id, grant_id));
  if (!grant) return NotFoundError("Grant ID " + grant_id + " not found");
  RETURN_IF_ERROR(CheckDryRun(req));
  RETURN_IF_ERROR(grants->Delete(*grant));
  if (kms.authorizer() != nullptr) kms.authorizer()->Invalidate();
  return Json::object();
}

}  // namespace coffer::kms::ops

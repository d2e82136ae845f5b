// Aliases: CreateAlias, UpdateAlias, DeleteAlias, ListAliases.
#include "kms/ops/ops.h"

namespace coffer::kms::ops {
namespace {

constexpr std::string_view kAliasPrefix = "alias/";
constexpr std::string_view kReservedPrefix = "alias/aws/";

// Aliases a customer may create, update or delete.
Status CheckCustomerAliasName(const std::string& name) {
  if (!name.starts_with(kAliasPrefix) || name.size() == kAliasPrefix.size()) {
    return ValidationError(
        "Alias must start with the prefix \"alias/\". Please see "
        "https://docs.aws.amazon.com/kms/latest/developerguide/kms-alias.html");
  }
  if (name.starts_with(kReservedPrefix)) {
    return {ErrorCode::kInvalidAliasName,
            "The alias/aws/ prefix is reserved for AWS managed keys and cannot be used in " + name};
  }
  return Status::Ok();
}

// The key an alias may point at: a customer managed key of the caller, not pending deletion.
StatusOr<KeyRecord> AliasTarget(KmsService& kms, const RequestContext& ctx, const std::string& key_id) {
  ASSIGN_OR_RETURN(auto key, kms.LoadForCaller(ctx, key_id));
  RETURN_IF_ERROR(CheckNotPendingDeletion(key->record));
  RETURN_IF_ERROR(CheckCustomerManaged(key->record, ctx));
  return key->record;
}

Json AliasEntry(const RequestContext& ctx, const AliasRecord& a) {
  return {{"AliasName", a.alias_name},
          {"AliasArn", AliasArn(ctx.region, ctx.account, a.alias_name)},
          {"TargetKeyId", a.target_key_id},
          {"CreationDate", static_cast<double>(a.created_ms) / 1000.0},
          {"LastUpdatedDate", static_cast<double>(a.updated_ms) / 1000.0}};
}

}  // namespace

StatusOr<Json> CreateAlias(KmsService& kms, const RequestContext& ctx, const Json& req) {
  const std::string name = req.at("AliasName").get<std::string>();
  RETURN_IF_ERROR(CheckCustomerAliasName(name));
  ASSIGN_OR_RETURN(KeyRecord target, AliasTarget(kms, ctx, req.at("TargetKeyId").get<std::string>()));
  ASSIGN_OR_RETURN(KeyWriter writer, kms.keys().BeginWrite());
  ASSIGN_OR_RETURN(auto existing, writer.GetAlias(ctx.region, ctx.account, name));
  if (existing) {
    return Status(ErrorCode::kAlreadyExists,
                  "An alias with the name " + AliasArn(ctx.region, ctx.account, name) + " already exists");
  }
  const std::int64_t now = kms.NowMs();
  RETURN_IF_ERROR(writer.PutAlias(ctx.region, ctx.account, AliasRecord{name, target.key_id, now, now}));
  RETURN_IF_ERROR(writer.Commit());
  return Json::object();
}

StatusOr<Json> UpdateAlias(KmsService& kms, const RequestContext& ctx, const Json& req) {
  const std::string name = req.at("AliasName").get<std::string>();
  RETURN_IF_ERROR(CheckCustomerAliasName(name));
  ASSIGN_OR_RETURN(KeyRecord target, AliasTarget(kms, ctx, req.at("TargetKeyId").get<std::string>()));
  ASSIGN_OR_RETURN(KeyWriter writer, kms.keys().BeginWrite());
  ASSIGN_OR_RETURN(auto existing, writer.GetAlias(ctx.region, ctx.account, name));
  if (!existing) return NotFoundError("Alias " + AliasArn(ctx.region, ctx.account, name) + " is not found.");
  existing->target_key_id = target.key_id;
  existing->updated_ms = kms.NowMs();
  RETURN_IF_ERROR(writer.PutAlias(ctx.region, ctx.account, *existing));
  RETURN_IF_ERROR(writer.Commit());
  return Json::object();
}

StatusOr<Json> DeleteAlias(KmsService& kms, const RequestContext& ctx, const Json& req) {
  const std::string name = req.at("AliasName").get<std::string>();
  RETURN_IF_ERROR(CheckCustomerAliasName(name));
  ASSIGN_OR_RETURN(KeyWriter writer, kms.keys().BeginWrite());
  ASSIGN_OR_RETURN(auto existing, writer.GetAlias(ctx.region, ctx.account, name));
  if (!existing) return NotFoundError("Alias " + AliasArn(ctx.region, ctx.account, name) + " is not found.");
  ASSIGN_OR_RETURN(auto target, writer.GetKey(ctx.region, ctx.account, existing->target_key_id));
  if (target) RETURN_IF_ERROR(kms.AuthorizeKey(ctx, *target));
  RETURN_IF_ERROR(writer.DeleteAlias(ctx.region, ctx.account, name));
  RETURN_IF_ERROR(writer.Commit());
  return Json::object();
}

StatusOr<Json> ListAliases(KmsService& kms, const RequestContext& ctx, const Json& req) {
  ASSIGN_OR_RETURN(std::string after, DecodeMarker(req));
  const std::size_t limit = std::min<std::size_t>(ReadLimit(req, 50), 100);
  Json aliases = Json::array();
  Json out;
  RETURN_IF_ERROR(kms.AuthorizeAccount(ctx));  // ListAliases is authorized by IAM policy only
  if (req.contains("KeyId")) {
    ASSIGN_OR_RETURN(std::string id, kms.ResolveIdForWrite(ctx, req["KeyId"].get<std::string>()));
    ASSIGN_OR_RETURN(auto key, kms.keys().Load(ctx.region, ctx.account, id));
    ASSIGN_OR_RETURN(auto all, kms.keys().AllAliases(ctx.region, ctx.account));
    std::vector<AliasRecord> matching;
    for (auto& a : all) {
      if (a.target_key_id == id && a.alias_name > after) matching.push_back(std::move(a));
    }
    const bool truncated = matching.size() > limit;
    if (truncated) matching.resize(limit);
    for (const auto& a : matching) aliases.push_back(AliasEntry(ctx, a));
    out = {{"Aliases", std::move(aliases)}, {"Truncated", truncated}};
    if (truncated) out["NextMarker"] = EncodeMarker(matching.back().alias_name);
    return out;
  }
  ASSIGN_OR_RETURN(AliasPage page, kms.keys().ListAliases(ctx.region, ctx.account, after, limit));
  for (const auto& a : page.aliases) aliases.push_back(AliasEntry(ctx, a));
  out = {{"Aliases", std::move(aliases)}, {"Truncated", page.truncated}};
  if (page.truncated) out["NextMarker"] = EncodeMarker(page.aliases.back().alias_name);
  return out;
}

}  // namespace coffer::kms::ops

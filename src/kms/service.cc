#include "kms/service.h"

#include <algorithm>
#include <array>

#include "common/encoding.h"
#include "common/json_writer.h"
#include "common/tags.h"
#include "kms/authorizer.h"
#include "kms/custom_key_store.h"
#include "kms/grants.h"
#include "kms/key_spec.h"

namespace coffer::kms {
namespace {

constexpr std::string_view kAwsAliasPrefix = "alias/aws/";
constexpr std::int64_t kDayMs = 24LL * 3600 * 1000;
// The sweeper visits at most this many due keys per write transaction, and
// at most this many transactions per run (the rest wait for the next run).
constexpr std::size_t kSweepBatchKeys = 1000;
constexpr int kMaxSweepBatches = 100;

// Services whose AWS managed key AWS predefines (alias/aws/<service>); other
// alias/aws/ names do not exist, as on AWS.
bool ValidAwsServiceName(std::string_view name) {
  static constexpr std::array<std::string_view, 36> kServices = {"acm",
                                                                 "backup",
                                                                 "chime",
                                                                 "cloud9",
                                                                 "codeartifact",
                                                                 "codecommit",
                                                                 "codeguru",
                                                                 "connect",
                                                                 "dms",
                                                                 "dynamodb",
                                                                 "ebs",
                                                                 "ecr",
                                                                 "elasticfilesystem",
                                                                 "es",
                                                                 "fsx",
                                                                 "glue",
                                                                 "kafka",
                                                                 "kinesis",
                                                                 "kinesisvideo",
                                                                 "lambda",
                                                                 "lex",
                                                                 "lightsail",
                                                                 "logs",
                                                                 "mq",
                                                                 "rds",
                                                                 "redshift",
                                                                 "s3",
                                                                 "sagemaker",
                                                                 "secretsmanager",
                                                                 "ses",
                                                                 "sns",
                                                                 "sqs",
                                                                 "ssm",
                                                                 "timestream",
                                                                 "transfer",
                                                                 "xray"};
  return std::find(kServices.begin(), kServices.end(), name) != kServices.end();
}

std::string AwsManagedPolicy(std::string_view account, std::string_view region, std::string_view service) {
  const Json policy = {
      {"Version", "2012-10-17"},
      {"Id", "auto-" + std::string(service) + "-1"},
      {"Statement",
       Json::array(
           {{{"Sid", "Allow access through " + std::string(service) +
                         " for all principals in the account "
                         "that are authorized to use it"},
             {"Effect", "Allow"},
             {"Principal", {{"AWS", "*"}}},
             {"Action",
              {"kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:CreateGrant",
               "kms:DescribeKey"}},
             {"Resource", "*"},
             {"Condition",
              {{"StringEquals",
                {{"kms:CallerAccount", std::string(account)},
                 {"kms:ViaService", std::string(service) + "." + std::string(region) + ".amazonaws.com"}}}}}},
            {{"Sid", "Allow direct access to key metadata to the account"},
             {"Effect", "Allow"},
             {"Principal", {{"AWS", "arn:aws:iam::" + std::string(account) + ":root"}}},
             {"Action", {"kms:Describe*", "kms:Get*", "kms:List*"}},
             {"Resource", "*"}}})}};
  return policy.dump(2);
}

}  // namespace

Status AccessDeniedFor(const RequestContext& ctx, std::string_view resource) {
  return {ErrorCode::kAccessDenied,
          "User: " + ctx.principal_arn + " is not authorized to perform: " + ctx.action +
              " on resource: " + std::string(resource) + " because no resource-based policy allows the " +
              ctx.action + " action"};
}

KmsService::KmsService(KeyStore& keys, RandomSource& random, const Clock& clock)
    : keys_(keys), random_(random), clock_(clock) {}

StatusOr<std::string> KmsService::ResolveIdForWrite(const RequestContext& ctx, std::string_view key_id) {
  ASSIGN_OR_RETURN(std::string_view id, ResolveId(ctx, key_id));
  return std::string(id);
}

StatusOr<std::string_view> KmsService::ResolveId(const RequestContext& ctx, std::string_view key_id) {
  auto ref = ParseKeyRef(key_id);
  if (!ref || ref->kind == KeyRef::Kind::kAliasName || ref->kind == KeyRef::Kind::kAliasArn) {
    return NotFoundError("Invalid keyId '" + std::string(key_id) + "'");
  }
  if (ref->kind == KeyRef::Kind::kKeyArn) {
    if (ref->account != ctx.account) return AccessDeniedFor(ctx, key_id);
    if (ref->region != ctx.region) return NotFoundError("Invalid arn " + std::string(key_id));
  }
  return ref->id;
}

StatusOr<std::shared_ptr<const LoadedKey>> KmsService::Resolve(const RequestContext& ctx,
                                                               std::string_view key_id, KeyRefs accepted) {
  auto ref = ParseKeyRef(key_id);
  if (!ref) return NotFoundError("Invalid keyId '" + std::string(key_id) + "'");
  const bool is_alias = ref->kind == KeyRef::Kind::kAliasName || ref->kind == KeyRef::Kind::kAliasArn;
  if (!is_alias) {
    if (ref->kind == KeyRef::Kind::kKeyArn && ref->account != ctx.account && authorizer_ != nullptr) {
      return LoadOtherAccount(ctx, *ref);
    }
    return LoadForCaller(ctx, key_id);
  }
  if (accepted == KeyRefs::kIdOrArn) return NotFoundError("Invalid keyId '" + std::string(key_id) + "'");
  const std::string alias_arn = AliasArn(ctx.region, ctx.account, ref->id);
  if (ref->kind == KeyRef::Kind::kAliasArn && (ref->account != ctx.account || ref->region != ctx.region)) {
    // Aliases of another account or region are never resolvable, as on AWS.
    return NotFoundError("Alias " + std::string(key_id) + " is not found.");
  }
  ASSIGN_OR_RETURN(auto target, keys_.ResolveAlias(ctx.region, ctx.account, ref->id));
  if (!target) {
    if (!ref->id.starts_with(kAwsAliasPrefix) ||
        !ValidAwsServiceName(std::string_view(ref->id).substr(kAwsAliasPrefix.size()))) {
      return NotFoundError("Alias " + alias_arn + " is not found.");
    }
    ASSIGN_OR_RETURN(std::string created, CreateAwsManagedKey(ctx, ref->id));
    target = created;
  }
  ASSIGN_OR_RETURN(auto key, keys_.Load(ctx.region, ctx.account, *target));
  RETURN_IF_ERROR(AuthorizeKey(ctx, key->record));
  return key;
}

StatusOr<std::shared_ptr<const LoadedKey>> KmsService::LoadForCaller(const RequestContext& ctx,
                                                                     std::string_view key_id) {
  ASSIGN_OR_RETURN(std::string_view id, ResolveId(ctx, key_id));
  ASSIGN_OR_RETURN(auto key, keys_.Load(ctx.region, ctx.account, id));
  RETURN_IF_ERROR(AuthorizeKey(ctx, key->record));
  return key;
}

// A key ARN of another account: usable only when that key's policy and the
// caller's own IAM policies both allow (the authorizer decides). A key that
// does not exist is refused like one the caller may not use.
StatusOr<std::shared_ptr<const LoadedKey>> KmsService::LoadOtherAccount(const RequestContext& ctx,
                                                                        const KeyRef& ref) {
  const std::string arn = KeyArn(ref.region, ref.account, ref.id);
  if (ref.region != ctx.region) return NotFoundError("Invalid arn " + arn);
  auto key = keys_.Load(ref.region, ref.account, ref.id);
  if (!key.ok()) {
    if (key.status().code() == ErrorCode::kNotFound) return AccessDeniedFor(ctx, arn);
    return key.status();
  }
  RETURN_IF_ERROR(AuthorizeKey(ctx, (*key)->record));
  return *key;
}

Status KmsService::AuthorizeKey(const RequestContext& ctx, const KeyRecord& key) {
  if (authorizer_ == nullptr) {
    return key.account == ctx.account ? Status::Ok() : AccessDeniedFor(ctx, key.Arn());
  }
  return authorizer_->AuthorizeKey(ctx, key);
}

Status KmsService::AuthorizeAccount(const RequestContext& ctx) {
  return authorizer_ == nullptr ? Status::Ok() : authorizer_->AuthorizeAccount(ctx);
}

Status KmsService::Identify(const RequestContext& ctx, KeyRecord& draft) {
  Bytes raw(16);
  RETURN_IF_ERROR(random_.Fill(raw));
  draft.key_id = FormatUuid(raw);
  draft.account = ctx.account;
  draft.region = ctx.region;
  draft.created_ms = NowMs();
  return Status::Ok();
}

Status KmsService::AddFirstMaterial(KeyRecord& draft) {
  ASSIGN_OR_RETURN(KeyVersion first, keys_.NewVersion(draft, "", draft.created_ms));
  draft.versions.push_back(std::move(first));
  return Status::Ok();
}

StatusOr<KeyRecord> KmsService::CreateSymmetricKey(const RequestContext& ctx, KeyRecord draft,
                                                   const std::function<Status(KeyRecord&)>& prepare) {
  ASSIGN_OR_RETURN(draft, DraftSymmetricKey(ctx, std::move(draft), prepare));
  ASSIGN_OR_RETURN(KeyWriter writer, keys_.BeginWrite());
  RETURN_IF_ERROR(writer.PutKey(draft));
  RETURN_IF_ERROR(writer.Commit());
  return draft;
}

StatusOr<KeyRecord> KmsService::DraftSymmetricKey(const RequestContext& ctx, KeyRecord draft,
                                                  const std::function<Status(KeyRecord&)>& prepare) {
  RETURN_IF_ERROR(Identify(ctx, draft));
  if (draft.policy.empty()) draft.policy = DefaultKeyPolicy(ctx.account);
  if (prepare) RETURN_IF_ERROR(prepare(draft));
  if (draft.origin == "EXTERNAL") {
    draft.state = std::string(kStatePendingImport);  // material comes with ImportKeyMaterial
  } else if (draft.versions.empty()) {
    RETURN_IF_ERROR(AddFirstMaterial(draft));
  }
  return draft;
}

StatusOr<std::string> KmsService::CreateAwsManagedKey(const RequestContext& ctx,
                                                      std::string_view alias_name) {
  const std::string service(alias_name.substr(kAwsAliasPrefix.size()));
  KeyRecord draft;
  RETURN_IF_ERROR(Identify(ctx, draft));
  draft.key_manager = "AWS";
  draft.description = "Default key that protects my " + service + " data when no other key is defined";
  draft.policy = AwsManagedPolicy(ctx.account, ctx.region, service);
  draft.rotation_enabled = true;  // AWS managed keys rotate every year
  draft.rotation_period_days = 365;
  draft.next_rotation_ms = draft.created_ms + 365 * kDayMs;
  RETURN_IF_ERROR(AddFirstMaterial(draft));

  ASSIGN_OR_RETURN(KeyWriter writer, keys_.BeginWrite());
  // Another request may have created it since we looked: the first one wins.
  ASSIGN_OR_RETURN(auto existing, writer.GetAlias(ctx.region, ctx.account, alias_name));
  if (existing) return existing->target_key_id;
  RETURN_IF_ERROR(writer.PutKey(draft));
  RETURN_IF_ERROR(writer.PutAlias(
      ctx.region, ctx.account,
      AliasRecord{std::string(alias_name), draft.key_id, draft.created_ms, draft.created_ms}));
  RETURN_IF_ERROR(writer.Commit());
  return draft.key_id;
}

StatusOr<int> KmsService::RunSweeper() {
  RETURN_IF_ERROR(keys_.EnsureIndex());
  const std::int64_t now = NowMs();
  int changed = 0;
  // Transactions of bounded size; a full batch may have left more due keys.
  for (int batch = 0; batch < kMaxSweepBatches; ++batch) {
    ASSIGN_OR_RETURN(SweepBatch done, SweepOnce(now, kSweepBatchKeys));
    changed += done.changed;
    if (done.visited < kSweepBatchKeys) break;
  }
  return changed;
}

StatusOr<KmsService::SweepBatch> KmsService::SweepOnce(std::int64_t now, std::size_t limit) {
  ASSIGN_OR_RETURN(KeyWriter writer, keys_.BeginWrite());
  ASSIGN_OR_RETURN(std::vector<KeyRecord> due, writer.DueKeys(now, limit));
  const std::size_t visited = due.size();
  std::vector<std::pair<std::string_view, KeyRecord>> actions;
  for (KeyRecord& record : due) {
    if (record.state == kStatePendingDeletion && record.deletion_ms && *record.deletion_ms <= now) {
      ASSIGN_OR_RETURN(auto aliases, writer.Aliases(record.region, record.account));
      for (const auto& alias : aliases) {
        if (alias.target_key_id == record.key_id) {
          RETURN_IF_ERROR(writer.DeleteAlias(record.region, record.account, alias.alias_name));
        }
      }
      RETURN_IF_ERROR(writer.DeleteKey(record));
      actions.emplace_back("DeleteKey", std::move(record));
      continue;
    }
    if (record.origin == "EXTERNAL" && record.valid_to_ms && *record.valid_to_ms <= now &&
        !record.versions.empty()) {
      DropImportedMaterial(record);  // imported material expired, as AWS deletes it
      RETURN_IF_ERROR(writer.PutKey(record));
      actions.emplace_back("DeleteExpiredKeyMaterial", std::move(record));
      continue;
    }
    if (record.rotation_enabled && record.state == kStateEnabled && record.next_rotation_ms > 0 &&
        record.next_rotation_ms <= now) {
      ASSIGN_OR_RETURN(KeyVersion version, keys_.NewVersion(record, "AUTOMATIC", now));
      record.versions.push_back(std::move(version));
      record.next_rotation_ms = now + record.rotation_period_days * kDayMs;
      RETURN_IF_ERROR(writer.PutKey(record));
      actions.emplace_back("RotateKey", std::move(record));
    }
  }
  RETURN_IF_ERROR(writer.Commit());
  // Grants end with their key (after the key's transaction: one writer at a time).
  bool deleted_any = false;
  for (const auto& [name, record] : actions) {
    if (name != "DeleteKey") continue;
    deleted_any = true;
    if (grants_ != nullptr)
      RETURN_IF_ERROR(grants_->DeleteForKey(record.region, record.account, record.key_id));
  }
  if (deleted_any && authorizer_ != nullptr) authorizer_->Invalidate();
  for (const auto& [name, record] : actions) {
    if (name == "DeleteKey" && !record.custom_key_store_id.empty() && custom_key_stores_ != nullptr) {
      custom_key_stores_->DestroyKeyMaterial(record);
    }
  }
  if (sweep_listener_) {
    for (const auto& [name, record] : actions) sweep_listener_(name, record);
  }
  return SweepBatch{static_cast<int>(actions.size()), visited};
}

// ---- helpers ----

std::string DefaultKeyPolicy(std::string_view account) {
  const Json policy = {
      {"Version", "2012-10-17"},
      {"Id", "key-default-1"},
      {"Statement", Json::array({{{"Sid", "Enable IAM User Permissions"},
                                  {"Effect", "Allow"},
                                  {"Principal", {{"AWS", "arn:aws:iam::" + std::string(account) + ":root"}}},
                                  {"Action", "kms:*"},
                                  {"Resource", "*"}}})}};
  return policy.dump(2);
}

Json KeyMetadata(const KeyRecord& r) {
  Json m = {{"AWSAccountId", r.account},
            {"KeyId", r.key_id},
            {"Arn", r.Arn()},
            {"CreationDate", static_cast<double>(r.created_ms) / 1000.0},
            {"Enabled", r.state == kStateEnabled},
            {"Description", r.description},
            {"KeyUsage", r.key_usage},
            {"KeyState", r.state},
            {"Origin", r.origin},
            {"KeyManager", r.key_manager},
            {"CustomerMasterKeySpec", r.key_spec},
            {"KeySpec", r.key_spec},
            {"MultiRegion", false}};
  for (const auto& list : AlgorithmsFor(SpecInfo(r.key_spec), r.key_usage)) m[list.member] = list.values;
  if (!r.expiration_model.empty()) m["ExpirationModel"] = r.expiration_model;
  if (r.valid_to_ms) m["ValidTo"] = static_cast<double>(*r.valid_to_ms) / 1000.0;
  if (r.deletion_ms) m["DeletionDate"] = static_cast<double>(*r.deletion_ms) / 1000.0;
  if (!r.versions.empty()) m["CurrentKeyMaterialId"] = r.Current().id;
  if (!r.custom_key_store_id.empty()) m["CustomKeyStoreId"] = r.custom_key_store_id;
  if (!r.xks_key_id.empty()) m["XksKeyConfiguration"] = {{"Id", r.xks_key_id}};
  return m;
}

Status CheckUsableForCrypto(const KeyRecord& r) {
  if (r.state == kStateEnabled && !r.versions.empty()) return Status::Ok();
  if (r.state == kStateDisabled) return {ErrorCode::kDisabled, r.Arn() + " is disabled."};
  return {ErrorCode::kInvalidState, r.Arn() + " is " +
                                        (r.state == kStatePendingDeletion ? std::string("pending deletion.")
                                                                          : "in state " + r.state + ".")};
}

Status CheckNotPendingDeletion(const KeyRecord& r) {
  if (r.state != kStatePendingDeletion) return Status::Ok();
  return {ErrorCode::kInvalidState, r.Arn() + " is pending deletion."};
}

Status CheckCustomerManaged(const KeyRecord& r, const RequestContext& ctx) {
  if (r.key_manager != "AWS") return Status::Ok();
  return AccessDeniedFor(ctx, r.Arn());
}

EncryptionContext ReadContext(JsonView request, std::string_view member) {
  EncryptionContext out;
  request.find(member).ForEachMember([&out](std::string_view k, JsonView v) {
    // A repeated key cannot occur: the parsed document keeps the last one.
    if (v.is_string()) out.emplace(std::string(k), std::string(v.str()));
    return true;
  });
  return out;
}

StatusOr<Bytes> ReadBlob(JsonView request, std::string_view member) {
  const JsonView value = request.find(member);
  if (!value.is_string()) return Bytes{};
  auto decoded = Base64Decode(value.str());
  if (!decoded) return Status(ErrorCode::kSerialization, "Invalid base64 in " + std::string(member));
  return std::move(*decoded);
}

Status CheckSymmetricAlgorithm(JsonView request, std::string_view member) {
  const JsonView value = request.find(member);
  if (value.is_null()) return Status::Ok();
  if (value.is_string() && value.str() == "SYMMETRIC_DEFAULT") return Status::Ok();
  return {ErrorCode::kInvalidKeyUsage,
          "The encryption algorithm " + value.Dump() + " is not compatible with the symmetric KMS key"};
}

std::string EncodeMarker(std::string_view position) { return Base64Encode(AsBytes(position)); }

StatusOr<std::string> DecodeMarker(JsonView request) {
  const JsonView marker = request.find("Marker");
  if (!marker.is_string()) return std::string();
  auto decoded = Base64Decode(marker.str());
  if (!decoded || decoded->empty()) {
    return Status(ErrorCode::kInvalidMarker, "The marker is invalid or does not belong to this request");
  }
  return std::string(AsChars(*decoded));
}

std::size_t ReadLimit(JsonView request, std::size_t default_limit) {
  const JsonView limit = request.find("Limit");
  if (!limit.is_number() || limit.is_number_float() || limit.is_number_unsigned()) return default_limit;
  const auto v = limit.int64();
  return v < 1 ? default_limit : static_cast<std::size_t>(std::min<std::int64_t>(v, 1000));
}

StatusOr<KeyRecord> MutateKey(KmsService& kms, const RequestContext& ctx, std::string_view key_id,
                              const std::function<Status(KeyRecord&)>& fn) {
  ASSIGN_OR_RETURN(std::string id, kms.ResolveIdForWrite(ctx, key_id));
  ASSIGN_OR_RETURN(KeyWriter writer, kms.keys().BeginWrite());
  ASSIGN_OR_RETURN(auto record, writer.GetKey(ctx.region, ctx.account, id));
  if (!record) return NotFoundError("Key '" + KeyArn(ctx.region, ctx.account, id) + "' does not exist");
  RETURN_IF_ERROR(kms.AuthorizeKey(ctx, *record));
  RETURN_IF_ERROR(fn(*record));
  RETURN_IF_ERROR(writer.PutKey(*record));
  RETURN_IF_ERROR(writer.Commit());
  return std::move(*record);
}

Status ValidationFailure(std::string_view field, std::string_view value, std::string_view constraint) {
  return ValidationError("1 validation error detected: Value '" + std::string(value) + "' at '" +
                         std::string(field) + "' failed to satisfy constraint: " + std::string(constraint));
}

StatusOr<std::map<std::string, std::string>> ReadTags(const Json& request) {
  std::map<std::string, std::string> tags;
  auto it = request.find("Tags");
  if (it == request.end() || !it->is_array()) return tags;
  for (const auto& tag : *it) {
    const std::string key = tag.value("TagKey", "");
    const std::string value = tag.value("TagValue", "");
    if (IsReservedTagKey(key)) {
      return Status(ErrorCode::kTag,
                    "Tag keys beginning with aws: (in any letter case) are reserved and cannot be set");
    }
    if (!tags.emplace(key, value).second) {
      return Status(ErrorCode::kTag, "Duplicate tag keys in the request");
    }
  }
  return tags;
}

Status CheckDryRun(JsonView request) {
  if (request.find("DryRun").boolean()) {
    return {ErrorCode::kDryRunOperation, "The request would have succeeded, but the DryRun option is set."};
  }
  return Status::Ok();
}

StatusOr<std::string> AsText(const StatusOr<Json>& response) {
  if (!response.ok()) return response.status();
  return WriteJson(*response);
}

}  // namespace coffer::kms

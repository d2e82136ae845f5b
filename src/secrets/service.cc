#include "secrets/service.h"

#include <algorithm>
#include <chrono>
#include <unordered_map>

#include "common/encoding.h"
#include "common/secret_bytes.h"
#include "secrets/errors.h"
#include "secrets/ids.h"
#include "secrets/table.h"

namespace coffer::secrets {
namespace {

constexpr std::size_t kMaxVersions = 100;
constexpr std::int64_t kDayMs = 24LL * 3600 * 1000;

using Handler = StatusOr<Json> (SecretsService::*)(const Caller&, const Json&);

double Seconds(std::int64_t ms) { return static_cast<double>(ms) / 1000.0; }

}  // namespace

SecretsService::SecretsService(store::Store& store, kms::ServiceKms& kms, SecretsAuthorizer& authz,
                               RandomSource& random, const Clock& clock)
    : store_(store), kms_(kms), authz_(authz), random_(random), clock_(clock), sealer_(kms, random) {}

Caller SecretsService::ServiceCaller(std::string_view account, std::string_view region) {
  Caller c;
  c.account = std::string(account);
  c.region = std::string(region);
  c.service = true;
  c.who.caller.arn = "arn:aws:iam::" + c.account + ":root";
  c.who.caller.account = c.account;
  c.who.principal_type = "Account";
  c.who.secure_transport = true;
  return c;
}

StatusOr<Json> SecretsService::Call(const server::FrontCall& call) {
  Caller c;
  c.who = call.who;
  c.account = call.caller.account_id;
  c.region = std::string(call.region);
  return Run(c, call.operation, call.body);
}

server::ServiceFront SecretsService::Front(const api::ServiceModel& model) {
  server::ServiceFront front;
  front.service = "secretsmanager";
  front.model = &model;
  front.call = [this](const server::FrontCall& call) { return Call(call); };
  front.error_for = [](ErrorCode code) -> std::optional<server::WireError> {
    if (code == ErrorCode::kInternal) return server::WireError{"InternalServiceError", 500};
    if (code == ErrorCode::kInvalidNextToken) return server::WireError{"InvalidNextTokenException", 400};
    return std::nullopt;
  };
  return front;
}

StatusOr<Json> SecretsService::Run(const Caller& c, std::string_view operation, const Json& body) {
  static const std::unordered_map<std::string_view, Handler> kOps = {
      {"CreateSecret", &SecretsService::CreateSecret},
      {"DescribeSecret", &SecretsService::DescribeSecret},
      {"UpdateSecret", &SecretsService::UpdateSecret},
      {"DeleteSecret", &SecretsService::DeleteSecret},
      {"RestoreSecret", &SecretsService::RestoreSecret},
      {"ListSecrets", &SecretsService::ListSecrets},
      {"GetSecretValue", &SecretsService::GetSecretValue},
      {"BatchGetSecretValue", &SecretsService::BatchGetSecretValue},
      {"PutSecretValue", &SecretsService::PutSecretValue},
      {"ListSecretVersionIds", &SecretsService::ListSecretVersionIds},
      {"UpdateSecretVersionStage", &SecretsService::UpdateSecretVersionStage},
      {"TagResource", &SecretsService::TagResource},
      {"UntagResource", &SecretsService::UntagResource},
      {"GetResourcePolicy", &SecretsService::GetResourcePolicy},
      {"PutResourcePolicy", &SecretsService::PutResourcePolicy},
      {"DeleteResourcePolicy", &SecretsService::DeleteResourcePolicy},
      {"ValidateResourcePolicy", &SecretsService::ValidateResourcePolicy},
      {"GetRandomPassword", &SecretsService::GetRandomPassword},
      {"RotateSecret", &SecretsService::RotateSecret},
      {"CancelRotateSecret", &SecretsService::CancelRotateSecret},
      {"ReplicateSecretToRegions", &SecretsService::ReplicateSecretToRegions},
      {"RemoveRegionsFromReplication", &SecretsService::RemoveRegionsFromReplication},
      {"StopReplicationToReplica", &SecretsService::StopReplicationToReplica},
  };
  auto it = kOps.find(operation);
  if (it == kOps.end()) {
    return Status(ErrorCode::kUnknownOperation,
                  "The operation " + std::string(operation) + " is not supported by this server.");
  }
  return (this->*(it->second))(c, body);
}

kms::ViaService SecretsService::Via(const Caller& c, std::string_view region) const {
  kms::ViaService via;
  via.service = "secretsmanager";
  via.account = c.account;
  via.region = std::string(region);
  via.principal_arn = c.who.caller.arn;
  via.who = c.who;
  return via;
}

std::int64_t SecretsService::NowMs() const {
  return std::chrono::duration_cast<std::chrono::milliseconds>(clock_.Now().time_since_epoch()).count();
}

StatusOr<std::string> SecretsService::NewVersionId() {
  std::uint8_t raw[16] = {};
  RETURN_IF_ERROR(random_.Fill(raw));
  return FormatUuid(raw);
}

StatusOr<std::optional<SecretRecord>> SecretsService::Find(store::Txn& txn, const Caller& c,
                                                           std::string_view secret_id) {
  for (const SecretLookup& lookup : LookupsFor(secret_id, c.account, c.region)) {
    ASSIGN_OR_RETURN(auto record, SecretTable::Get(txn, lookup.account, c.region, lookup.name));
    if (!record) continue;
    if (!lookup.exact_arn.empty() && record->arn != lookup.exact_arn) continue;
    return record;
  }
  return std::optional<SecretRecord>();
}

Status SecretsService::Authorize(const Caller& c, std::string_view action, std::string_view secret_id,
                                 const SecretRecord* secret, policy::ContextKeys extra) {
  if (c.service) return Status::Ok();
  const std::string full = "secretsmanager:" + std::string(action);
  return authz_.Authorize(AuthzInput{c.who, full, secret_id, secret, std::move(extra)});
}

StatusOr<SecretRecord> SecretsService::Resolve(store::Txn& txn, const Caller& c, std::string_view secret_id,
                                               std::string_view action, policy::ContextKeys extra) {
  ASSIGN_OR_RETURN(auto record, Find(txn, c, secret_id));
  RETURN_IF_ERROR(Authorize(c, action, secret_id, record ? &*record : nullptr, std::move(extra)));
  if (!record) return SecretNotFound();
  return std::move(*record);
}

Status SecretsService::CheckWritable(const SecretRecord& r) const {
  if (r.scheduled_for_deletion()) return DeletedSecret();
  if (r.is_replica()) {
    return InvalidRequest(
        "Operation not permitted on a replica secret. Call must be made in primary secret's "
        "region.");
  }
  return Status::Ok();
}

StatusOr<std::optional<PlainValue>> SecretsService::ValueOf(const Json& req) const {
  const bool has_string = req.contains("SecretString");
  const bool has_binary = req.contains("SecretBinary");
  if (has_string && has_binary) {
    return InvalidParameter(
        "You can't specify both a binary secret value and a string secret value in the same secret.");
  }
  if (has_string)
    return std::optional<PlainValue>(PlainValue(req.at("SecretString").get<std::string>(), false));
  if (has_binary) {
    // The validator has checked the base64 text of the blob member.
    std::optional<Bytes> raw = Base64Decode(req.at("SecretBinary").get<std::string>());
    if (!raw) return InvalidParameter("SecretBinary is not valid base64.");
    std::string bytes(AsChars(*raw));
    SecureWipe(raw->data(), raw->size());
    return std::optional<PlainValue>(PlainValue(std::move(bytes), true));
  }
  return std::optional<PlainValue>();
}

void SecretsService::MoveStages(SecretRecord& r, const std::string& version_id,
                                const std::vector<std::string>& stages) {
  for (const std::string& stage : stages) {
    std::string old_holder;
    for (auto& [id, meta] : r.versions) {
      if (id == version_id) continue;
      if (std::erase(meta.stages, stage) > 0) old_holder = id;
    }
    VersionMeta& target = r.versions[version_id];
    if (std::find(target.stages.begin(), target.stages.end(), stage) == target.stages.end()) {
      target.stages.push_back(stage);
    }
    if (stage == kCurrent && !old_holder.empty()) {
      for (auto& [id, meta] : r.versions) std::erase(meta.stages, std::string(kPrevious));
      r.versions[old_holder].stages.emplace_back(kPrevious);
    }
  }
}

Status SecretsService::PruneVersions(store::Txn& txn, SecretRecord& r) {
  if (r.versions.size() <= kMaxVersions) return Status::Ok();
  std::vector<std::pair<std::int64_t, std::string>> removable;
  const std::int64_t cutoff = NowMs() - kDayMs;
  for (const auto& [id, meta] : r.versions) {
    if (meta.stages.empty() && meta.created_ms < cutoff) removable.emplace_back(meta.created_ms, id);
  }
  std::sort(removable.begin(), removable.end());
  for (const auto& [created, id] : removable) {
    if (r.versions.size() <= kMaxVersions) break;
    RETURN_IF_ERROR(SecretTable::DeleteValue(txn, r.arn, id));
    r.versions.erase(id);
  }
  if (r.versions.size() > kMaxVersions) {
    return LimitExceeded(
        "You have exceeded the maximum number of versions (100) of this secret: Secrets Manager removes only "
        "versions without staging labels that are more than 24 hours old.");
  }
  return Status::Ok();
}

StatusOr<Json> SecretsService::WriteVersion(const Caller& c, const SecretRecord& seen, std::string token,
                                            const PlainValue& value, std::vector<std::string> stages) {
  if (value.bytes().size() > 65536) {
    return InvalidParameter("The secret value is larger than the maximum size of 65536 bytes.");
  }
  if (auto existing = seen.versions.find(token); existing != seen.versions.end()) {
    // An idempotent retry: the same token with the same value changes nothing.
    ASSIGN_OR_RETURN(auto txn, store_.BeginRead());
    ASSIGN_OR_RETURN(auto sealed, SecretTable::GetValue(*txn, seen.arn, token));
    RETURN_IF_ERROR(txn->Commit());
    if (sealed) {
      ASSIGN_OR_RETURN(PlainValue old, sealer_.Open(Via(c, seen.region), *sealed, seen.arn, token));
      if (old.SameAs(value)) {
        return Json{{"ARN", seen.arn},
                    {"Name", seen.name},
                    {"VersionId", token},
                    {"VersionStages", existing->second.stages}};
      }
    }
    return ResourceExists("You can't modify an existing version, you can only create a new version.");
  }
  ASSIGN_OR_RETURN(SealedValue sealed,
                   sealer_.Seal(Via(c, seen.region), KeyIdOf(seen), seen.arn, token, value));
  ASSIGN_OR_RETURN(auto txn, store_.BeginWrite());
  ASSIGN_OR_RETURN(auto current, SecretTable::Get(*txn, seen.account, seen.region, seen.name));
  if (!current || current->arn != seen.arn) return SecretNotFound();
  SecretRecord& r = *current;
  if (r.versions.contains(token)) {
    return ResourceExists("You can't modify an existing version, you can only create a new version.");
  }
  VersionMeta meta;
  meta.created_ms = NowMs();
  for (const auto& k : sealed.keys) meta.kms_key_arns.push_back(k.key_arn);
  r.versions.emplace(token, std::move(meta));
  MoveStages(r, token, stages);
  r.last_changed_ms = NowMs();
  RETURN_IF_ERROR(PruneVersions(*txn, r));
  RETURN_IF_ERROR(SecretTable::PutValue(*txn, r.arn, token, sealed));
  RETURN_IF_ERROR(SecretTable::Put(*txn, r));
  RETURN_IF_ERROR(txn->Commit());
  if (!r.replicas.empty()) RETURN_IF_ERROR(SyncReplicas(c, r.name, r.region));
  return Json{
      {"ARN", r.arn}, {"Name", r.name}, {"VersionId", token}, {"VersionStages", r.versions[token].stages}};
}

void SecretsService::Emit(std::string event_name, const SecretRecord& r) {
  if (events_) events_(ServiceEvent{std::move(event_name), r.account, r.region, r.arn});
}

Json SecretsService::Describe(const SecretRecord& r, bool list_entry) const {
  Json out = {{"ARN", r.arn}, {"Name", r.name}};
  if (!r.description.empty()) out["Description"] = r.description;
  if (!r.kms_key_id.empty()) out["KmsKeyId"] = r.kms_key_id;
  out["RotationEnabled"] = r.rotation.enabled;
  if (!r.rotation.lambda_arn.empty()) out["RotationLambdaARN"] = r.rotation.lambda_arn;
  Json rules = Json::object();
  if (r.rotation.automatically_after_days)
    rules["AutomaticallyAfterDays"] = *r.rotation.automatically_after_days;
  if (!r.rotation.schedule_expression.empty()) rules["ScheduleExpression"] = r.rotation.schedule_expression;
  if (!r.rotation.duration.empty()) rules["Duration"] = r.rotation.duration;
  if (!rules.empty()) out["RotationRules"] = rules;
  if (r.rotation.last_rotated_ms != 0) out["LastRotatedDate"] = Seconds(r.rotation.last_rotated_ms);
  if (r.last_changed_ms != 0) out["LastChangedDate"] = Seconds(r.last_changed_ms);
  if (r.last_accessed_ms != 0) out["LastAccessedDate"] = Seconds(r.last_accessed_ms);
  if (r.deleted_ms != 0) out["DeletedDate"] = Seconds(r.deleted_ms);
  if (r.rotation.enabled && r.rotation.next_rotation_ms != 0) {
    out["NextRotationDate"] = Seconds(r.rotation.next_rotation_ms);
  }
  if (!r.tags.empty()) {
    Json tags = Json::array();
    for (const auto& [k, v] : r.tags) tags.push_back({{"Key", k}, {"Value", v}});
    out["Tags"] = tags;
  }
  Json stages = Json::object();
  for (const auto& [id, meta] : r.versions) {
    if (!meta.stages.empty()) stages[id] = meta.stages;
  }
  out[list_entry ? "SecretVersionsToStages" : "VersionIdsToStages"] = stages;
  if (!r.owning_service.empty()) out["OwningService"] = r.owning_service;
  out["CreatedDate"] = Seconds(r.created_ms);
  if (r.is_replica()) {
    out["PrimaryRegion"] = r.primary_region;
  } else if (!r.replicas.empty()) {
    out["PrimaryRegion"] = r.region;
  }
  if (!r.replicas.empty()) {
    Json reps = Json::array();
    for (const auto& rep : r.replicas) {
      Json e = {{"Region", rep.region}, {"Status", rep.status}};
      if (!rep.kms_key_id.empty()) e["KmsKeyId"] = rep.kms_key_id;
      if (!rep.status_message.empty()) e["StatusMessage"] = rep.status_message;
      if (rep.last_accessed_ms != 0) e["LastAccessedDate"] = Seconds(rep.last_accessed_ms);
      reps.push_back(e);
    }
    out["ReplicationStatus"] = reps;
  }
  return out;
}

StatusOr<int> SecretsService::RunSweeper() {
  const std::int64_t now = NowMs();
  ASSIGN_OR_RETURN(auto txn, store_.BeginRead());
  ASSIGN_OR_RETURN(auto all, SecretTable::All(*txn));
  RETURN_IF_ERROR(txn->Commit());
  int changed = 0;
  for (SecretRecord& r : all) {
    if (r.scheduled_for_deletion()) {
      if (r.deletion_ms > now) continue;
      ASSIGN_OR_RETURN(auto w, store_.BeginWrite());
      ASSIGN_OR_RETURN(auto current, SecretTable::Get(*w, r.account, r.region, r.name));
      if (!current || current->arn != r.arn || current->deletion_ms > now ||
          !current->scheduled_for_deletion()) {
        continue;
      }
      RETURN_IF_ERROR(SecretTable::Remove(*w, *current));
      RETURN_IF_ERROR(w->Commit());
      Emit("EndSecretDeletion", r);
      ++changed;
      continue;
    }
    if (r.is_replica() || !r.rotation.enabled || rotation_ == nullptr) continue;
    const bool retry = !r.rotation.pending_token.empty() && !r.rotation.last_failure.empty();
    const bool due = r.rotation.pending_token.empty() && r.rotation.next_rotation_ms != 0 &&
                     r.rotation.next_rotation_ms <= now;
    if (!retry && !due) continue;
    std::string token = r.rotation.pending_token;
    if (token.empty()) {
      ASSIGN_OR_RETURN(token, NewVersionId());
    }
    auto started = StartRotation(ServiceCaller(r.account, r.region), r, token);
    if (!started.ok()) return started.status();
    ++changed;
  }
  return changed;
}

}  // namespace coffer::secrets

// GetSecretValue, BatchGetSecretValue, PutSecretValue, ListSecretVersionIds,
// UpdateSecretVersionStage, GetRandomPassword.
#include <algorithm>

#include "common/encoding.h"
#include "secrets/errors.h"
#include "secrets/password.h"
#include "secrets/service.h"
#include "secrets/table.h"

namespace coffer::secrets {
namespace {

constexpr std::int64_t kDayMs = 24LL * 3600 * 1000;
constexpr std::size_t kMaxStagesPerVersion = 20;

double Seconds(std::int64_t ms) { return static_cast<double>(ms) / 1000.0; }
std::int64_t Day(std::int64_t ms) { return ms - ms % kDayMs; }

// The version a GetSecretValue-style request selects.
StatusOr<std::string> SelectVersion(const SecretRecord& r, const Json& req) {
  const std::string stage = req.value("VersionStage", "");
  if (req.contains("VersionId")) {
    const std::string id = req.at("VersionId").get<std::string>();
    auto it = r.versions.find(id);
    if (it == r.versions.end() || (!stage.empty() && !r.HasStage(it->second, stage))) {
      return ResourceNotFound("Secrets Manager can't find the specified secret value for VersionId: " + id);
    }
    return id;
  }
  const std::string wanted = stage.empty() ? std::string(kCurrent) : stage;
  const std::string* id = r.VersionWithStage(wanted);
  if (id == nullptr) {
    return ResourceNotFound("Secrets Manager can't find the specified secret value for staging label: " +
                            wanted);
  }
  return *id;
}

void PutValue(Json& out, const PlainValue& value) {
  if (value.binary()) {
    out["SecretBinary"] = Base64Encode(AsBytes(value.bytes()));
  } else {
    out["SecretString"] = value.bytes();
  }
}

}  // namespace

StatusOr<Json> SecretsService::GetSecretValue(const Caller& c, const Json& req) {
  const std::string id = req.at("SecretId").get<std::string>();
  policy::ContextKeys keys;
  if (req.contains("VersionStage"))
    keys.Set("secretsmanager:VersionStage", req.at("VersionStage").get<std::string>());
  if (req.contains("VersionId")) keys.Set("secretsmanager:VersionId", req.at("VersionId").get<std::string>());
  SecretRecord r;
  std::optional<SealedValue> sealed;
  std::string version;
  {
    ASSIGN_OR_RETURN(auto txn, store_.BeginRead());
    ASSIGN_OR_RETURN(r, Resolve(*txn, c, id, "GetSecretValue", std::move(keys)));
    if (r.scheduled_for_deletion()) return DeletedSecret();
    ASSIGN_OR_RETURN(version, SelectVersion(r, req));
    ASSIGN_OR_RETURN(sealed, SecretTable::GetValue(*txn, r.arn, version));
    RETURN_IF_ERROR(txn->Commit());
  }
  if (!sealed)
    return ResourceNotFound("Secrets Manager can't find the specified secret value for VersionId: " +
                            version);
  ASSIGN_OR_RETURN(PlainValue value, sealer_.Open(Via(c, r.region), *sealed, r.arn, version));
  const VersionMeta& meta = r.versions.at(version);
  Json out = {{"ARN", r.arn}, {"Name", r.name}, {"VersionId", version}};
  PutValue(out, value);
  out["VersionStages"] = meta.stages;
  out["CreatedDate"] = Seconds(meta.created_ms);
  // LastAccessedDate has day granularity: one write per secret per day.
  const std::int64_t today = Day(NowMs());
  if (!c.service && (r.last_accessed_ms != today || meta.last_accessed_ms != today)) {
    ASSIGN_OR_RETURN(auto txn, store_.BeginWrite());
    ASSIGN_OR_RETURN(auto current, SecretTable::Get(*txn, r.account, r.region, r.name));
    if (current && current->arn == r.arn && current->versions.contains(version)) {
      current->last_accessed_ms = today;
      current->versions[version].last_accessed_ms = today;
      RETURN_IF_ERROR(SecretTable::Put(*txn, *current));
      RETURN_IF_ERROR(txn->Commit());
    }
  }
  return out;
}

StatusOr<Json> SecretsService::BatchGetSecretValue(const Caller& c, const Json& req) {
  const bool by_id = req.contains("SecretIdList");
  const bool by_filter = req.contains("Filters");
  if (by_id == by_filter) {
    return InvalidParameter("Either SecretIdList or Filters must be provided, but not both.");
  }
  if (by_id && (req.contains("MaxResults") || req.contains("NextToken"))) {
    return InvalidParameter("MaxResults and NextToken can be used only with Filters, not with SecretIdList.");
  }
  RETURN_IF_ERROR(Authorize(c, "BatchGetSecretValue", "*", nullptr));
  std::vector<std::string> ids;
  Json out = Json::object();
  if (by_id) {
    for (const auto& v : req.at("SecretIdList")) ids.push_back(v.get<std::string>());
  } else {
    Json list_req = {{"Filters", req.at("Filters")}};
    if (req.contains("MaxResults")) list_req["MaxResults"] = req.at("MaxResults");
    if (req.contains("NextToken")) list_req["NextToken"] = req.at("NextToken");
    ASSIGN_OR_RETURN(Json listed, ListSecrets(c, list_req));
    for (const auto& e : listed.at("SecretList")) ids.push_back(e.at("ARN").get<std::string>());
    if (listed.contains("NextToken")) out["NextToken"] = listed.at("NextToken");
  }
  Json values = Json::array();
  Json errors = Json::array();
  for (const std::string& id : ids) {
    auto got = GetSecretValue(c, Json{{"SecretId", id}});
    if (got.ok()) {
      values.push_back(std::move(*got));
    } else {
      errors.push_back({{"SecretId", id},
                        {"ErrorCode", std::string(WireName(got.status()))},
                        {"Message", got.status().message()}});
    }
  }
  out["SecretValues"] = values;
  out["Errors"] = errors;
  return out;
}

StatusOr<Json> SecretsService::PutSecretValue(const Caller& c, const Json& req) {
  const std::string id = req.at("SecretId").get<std::string>();
  std::vector<std::string> stages;
  for (const auto& s : req.value("VersionStages", Json::array())) stages.push_back(s.get<std::string>());
  if (!req.contains("VersionStages")) stages.emplace_back(kCurrent);
  policy::ContextKeys keys;
  if (!stages.empty()) keys.SetMulti("secretsmanager:VersionStage", stages);
  SecretRecord seen;
  {
    ASSIGN_OR_RETURN(auto txn, store_.BeginRead());
    ASSIGN_OR_RETURN(seen, Resolve(*txn, c, id, "PutSecretValue", std::move(keys)));
  }
  RETURN_IF_ERROR(CheckWritable(seen));
  ASSIGN_OR_RETURN(std::optional<PlainValue> value, ValueOf(req));
  if (!value) return InvalidRequest("You must provide either SecretString or SecretBinary.");
  if (stages.size() > kMaxStagesPerVersion) {
    return LimitExceeded("A version can have at most 20 staging labels.");
  }
  std::string token = req.value("ClientRequestToken", "");
  if (token.empty()) {
    ASSIGN_OR_RETURN(token, NewVersionId());
  }
  return WriteVersion(c, seen, token, *value, stages);
}

StatusOr<Json> SecretsService::ListSecretVersionIds(const Caller& c, const Json& req) {
  ASSIGN_OR_RETURN(auto txn, store_.BeginRead());
  ASSIGN_OR_RETURN(SecretRecord r,
                   Resolve(*txn, c, req.at("SecretId").get<std::string>(), "ListSecretVersionIds"));
  const bool deprecated = req.value("IncludeDeprecated", false);
  std::vector<std::pair<std::string, const VersionMeta*>> versions;
  for (const auto& [vid, meta] : r.versions) {
    if (meta.stages.empty() && !deprecated) continue;
    versions.emplace_back(vid, &meta);
  }
  std::sort(versions.begin(), versions.end(), [](const auto& a, const auto& b) {
    if (a.second->created_ms != b.second->created_ms) return a.second->created_ms > b.second->created_ms;
    return a.first < b.first;
  });
  std::size_t start = 0;
  if (req.contains("NextToken")) {
    std::optional<Bytes> raw = Base64Decode(req.at("NextToken").get<std::string>());
    const std::string text = raw ? std::string(AsChars(*raw)) : "";
    if (!text.starts_with("sv1:"))
      return Status(ErrorCode::kInvalidNextToken, "The NextToken value is invalid.");
    start = std::strtoull(text.c_str() + 4, nullptr, 10);
  }
  const std::size_t limit = req.value("MaxResults", 100);
  Json list = Json::array();
  for (std::size_t i = start; i < versions.size() && list.size() < limit; ++i) {
    const VersionMeta& m = *versions[i].second;
    Json e = {{"VersionId", versions[i].first}, {"CreatedDate", Seconds(m.created_ms)}};
    if (!m.stages.empty()) e["VersionStages"] = m.stages;
    if (m.last_accessed_ms != 0) e["LastAccessedDate"] = Seconds(m.last_accessed_ms);
    if (!m.kms_key_arns.empty()) e["KmsKeyIds"] = m.kms_key_arns;
    list.push_back(e);
  }
  Json out = {{"Versions", list}, {"ARN", r.arn}, {"Name", r.name}};
  if (start + limit < versions.size()) {
    out["NextToken"] = Base64Encode(AsBytes("sv1:" + std::to_string(start + limit)));
  }
  return out;
}

StatusOr<Json> SecretsService::UpdateSecretVersionStage(const Caller& c, const Json& req) {
  const std::string stage = req.at("VersionStage").get<std::string>();
  policy::ContextKeys keys;
  keys.Set("secretsmanager:VersionStage", stage);
  SecretRecord r;
  {
    ASSIGN_OR_RETURN(auto txn, store_.BeginWrite());
    ASSIGN_OR_RETURN(r, Resolve(*txn, c, req.at("SecretId").get<std::string>(), "UpdateSecretVersionStage",
                                std::move(keys)));
    RETURN_IF_ERROR(CheckWritable(r));
    const std::string remove_from = req.value("RemoveFromVersionId", "");
    const std::string move_to = req.value("MoveToVersionId", "");
    const std::string* holder = r.VersionWithStage(stage);
    if (!remove_from.empty()) {
      if (!r.versions.contains(remove_from)) {
        return ResourceNotFound("Secrets Manager can't find the specified secret version: " + remove_from);
      }
      if (holder == nullptr || *holder != remove_from) {
        return InvalidParameter("The staging label " + stage + " is not attached to version " + remove_from +
                                ", so you can't remove it from that version.");
      }
    }
    if (!move_to.empty() && !r.versions.contains(move_to)) {
      return ResourceNotFound("Secrets Manager can't find the specified secret version: " + move_to);
    }
    if (!move_to.empty() && holder != nullptr && *holder != move_to && remove_from != *holder) {
      return InvalidParameter("The parameter RemoveFromVersionId can't be empty. Staging label " + stage +
                              " is currently attached to version " + *holder +
                              ", so you must explicitly reference that version in RemoveFromVersionId.");
    }
    if (move_to.empty() && stage == kCurrent) {
      return InvalidParameter(
          "You can only move staging label AWSCURRENT to a different secret version. It "
          "can't be completely removed.");
    }
    if (move_to.empty()) {
      if (!remove_from.empty()) std::erase(r.versions[remove_from].stages, stage);
    } else {
      VersionMeta& target = r.versions[move_to];
      const bool has = r.HasStage(target, stage);
      if (!has && target.stages.size() >= kMaxStagesPerVersion) {
        return LimitExceeded("A version can have at most 20 staging labels.");
      }
      MoveStages(r, move_to, {stage});
    }
    r.last_changed_ms = NowMs();
    RETURN_IF_ERROR(SecretTable::Put(*txn, r));
    RETURN_IF_ERROR(txn->Commit());
  }
  if (!r.replicas.empty()) RETURN_IF_ERROR(SyncReplicas(c, r.name, r.region));
  return Json{{"ARN", r.arn}, {"Name", r.name}};
}

StatusOr<Json> SecretsService::GetRandomPassword(const Caller& c, const Json& req) {
  RETURN_IF_ERROR(Authorize(c, "GetRandomPassword", "*", nullptr));
  PasswordOptions o;
  o.length = static_cast<std::size_t>(req.value("PasswordLength", 32));
  o.exclude_characters = req.value("ExcludeCharacters", "");
  o.exclude_numbers = req.value("ExcludeNumbers", false);
  o.exclude_punctuation = req.value("ExcludePunctuation", false);
  o.exclude_uppercase = req.value("ExcludeUppercase", false);
  o.exclude_lowercase = req.value("ExcludeLowercase", false);
  o.include_space = req.value("IncludeSpace", false);
  o.require_each_included_type = req.value("RequireEachIncludedType", true);
  ASSIGN_OR_RETURN(std::string password, RandomPassword(o, random_));
  return Json{{"RandomPassword", password}};
}

}  // namespace coffer::secrets

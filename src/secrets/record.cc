#include "secrets/record.h"

#include <algorithm>

namespace coffer::secrets {
namespace {

using Json = nlohmann::json;

template <typename T>
void Opt(const Json& j, const char* name, T& out) {
  if (auto it = j.find(name); it != j.end() && !it->is_null()) out = it->get<T>();
}

}  // namespace

const std::string* SecretRecord::VersionWithStage(std::string_view stage) const {
  for (const auto& [id, meta] : versions) {
    if (HasStage(meta, stage)) return &id;
  }
  return nullptr;
}

bool SecretRecord::HasStage(const VersionMeta& v, std::string_view stage) const {
  return std::find(v.stages.begin(), v.stages.end(), stage) != v.stages.end();
}

std::optional<std::string> SecretRecord::Tag(std::string_view key) const {
  for (const auto& [k, v] : tags) {
    if (k == key) return v;
  }
  return std::nullopt;
}

Json ToJson(const SecretRecord& r) {
  Json versions = Json::object();
  for (const auto& [id, v] : r.versions) {
    versions[id] = {{"created", v.created_ms},
                    {"accessed", v.last_accessed_ms},
                    {"stages", v.stages},
                    {"keys", v.kms_key_arns}};
  }
  Json tags = Json::array();
  for (const auto& [k, v] : r.tags) tags.push_back({k, v});
  Json replicas = Json::array();
  for (const auto& rep : r.replicas) {
    replicas.push_back({{"region", rep.region},
                        {"kms", rep.kms_key_id},
                        {"status", rep.status},
                        {"message", rep.status_message},
                        {"accessed", rep.last_accessed_ms}});
  }
  const RotationSettings& rot = r.rotation;
  Json rotation = {
      {"enabled", rot.enabled},       {"lambda", rot.lambda_arn},    {"schedule", rot.schedule_expression},
      {"duration", rot.duration},     {"last", rot.last_rotated_ms}, {"next", rot.next_rotation_ms},
      {"pending", rot.pending_token}, {"failure", rot.last_failure}, {"attempts", rot.failed_attempts}};
  if (rot.automatically_after_days) rotation["days"] = *rot.automatically_after_days;
  return {{"arn", r.arn},
          {"name", r.name},
          {"account", r.account},
          {"region", r.region},
          {"description", r.description},
          {"kms", r.kms_key_id},
          {"tags", tags},
          {"created", r.created_ms},
          {"changed", r.last_changed_ms},
          {"accessed", r.last_accessed_ms},
          {"deleted", r.deleted_ms},
          {"deletion", r.deletion_ms},
          {"rotation", rotation},
          {"versions", versions},
          {"policy", r.policy},
          {"primary", r.primary_region},
          {"replicas", replicas},
          {"owner", r.owning_service}};
}

StatusOr<SecretRecord> SecretFromJson(const Json& j) {
  try {
    SecretRecord r;
    r.arn = j.at("arn").get<std::string>();
    r.name = j.at("name").get<std::string>();
    r.account = j.at("account").get<std::string>();
    r.region = j.at("region").get<std::string>();
    Opt(j, "description", r.description);
    Opt(j, "kms", r.kms_key_id);
    if (auto tags = j.find("tags"); tags != j.end()) {
      for (const auto& t : *tags) r.tags.emplace_back(t.at(0), t.at(1));
    }
    Opt(j, "created", r.created_ms);
    Opt(j, "changed", r.last_changed_ms);
    Opt(j, "accessed", r.last_accessed_ms);
    Opt(j, "deleted", r.deleted_ms);
    Opt(j, "deletion", r.deletion_ms);
    const Json& rot = j.at("rotation");
    Opt(rot, "enabled", r.rotation.enabled);
    Opt(rot, "lambda", r.rotation.lambda_arn);
    if (rot.contains("days")) r.rotation.automatically_after_days = rot.at("days").get<int>();
    Opt(rot, "schedule", r.rotation.schedule_expression);
    Opt(rot, "duration", r.rotation.duration);
    Opt(rot, "last", r.rotation.last_rotated_ms);
    Opt(rot, "next", r.rotation.next_rotation_ms);
    Opt(rot, "pending", r.rotation.pending_token);
    Opt(rot, "failure", r.rotation.last_failure);
    Opt(rot, "attempts", r.rotation.failed_attempts);
    for (const auto& [id, v] : j.at("versions").items()) {
      VersionMeta meta;
      Opt(v, "created", meta.created_ms);
      Opt(v, "accessed", meta.last_accessed_ms);
      Opt(v, "stages", meta.stages);
      Opt(v, "keys", meta.kms_key_arns);
      r.versions.emplace(id, std::move(meta));
    }
    Opt(j, "policy", r.policy);
    Opt(j, "primary", r.primary_region);
    for (const auto& rep : j.at("replicas")) {
      Replica out;
      Opt(rep, "region", out.region);
      Opt(rep, "kms", out.kms_key_id);
      Opt(rep, "status", out.status);
      Opt(rep, "message", out.status_message);
      Opt(rep, "accessed", out.last_accessed_ms);
      r.replicas.push_back(std::move(out));
    }
    Opt(j, "owner", r.owning_service);
    return r;
  } catch (const Json::exception&) {
    return InternalError("a stored secret record is malformed");
  }
}

Json ToJson(const SealedValue& v) {
  Json keys = Json::array();
  for (const auto& k : v.keys) keys.push_back({{"arn", k.key_arn}, {"blob", k.blob}});
  return {{"keys", keys}, {"iv", v.iv}, {"ct", v.ciphertext}, {"binary", v.binary}};
}

StatusOr<SealedValue> SealedFromJson(const Json& j) {
  try {
    SealedValue v;
    for (const auto& k : j.at("keys")) v.keys.push_back({k.at("arn"), k.at("blob")});
    v.iv = j.at("iv").get<std::string>();
    v.ciphertext = j.at("ct").get<std::string>();
    Opt(j, "binary", v.binary);
    return v;
  } catch (const Json::exception&) {
    return InternalError("a stored secret value is malformed");
  }
}

}  // namespace coffer::secrets

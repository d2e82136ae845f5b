#include "kms/key_record.h"

#include <nlohmann/json.hpp>

#include "common/encoding.h"
#include "kms/arn.h"

namespace coffer::kms {
namespace {

using nlohmann::json;

json VersionToJson(const KeyVersion& v) {
  return {{"id", v.id},
          {"created_ms", v.created_ms},
          {"rotation_type", v.rotation_type},
          {"wrapped", Base64Encode(v.wrapped)}};
}

StatusOr<KeyVersion> VersionFromJson(const json& j) {
  KeyVersion v;
  v.id = j.at("id").get<std::string>();
  v.created_ms = j.at("created_ms").get<std::int64_t>();
  v.rotation_type = j.value("rotation_type", "");
  auto wrapped = Base64Decode(j.at("wrapped").get<std::string>());
  if (!wrapped) return InternalError("stored key material is corrupt");
  v.wrapped = std::move(*wrapped);
  return v;
}

json ImportToJson(const ImportParameters& p) {
  return {{"token_sha256", p.token_sha256},
          {"wrapping_algorithm", p.wrapping_algorithm},
          {"wrapped_private_key", Base64Encode(p.wrapped_private_key)},
          {"expires_ms", p.expires_ms}};
}

StatusOr<ImportParameters> ImportFromJson(const json& j) {
  ImportParameters p;
  p.token_sha256 = j.at("token_sha256").get<std::string>();
  p.wrapping_algorithm = j.at("wrapping_algorithm").get<std::string>();
  p.expires_ms = j.at("expires_ms").get<std::int64_t>();
  auto wrapped = Base64Decode(j.at("wrapped_private_key").get<std::string>());
  if (!wrapped) return InternalError("stored import parameters are corrupt");
  p.wrapped_private_key = std::move(*wrapped);
  return p;
}

// Origin EXTERNAL fields, present only on such keys.
void ExternalToJson(const KeyRecord& r, json& j) {
  if (!r.expiration_model.empty()) j["expiration_model"] = r.expiration_model;
  if (r.valid_to_ms) j["valid_to_ms"] = *r.valid_to_ms;
  if (r.import) j["import"] = ImportToJson(*r.import);
  if (!r.imported_material_id.empty()) j["imported_material_id"] = r.imported_material_id;
  if (!r.custom_key_store_id.empty()) j["custom_key_store_id"] = r.custom_key_store_id;
  if (!r.xks_key_id.empty()) j["xks_key_id"] = r.xks_key_id;
}

Status ExternalFromJson(const json& j, KeyRecord& r) {
  r.expiration_model = j.value("expiration_model", "");
  r.imported_material_id = j.value("imported_material_id", "");
  r.custom_key_store_id = j.value("custom_key_store_id", "");
  r.xks_key_id = j.value("xks_key_id", "");
  if (j.contains("valid_to_ms")) r.valid_to_ms = j["valid_to_ms"].get<std::int64_t>();
  if (j.contains("import")) {
    ASSIGN_OR_RETURN(ImportParameters p, ImportFromJson(j["import"]));
    r.import = std::move(p);
  }
  return Status::Ok();
}

}  // namespace

std::string KeyRecord::Arn() const { return KeyArn(region, account, key_id); }

const KeyVersion* KeyRecord::FindVersion(std::string_view id) const {
  for (const auto& v : versions) {
    if (v.id == id) return &v;
  }
  return nullptr;
}

std::string KeyStoreKey(std::string_view region, std::string_view account, std::string_view key_id) {
  std::string out;
  AssignKeyStoreKey(region, account, key_id, out);
  return out;
}

void AssignKeyStoreKey(std::string_view region, std::string_view account, std::string_view key_id,
                       std::string& out) {
  out.clear();
  out.reserve(region.size() + account.size() + key_id.size() + 2);
  out.append(region).append("/").append(account).append("/").append(key_id);
}

std::string MaterialAad(std::string_view key_arn, std::string_view version_id) {
  return "coffer:kms-material:" + std::string(key_arn) + "#" + std::string(version_id);
}

std::string ImportWrappingAad(std::string_view key_arn) {
  return "coffer:kms-import-wrapping-key:" + std::string(key_arn);
}

void DropImportedMaterial(KeyRecord& r) {
  r.versions.clear();
  r.expiration_model.clear();
  r.valid_to_ms.reset();
  if (r.state != kStatePendingDeletion) r.state = std::string(kStatePendingImport);
}

std::string EncodeKeyRecord(const KeyRecord& r) {
  json versions = json::array();
  for (const auto& v : r.versions) versions.push_back(VersionToJson(v));
  json j = {{"key_id", r.key_id},
            {"account", r.account},
            {"region", r.region},
            {"description", r.description},
            {"key_spec", r.key_spec},
            {"key_usage", r.key_usage},
            {"origin", r.origin},
            {"key_manager", r.key_manager},
            {"state", r.state},
            {"created_ms", r.created_ms},
            {"pending_window_days", r.pending_window_days},
            {"policy", r.policy},
            {"tags", r.tags},
            {"rotation_enabled", r.rotation_enabled},
            {"rotation_period_days", r.rotation_period_days},
            {"next_rotation_ms", r.next_rotation_ms},
            {"on_demand_rotations", r.on_demand_rotations},
            {"versions", std::move(versions)}};
  if (r.deletion_ms) j["deletion_ms"] = *r.deletion_ms;
  ExternalToJson(r, j);
  return j.dump();
}

StatusOr<KeyRecord> DecodeKeyRecord(std::string_view text) {
  const json j = json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return InternalError("stored key record is corrupt");
  try {
    KeyRecord r;
    r.key_id = j.at("key_id").get<std::string>();
    r.account = j.at("account").get<std::string>();
    r.region = j.at("region").get<std::string>();
    r.description = j.value("description", "");
    r.key_spec = j.at("key_spec").get<std::string>();
    r.key_usage = j.at("key_usage").get<std::string>();
    r.origin = j.at("origin").get<std::string>();
    r.key_manager = j.at("key_manager").get<std::string>();
    r.state = j.at("state").get<std::string>();
    r.created_ms = j.at("created_ms").get<std::int64_t>();
    if (j.contains("deletion_ms")) r.deletion_ms = j["deletion_ms"].get<std::int64_t>();
    r.pending_window_days = j.value("pending_window_days", 0);
    r.policy = j.value("policy", "");
    r.tags = j.value("tags", std::map<std::string, std::string>{});
    r.rotation_enabled = j.value("rotation_enabled", false);
    r.rotation_period_days = j.value("rotation_period_days", 365);
    r.next_rotation_ms = j.value("next_rotation_ms", std::int64_t{0});
    r.on_demand_rotations = j.value("on_demand_rotations", 0);
    for (const auto& v : j.at("versions")) {
      ASSIGN_OR_RETURN(KeyVersion version, VersionFromJson(v));
      r.versions.push_back(std::move(version));
    }
    RETURN_IF_ERROR(ExternalFromJson(j, r));
    // Only keys with imported material may have none (PendingImport).
    if (r.versions.empty() && r.origin != "EXTERNAL") {
      return InternalError("stored key record has no material");
    }
    return r;
  } catch (const json::exception&) {
    return InternalError("stored key record is corrupt");
  }
}

std::string EncodeAliasRecord(const AliasRecord& r) {
  return json{{"alias_name", r.alias_name},
              {"target_key_id", r.target_key_id},
              {"created_ms", r.created_ms},
              {"updated_ms", r.updated_ms}}
      .dump();
}

StatusOr<AliasRecord> DecodeAliasRecord(std::string_view text) {
  const json j = json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return InternalError("stored alias record is corrupt");
  AliasRecord r;
  r.alias_name = j.value("alias_name", "");
  r.target_key_id = j.value("target_key_id", "");
  r.created_ms = j.value("created_ms", std::int64_t{0});
  r.updated_ms = j.value("updated_ms", std::int64_t{0});
  return r;
}

}  // namespace coffer::kms

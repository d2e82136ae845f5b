#include "secrets/table.h"

#include "common/json_parse.h"

namespace coffer::secrets {
namespace {

constexpr std::string_view kSecrets = "sm_secrets";
constexpr std::string_view kValues = "sm_values";
constexpr std::size_t kScanBatch = 256;

std::string SecretKey(std::string_view account, std::string_view region, std::string_view name) {
  return std::string(account) + "/" + std::string(region) + "/" + std::string(name);
}

std::string ValueKey(std::string_view arn, std::string_view version_id) {
  return std::string(arn) + "|" + std::string(version_id);
}

StatusOr<SecretRecord> Decode(const std::string& text) {
  std::optional<nlohmann::json> j = ParseJson(text);
  if (!j) return InternalError("a stored secret record is not JSON");
  return SecretFromJson(*j);
}

StatusOr<std::vector<SecretRecord>> ScanAll(store::Txn& txn, const std::string& prefix) {
  std::vector<SecretRecord> out;
  std::string after;
  while (true) {
    ASSIGN_OR_RETURN(auto batch, txn.Scan(kSecrets, prefix, after, kScanBatch));
    for (const auto& e : batch) {
      ASSIGN_OR_RETURN(SecretRecord r, Decode(e.value));
      out.push_back(std::move(r));
    }
    if (batch.size() < kScanBatch) return out;
    after = batch.back().key;
  }
}

}  // namespace

StatusOr<std::optional<SecretRecord>> SecretTable::Get(store::Txn& txn, std::string_view account,
                                                       std::string_view region, std::string_view name) {
  ASSIGN_OR_RETURN(auto text, txn.Get(kSecrets, SecretKey(account, region, name)));
  if (!text) return std::optional<SecretRecord>();
  ASSIGN_OR_RETURN(SecretRecord r, Decode(*text));
  return std::optional<SecretRecord>(std::move(r));
}

Status SecretTable::Put(store::Txn& txn, const SecretRecord& record) {
  return txn.Put(kSecrets, SecretKey(record.account, record.region, record.name), ToJson(record).dump());
}

Status SecretTable::Remove(store::Txn& txn, const SecretRecord& record) {
  for (const auto& [id, meta] : record.versions) RETURN_IF_ERROR(DeleteValue(txn, record.arn, id));
  return txn.Delete(kSecrets, SecretKey(record.account, record.region, record.name));
}

StatusOr<std::vector<SecretRecord>> SecretTable::List(store::Txn& txn, std::string_view account,
                                                      std::string_view region) {
  return ScanAll(txn, std::string(account) + "/" + std::string(region) + "/");
}

StatusOr<std::vector<SecretRecord>> SecretTable::All(store::Txn& txn) { return ScanAll(txn, ""); }

StatusOr<std::optional<SealedValue>> SecretTable::GetValue(store::Txn& txn, std::string_view arn,
                                                           std::string_view version_id) {
  ASSIGN_OR_RETURN(auto text, txn.Get(kValues, ValueKey(arn, version_id)));
  if (!text) return std::optional<SealedValue>();
  std::optional<nlohmann::json> j = ParseJson(*text);
  if (!j) return InternalError("a stored secret value is not JSON");
  ASSIGN_OR_RETURN(SealedValue v, SealedFromJson(*j));
  return std::optional<SealedValue>(std::move(v));
}

Status SecretTable::PutValue(store::Txn& txn, std::string_view arn, std::string_view version_id,
                             const SealedValue& value) {
  return txn.Put(kValues, ValueKey(arn, version_id), ToJson(value).dump());
}

Status SecretTable::DeleteValue(store::Txn& txn, std::string_view arn, std::string_view version_id) {
  return txn.Delete(kValues, ValueKey(arn, version_id));
}

}  // namespace coffer::secrets

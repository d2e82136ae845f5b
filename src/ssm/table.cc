#include "ssm/table.h"

#include "common/json_parse.h"

namespace coffer::ssm {
namespace {

constexpr std::string_view kParameters = "ssm_parameters";
constexpr std::string_view kSettings = "ssm_settings";
constexpr std::size_t kScanBatch = 256;

std::string Prefix(std::string_view account, std::string_view region) {
  return std::string(account) + "/" + std::string(region) + "|";
}

StatusOr<ParameterRecord> Decode(const std::string& text) {
  std::optional<nlohmann::json> j = ParseJson(text);
  if (!j) return InternalError("a stored parameter record is not JSON");
  return ParameterFromJson(*j);
}

// Scans `prefix`, calling `each` until it returns false.
template <typename F>
Status ScanEach(store::Txn& txn, const std::string& prefix, std::string after, F each) {
  while (true) {
    ASSIGN_OR_RETURN(auto batch, txn.Scan(kParameters, prefix, after, kScanBatch));
    for (const auto& e : batch) {
      ASSIGN_OR_RETURN(ParameterRecord r, Decode(e.value));
      if (!each(std::move(r))) return Status::Ok();
    }
    if (batch.size() < kScanBatch) return Status::Ok();
    after = batch.back().key;
  }
}

}  // namespace

StatusOr<std::optional<ParameterRecord>> ParameterTable::Get(store::Txn& txn, std::string_view account,
                                                             std::string_view region, std::string_view name) {
  ASSIGN_OR_RETURN(auto text, txn.Get(kParameters, Prefix(account, region) + std::string(name)));
  if (!text) return std::optional<ParameterRecord>();
  ASSIGN_OR_RETURN(ParameterRecord r, Decode(*text));
  return std::optional<ParameterRecord>(std::move(r));
}

Status ParameterTable::Put(store::Txn& txn, const ParameterRecord& record) {
  return txn.Put(kParameters, Prefix(record.account, record.region) + record.name, ToJson(record).dump());
}

Status ParameterTable::Remove(store::Txn& txn, const ParameterRecord& record) {
  return txn.Delete(kParameters, Prefix(record.account, record.region) + record.name);
}

StatusOr<std::vector<ParameterRecord>> ParameterTable::List(store::Txn& txn, std::string_view account,
                                                            std::string_view region, std::string_view prefix,
                                                            std::string_view start_after, std::size_t limit) {
  const std::string base = Prefix(account, region);
  std::vector<ParameterRecord> out;
  std::string after = start_after.empty() ? std::string() : base + std::string(start_after);
  RETURN_IF_ERROR(ScanEach(txn, base + std::string(prefix), after, [&](ParameterRecord r) {
    out.push_back(std::move(r));
    return out.size() < limit;
  }));
  return out;
}

StatusOr<std::size_t> ParameterTable::CountTier(store::Txn& txn, std::string_view account,
                                                std::string_view region, std::string_view tier) {
  std::size_t n = 0;
  RETURN_IF_ERROR(ScanEach(txn, Prefix(account, region), "", [&](ParameterRecord r) {
    if (r.current().tier == tier) ++n;
    return true;
  }));
  return n;
}

StatusOr<std::vector<ParameterRecord>> ParameterTable::All(store::Txn& txn) {
  std::vector<ParameterRecord> out;
  RETURN_IF_ERROR(ScanEach(txn, "", "", [&](ParameterRecord r) {
    out.push_back(std::move(r));
    return true;
  }));
  return out;
}

StatusOr<std::optional<std::string>> ParameterTable::GetSetting(store::Txn& txn, std::string_view account,
                                                                std::string_view region,
                                                                std::string_view id) {
  return txn.Get(kSettings, Prefix(account, region) + std::string(id));
}

Status ParameterTable::PutSetting(store::Txn& txn, std::string_view account, std::string_view region,
                                  std::string_view id, std::string_view json) {
  return txn.Put(kSettings, Prefix(account, region) + std::string(id), json);
}

Status ParameterTable::DeleteSetting(store::Txn& txn, std::string_view account, std::string_view region,
                                     std::string_view id) {
  return txn.Delete(kSettings, Prefix(account, region) + std::string(id));
}

}  // namespace coffer::ssm

// Get/Update/ResetServiceSetting for Parameter Store's two settings: the
// default parameter tier and high throughput.
#include "common/json_parse.h"
#include "ssm/errors.h"
#include "ssm/service.h"
#include "ssm/table.h"

namespace coffer::ssm {
namespace {

constexpr std::string_view kTierSetting = "/ssm/parameter-store/default-parameter-tier";
constexpr std::string_view kThroughputSetting = "/ssm/parameter-store/high-throughput-enabled";

// The setting id `id` names (an id or its ARN), or empty.
std::string SettingOf(const std::string& id) {
  std::string bare = id;
  if (const auto at = id.find(":servicesetting"); id.starts_with("arn:") && at != std::string::npos) {
    bare = id.substr(at + 15);
  }
  if (bare == kTierSetting || bare == kThroughputSetting) return bare;
  return "";
}

std::string DefaultValue(std::string_view id) { return id == kTierSetting ? "Standard" : "false"; }

Status NotFound(const std::string& id) {
  return SsmError("ServiceSettingNotFound", "The service setting " + id + " was not found.");
}

}  // namespace

StatusOr<std::string> ParameterStore::DefaultTier(store::Txn& txn, const Caller& c) {
  ASSIGN_OR_RETURN(auto stored, ParameterTable::GetSetting(txn, c.account, c.region, kTierSetting));
  if (!stored) return std::string("Standard");
  std::optional<Json> j = ParseJson(*stored);
  if (!j) return InternalError("a stored service setting is not JSON");
  return j->value("value", "Standard");
}

bool ParameterStore::HigherThroughput(std::string_view account, std::string_view region) {
  const std::string key = std::string(account) + "/" + std::string(region);
  {
    std::lock_guard lock(throughput_mu_);
    if (auto it = throughput_.find(key); it != throughput_.end()) return it->second;
  }
  auto txn = store_.BeginRead();
  if (!txn.ok()) return false;
  auto stored = ParameterTable::GetSetting(**txn, account, region, kThroughputSetting);
  if (!stored.ok()) return false;
  std::optional<Json> j = stored->has_value() ? ParseJson(**stored) : std::nullopt;
  const bool on = j && j->value("value", "false") == "true";
  std::lock_guard lock(throughput_mu_);
  throughput_[key] = on;
  return on;
}

void ParameterStore::ForgetThroughputSettings() {
  std::lock_guard lock(throughput_mu_);
  throughput_.clear();
}

void ParameterStore::ForgetThroughput(const Caller& c) {
  std::lock_guard lock(throughput_mu_);
  throughput_.erase(c.account + "/" + c.region);
}

StatusOr<Json> ParameterStore::GetServiceSetting(const Caller& c, const Json& req) {
  const std::string given = req.value("SettingId", "");
  const std::string id = SettingOf(given);
  if (id.empty()) return NotFound(given);
  RETURN_IF_ERROR(Authorize(c, "GetServiceSetting", "", nullptr));
  ASSIGN_OR_RETURN(auto txn, store_.BeginRead());
  ASSIGN_OR_RETURN(auto stored, ParameterTable::GetSetting(*txn, c.account, c.region, id));
  RETURN_IF_ERROR(txn->Commit());
  Json setting = {{"SettingId", id},
                  {"ARN", "arn:aws:ssm:" + c.region + ":" + c.account + ":servicesetting" + id},
                  {"SettingValue", DefaultValue(id)},
                  {"Status", "Default"}};
  if (stored) {
    std::optional<Json> j = ParseJson(*stored);
    if (!j) return InternalError("a stored service setting is not JSON");
    setting["SettingValue"] = j->value("value", DefaultValue(id));
    setting["LastModifiedDate"] = j->value("modified", 0.0);
    setting["LastModifiedUser"] = j->value("user", "");
    setting["Status"] = "Customized";
  }
  return Json{{"ServiceSetting", setting}};
}

StatusOr<Json> ParameterStore::UpdateServiceSetting(const Caller& c, const Json& req) {
  const std::string given = req.value("SettingId", "");
  const std::string id = SettingOf(given);
  if (id.empty()) return NotFound(given);
  const std::string value = req.value("SettingValue", "");
  const bool ok = id == kTierSetting
                      ? (value == "Standard" || value == "Advanced" || value == "Intelligent-Tiering")
                      : (value == "true" || value == "false");
  if (!ok) {
    return Invalid("The value " + value + " is not valid for the service setting " + id + ".");
  }
  RETURN_IF_ERROR(Authorize(c, "UpdateServiceSetting", "", nullptr));
  ASSIGN_OR_RETURN(auto txn, store_.BeginWrite());
  const Json stored = {{"value", value}, {"modified", Seconds(NowMs())}, {"user", c.who.caller.arn}};
  RETURN_IF_ERROR(ParameterTable::PutSetting(*txn, c.account, c.region, id, stored.dump()));
  RETURN_IF_ERROR(txn->Commit());
  ForgetThroughput(c);
  return Json::object();
}

StatusOr<Json> ParameterStore::ResetServiceSetting(const Caller& c, const Json& req) {
  const std::string given = req.value("SettingId", "");
  const std::string id = SettingOf(given);
  if (id.empty()) return NotFound(given);
  RETURN_IF_ERROR(Authorize(c, "ResetServiceSetting", "", nullptr));
  ASSIGN_OR_RETURN(auto txn, store_.BeginWrite());
  RETURN_IF_ERROR(ParameterTable::DeleteSetting(*txn, c.account, c.region, id));
  RETURN_IF_ERROR(txn->Commit());
  ForgetThroughput(c);
  return GetServiceSetting(c, req);
}

}  // namespace coffer::ssm

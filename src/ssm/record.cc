#include "ssm/record.h"

namespace coffer::ssm {

using Json = nlohmann::json;

Json ToJson(const ParameterRecord& r) {
  Json versions = Json::array();
  for (const ParameterVersion& v : r.versions) {
    versions.push_back({{"version", v.version},
                        {"value", v.value},
                        {"type", v.type},
                        {"key_id", v.key_id},
                        {"sealing", v.sealing},
                        {"description", v.description},
                        {"allowed_pattern", v.allowed_pattern},
                        {"tier", v.tier},
                        {"data_type", v.data_type},
                        {"policies", v.policies},
                        {"modified_ms", v.modified_ms},
                        {"modified_user", v.modified_user},
                        {"labels", v.labels}});
  }
  return Json{{"account", r.account},  {"region", r.region},   {"name", r.name},
              {"tags", r.tags},        {"versions", versions}, {"last_version", r.last_version},
              {"notified", r.notified}};
}

StatusOr<ParameterRecord> ParameterFromJson(const Json& j) {
  try {
    ParameterRecord r;
    r.account = j.at("account").get<std::string>();
    r.region = j.at("region").get<std::string>();
    r.name = j.at("name").get<std::string>();
    r.tags = j.at("tags").get<std::map<std::string, std::string>>();
    r.last_version = j.at("last_version").get<std::int64_t>();
    r.notified = j.value("notified", std::vector<std::string>{});
    for (const Json& e : j.at("versions")) {
      ParameterVersion v;
      v.version = e.at("version").get<std::int64_t>();
      v.value = e.at("value").get<std::string>();
      v.type = e.at("type").get<std::string>();
      v.key_id = e.at("key_id").get<std::string>();
      v.sealing = e.value("sealing", "");
      v.description = e.at("description").get<std::string>();
      v.allowed_pattern = e.at("allowed_pattern").get<std::string>();
      v.tier = e.at("tier").get<std::string>();
      v.data_type = e.at("data_type").get<std::string>();
      v.policies = e.at("policies").get<std::string>();
      v.modified_ms = e.at("modified_ms").get<std::int64_t>();
      v.modified_user = e.at("modified_user").get<std::string>();
      v.labels = e.at("labels").get<std::vector<std::string>>();
      r.versions.push_back(std::move(v));
    }
    if (r.versions.empty()) return InternalError("a stored parameter has no versions");
    return r;
  } catch (const Json::exception&) {
    return InternalError("a stored parameter record is malformed");
  }
}

}  // namespace coffer::ssm

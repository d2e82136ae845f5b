// LabelParameterVersion and UnlabelParameterVersion: label rules, 10 labels
// per version, a label moving to the version it is put on.
#include <algorithm>

#include "ssm/errors.h"
#include "ssm/names.h"
#include "ssm/service.h"
#include "ssm/table.h"

namespace coffer::ssm {
namespace {

constexpr std::size_t kMaxLabelsPerVersion = 10;

ParameterVersion* Find(ParameterRecord& r, std::int64_t version) {
  for (ParameterVersion& v : r.versions) {
    if (v.version == version) return &v;
  }
  return nullptr;
}

Status VersionNotFound(std::int64_t version, const std::string& name) {
  return SsmError("ParameterVersionNotFound", "Systems Manager could not find version " +
                                                  std::to_string(version) + " of " + name +
                                                  ". Verify the version and try again.");
}

}  // namespace

StatusOr<Json> ParameterStore::LabelParameterVersion(const Caller& c, const Json& req) {
  const std::string name = NameFromId(req.value("Name", ""));
  RETURN_IF_ERROR(CheckName(name));
  RETURN_IF_ERROR(Authorize(c, "LabelParameterVersion", name, nullptr));
  ASSIGN_OR_RETURN(auto txn, store_.BeginWrite());
  ASSIGN_OR_RETURN(auto r, ParameterTable::Get(*txn, c.account, c.region, name));
  if (!r) return ParameterNotFound();
  const std::int64_t version = req.value("ParameterVersion", r->current().version);
  ParameterVersion* target = Find(*r, version);
  if (target == nullptr) return VersionNotFound(version, name);
  Json invalid = Json::array();
  std::vector<std::string> valid;
  for (const Json& l : req.value("Labels", Json::array())) {
    const std::string label = l.get<std::string>();
    if (!ValidLabel(label)) {
      invalid.push_back(label);
    } else if (std::find(valid.begin(), valid.end(), label) == valid.end()) {
      valid.push_back(label);
    }
  }
  for (const std::string& label : valid) {
    if (std::find(target->labels.begin(), target->labels.end(), label) != target->labels.end()) continue;
    if (target->labels.size() >= kMaxLabelsPerVersion) {
      return SsmError(
          "ParameterVersionLabelLimitExceeded",
          "A parameter version can have a maximum of 10 labels. Move one or more labels to another "
          "version and try again.");
    }
    for (ParameterVersion& v : r->versions) std::erase(v.labels, label);
    target->labels.push_back(label);
  }
  RETURN_IF_ERROR(ParameterTable::Put(*txn, *r));
  RETURN_IF_ERROR(txn->Commit());
  return Json{{"InvalidLabels", invalid}, {"ParameterVersion", version}};
}

StatusOr<Json> ParameterStore::UnlabelParameterVersion(const Caller& c, const Json& req) {
  const std::string name = NameFromId(req.value("Name", ""));
  RETURN_IF_ERROR(CheckName(name));
  RETURN_IF_ERROR(Authorize(c, "UnlabelParameterVersion", name, nullptr));
  ASSIGN_OR_RETURN(auto txn, store_.BeginWrite());
  ASSIGN_OR_RETURN(auto r, ParameterTable::Get(*txn, c.account, c.region, name));
  if (!r) return ParameterNotFound();
  const std::int64_t version = req.value("ParameterVersion", std::int64_t{0});
  ParameterVersion* target = Find(*r, version);
  if (target == nullptr) return VersionNotFound(version, name);
  Json removed = Json::array();
  Json invalid = Json::array();
  for (const Json& l : req.value("Labels", Json::array())) {
    const std::string label = l.get<std::string>();
    if (std::erase(target->labels, label) > 0) {
      removed.push_back(label);
    } else {
      invalid.push_back(label);
    }
  }
  RETURN_IF_ERROR(ParameterTable::Put(*txn, *r));
  RETURN_IF_ERROR(txn->Commit());
  return Json{{"RemovedLabels", removed}, {"InvalidLabels", invalid}};
}

}  // namespace coffer::ssm

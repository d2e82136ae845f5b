#include "ssm/filters.h"

#include <algorithm>

#include "ssm/errors.h"

namespace coffer::ssm {
namespace {

bool OneOf(const std::string& v, std::initializer_list<std::string_view> allowed) {
  return std::find(allowed.begin(), allowed.end(), v) != allowed.end();
}

Status BadOption(const std::string& key, const std::string& option) {
  return SsmError("InvalidFilterOption", "The filter option " + option + " is not valid for the key " + key +
                                             ". Valid options for Name are Equals, BeginsWith and Contains; "
                                             "for Path, Recursive and OneLevel; other keys accept Equals.");
}

Status CheckValues(const ParameterFilter& f) {
  auto bad = [&](const std::string& v) {
    return SsmError("InvalidFilterValue",
                    "The filter value " + v + " is not valid for the key " + f.key + ".");
  };
  for (const std::string& v : f.values) {
    if (f.key == "Type" && !OneOf(v, {"String", "StringList", "SecureString"})) return bad(v);
    if (f.key == "Tier" && !OneOf(v, {"Standard", "Advanced", "Intelligent-Tiering"})) return bad(v);
    if (f.key == "DataType" && !OneOf(v, {"text", "aws:ec2:image", "aws:ssm:integration"})) return bad(v);
    if (f.key == "Path" && (v.empty() || v.front() != '/')) return bad(v);
  }
  if (f.values.empty() && !f.key.starts_with("tag:")) {
    return SsmError("InvalidFilterValue", "The filter " + f.key + " needs at least one value.");
  }
  return Status::Ok();
}

bool MatchOne(const ParameterFilter& f, const ParameterRecord& r) {
  const ParameterVersion& v = r.current();
  auto any = [&](auto pred) { return std::any_of(f.values.begin(), f.values.end(), pred); };
  if (f.key == "Name") {
    return any([&](const std::string& x) {
      if (f.option == "BeginsWith") return r.name.starts_with(x);
      if (f.option == "Contains") return r.name.find(x) != std::string::npos;
      return r.name == x;
    });
  }
  if (f.key == "Path") {
    return any([&](const std::string& x) {
      std::string base = x.size() > 1 && x.back() == '/' ? x.substr(0, x.size() - 1) : x;
      const std::string prefix = base == "/" ? "/" : base + "/";
      if (!r.name.starts_with(prefix)) return false;
      return f.option == "Recursive" || r.name.find('/', prefix.size()) == std::string::npos;
    });
  }
  if (f.key == "Type") return any([&](const std::string& x) { return v.type == x; });
  if (f.key == "Tier") return any([&](const std::string& x) { return v.tier == x; });
  if (f.key == "DataType") return any([&](const std::string& x) { return v.data_type == x; });
  if (f.key == "KeyId") {
    const std::string key = v.type != "SecureString" ? "" : (v.key_id.empty() ? "alias/aws/ssm" : v.key_id);
    return any([&](const std::string& x) { return key == x; });
  }
  if (f.key == "Label") {
    return std::any_of(r.versions.begin(), r.versions.end(), [&](const ParameterVersion& pv) {
      return std::any_of(pv.labels.begin(), pv.labels.end(), [&](const std::string& l) {
        return std::find(f.values.begin(), f.values.end(), l) != f.values.end();
      });
    });
  }
  if (f.key.starts_with("tag:")) {
    const auto it = r.tags.find(f.key.substr(4));
    if (it == r.tags.end()) return false;
    return f.values.empty() || any([&](const std::string& x) { return it->second == x; });
  }
  return false;
}

}  // namespace

StatusOr<std::vector<ParameterFilter>> ParseFilters(const nlohmann::json& req, FilterUse use) {
  std::vector<ParameterFilter> out;
  const bool has_old = req.contains("Filters");
  const bool has_new = req.contains("ParameterFilters");
  if (has_old && has_new) {
    return Invalid("You can use either Filters or ParameterFilters in a single request.");
  }
  if (has_old) {
    for (const auto& f : req["Filters"]) {
      ParameterFilter pf;
      pf.key = f.value("Key", "");
      pf.option = pf.key == "Name" ? "BeginsWith" : "Equals";
      pf.values = f.value("Values", std::vector<std::string>{});
      RETURN_IF_ERROR(CheckValues(pf));
      out.push_back(std::move(pf));
    }
    return out;
  }
  for (const auto& f : req.value("ParameterFilters", nlohmann::json::array())) {
    ParameterFilter pf;
    pf.key = f.value("Key", "");
    pf.values = f.value("Values", std::vector<std::string>{});
    const bool tag = pf.key.starts_with("tag:") && pf.key.size() > 4;
    const bool by_path_keys = OneOf(pf.key, {"Type", "KeyId", "Label", "DataType"});
    const bool describe_keys = OneOf(pf.key, {"Name", "Path", "Type", "KeyId", "Tier", "DataType"});
    if (!tag && !(use == FilterUse::kByPath ? by_path_keys : describe_keys)) {
      return SsmError("InvalidFilterKey", "The following filter key is not valid: " + pf.key +
                                              (use == FilterUse::kByPath
                                                   ? ". Valid filter keys include: [Type, KeyId, Label, "
                                                     "DataType, tag:<key>]."
                                                   : ". Valid filter keys include: [Name, Path, Type, KeyId, "
                                                     "Tier, DataType, tag:<key>]."));
    }
    if (std::any_of(out.begin(), out.end(), [&](const ParameterFilter& o) { return o.key == pf.key; })) {
      return Invalid("The following filter is duplicated in the request: " + pf.key +
                     ". A request can contain only one occurrence of a specific filter.");
    }
    pf.option = f.value("Option", pf.key == "Path" ? "OneLevel" : "Equals");
    if (pf.key == "Name") {
      if (!OneOf(pf.option, {"Equals", "BeginsWith", "Contains"})) return BadOption(pf.key, pf.option);
    } else if (pf.key == "Path") {
      if (!OneOf(pf.option, {"Recursive", "OneLevel"})) return BadOption(pf.key, pf.option);
    } else if (pf.option != "Equals") {
      return BadOption(pf.key, pf.option);
    }
    RETURN_IF_ERROR(CheckValues(pf));
    out.push_back(std::move(pf));
  }
  return out;
}

bool Matches(const std::vector<ParameterFilter>& filters, const ParameterRecord& r) {
  return std::all_of(filters.begin(), filters.end(),
                     [&](const ParameterFilter& f) { return MatchOne(f, r); });
}

}  // namespace coffer::ssm

// GetParameter, GetParameters, GetParameterHistory, DeleteParameter(s).
#include <algorithm>
#include <set>

#include "common/encoding.h"
#include "ssm/errors.h"
#include "ssm/names.h"
#include "ssm/policies.h"
#include "ssm/service.h"
#include "ssm/table.h"

namespace coffer::ssm {
namespace {

constexpr std::string_view kReferencePrefix = "/aws/reference/secretsmanager/";

Status VersionNotFound(std::int64_t version, const std::string& name) {
  return SsmError("ParameterVersionNotFound", "Systems Manager could not find version " +
                                                  std::to_string(version) + " of " + name +
                                                  ". Verify the version and try again.");
}

// The version `s` selects, or the error GetParameter answers.
StatusOr<const ParameterVersion*> Select(const ParameterRecord& r, const Selector& s) {
  if (s.version) {
    for (const ParameterVersion& v : r.versions) {
      if (v.version == *s.version) return &v;
    }
    return VersionNotFound(*s.version, r.name);
  }
  if (!s.label.empty()) {
    for (const ParameterVersion& v : r.versions) {
      if (std::find(v.labels.begin(), v.labels.end(), s.label) != v.labels.end()) return &v;
    }
    return ParameterNotFound();
  }
  return &r.current();
}

}  // namespace

Json PoliciesJson(const std::string& text, std::int64_t now_ms) {
  Json out = Json::array();
  if (text.empty()) return out;
  auto parsed = ParsePolicies(text);
  if (!parsed.ok()) return out;
  for (const ParameterPolicy& p : *parsed) {
    const bool finished = p.type == "Expiration" && p.expires_ms <= now_ms;
    out.push_back({{"PolicyText", p.text},
                   {"PolicyType", p.type},
                   {"PolicyStatus", finished ? "Finished" : "Pending"}});
  }
  return out;
}

StatusOr<Json> ParameterStore::Reference(const Caller& c, std::string_view name, std::string_view selector,
                                         bool decrypt) {
  if (!decrypt) {
    return Invalid("WithDecryption flag must be True for retrieving a Secret Manager secret.");
  }
  if (refs_ == nullptr) return ParameterNotFound();
  const std::string_view secret_id = name.substr(kReferencePrefix.size());
  auto resolved = refs_->Resolve(ReferenceCaller{c.who, c.account, c.region}, secret_id, selector);
  if (!resolved.ok()) {
    if (resolved.status().code() == ErrorCode::kNotFound) return ParameterNotFound();
    return resolved.status();
  }
  Json out = {{"Name", std::string(name)},
              {"Type", "SecureString"},
              {"Value", resolved->value},
              {"Version", 0},
              {"SourceResult", resolved->describe.dump()},
              {"LastModifiedDate", Seconds(resolved->created_ms)},
              {"ARN", resolved->arn},
              {"DataType", "text"}};
  if (!selector.empty()) out["Selector"] = ":" + std::string(selector);
  return out;
}

StatusOr<Json> ParameterStore::GetParameter(const Caller& c, const Json& req) {
  const std::string text = req.value("Name", "");
  const bool decrypt = req.value("WithDecryption", false);
  std::optional<Selector> s = ParseSelector(text);
  if (!s) return Invalid("Invalid parameter name or selector: " + text);
  if (s->name.starts_with(kReferencePrefix)) {
    RETURN_IF_ERROR(Authorize(c, "GetParameter", s->name, nullptr));
    ASSIGN_OR_RETURN(Json p, Reference(c, s->name, s->text.empty() ? "" : s->text.substr(1), decrypt));
    return Json{{"Parameter", p}};
  }
  RETURN_IF_ERROR(CheckName(s->name));
  ASSIGN_OR_RETURN(auto txn, store_.BeginRead());
  ASSIGN_OR_RETURN(auto r, ParameterTable::Get(*txn, c.account, c.region, s->name));
  RETURN_IF_ERROR(txn->Commit());
  RETURN_IF_ERROR(Authorize(c, "GetParameter", s->name, r ? &*r : nullptr));
  if (!r) return ParameterNotFound();
  ASSIGN_OR_RETURN(const ParameterVersion* v, Select(*r, *s));
  ASSIGN_OR_RETURN(Json p, Output(c, *r, *v, decrypt, s->text));
  return Json{{"Parameter", p}};
}

StatusOr<Json> ParameterStore::GetParameters(const Caller& c, const Json& req) {
  const bool decrypt = req.value("WithDecryption", false);
  Json params = Json::array();
  Json invalid = Json::array();
  std::set<std::string> seen;
  for (const Json& n : req.value("Names", Json::array())) {
    const std::string text = n.get<std::string>();
    if (!seen.insert(text).second) continue;
    std::optional<Selector> s = ParseSelector(text);
    if (!s || !CheckName(s->name).ok()) {
      invalid.push_back(text);
      continue;
    }
    if (s->name.starts_with(kReferencePrefix)) {
      RETURN_IF_ERROR(Authorize(c, "GetParameters", s->name, nullptr));
      auto p = Reference(c, s->name, s->text.empty() ? "" : s->text.substr(1), decrypt);
      if (!p.ok() && p.status().type() == "ParameterNotFound") {
        invalid.push_back(text);
        continue;
      }
      if (!p.ok()) return p.status();
      params.push_back(*p);
      continue;
    }
    ASSIGN_OR_RETURN(auto txn, store_.BeginRead());
    ASSIGN_OR_RETURN(auto r, ParameterTable::Get(*txn, c.account, c.region, s->name));
    RETURN_IF_ERROR(txn->Commit());
    RETURN_IF_ERROR(Authorize(c, "GetParameters", s->name, r ? &*r : nullptr));
    if (!r) {
      invalid.push_back(text);
      continue;
    }
    auto v = Select(*r, *s);
    if (!v.ok()) {
      invalid.push_back(text);
      continue;
    }
    ASSIGN_OR_RETURN(Json p, Output(c, *r, **v, decrypt, s->text));
    params.push_back(std::move(p));
  }
  return Json{{"Parameters", params}, {"InvalidParameters", invalid}};
}

StatusOr<Json> ParameterStore::GetParameterHistory(const Caller& c, const Json& req) {
  const std::string name = NameFromId(req.value("Name", ""));
  const bool decrypt = req.value("WithDecryption", false);
  const std::size_t max = req.value("MaxResults", 50);
  RETURN_IF_ERROR(CheckName(name));
  ASSIGN_OR_RETURN(auto txn, store_.BeginRead());
  ASSIGN_OR_RETURN(auto r, ParameterTable::Get(*txn, c.account, c.region, name));
  RETURN_IF_ERROR(txn->Commit());
  RETURN_IF_ERROR(Authorize(c, "GetParameterHistory", name, r ? &*r : nullptr));
  if (!r) return ParameterNotFound();
  std::int64_t after = 0;
  if (req.contains("NextToken")) {
    std::optional<Bytes> raw = Base64Decode(req["NextToken"].get<std::string>());
    const std::string t = raw ? std::string(AsChars(*raw)) : "";
    if (!t.starts_with("v:")) return Status(ErrorCode::kInvalidNextToken, "The specified token isn't valid.");
    after = std::atoll(t.c_str() + 2);
  }
  const std::string arn = ParameterArn(r->region, r->account, r->name);
  Json out = Json::array();
  std::string next;
  for (const ParameterVersion& v : r->versions) {
    if (v.version <= after) continue;
    if (out.size() == max) {
      next = Base64Encode(AsBytes("v:" + std::to_string(out.back()["Version"].get<std::int64_t>())));
      break;
    }
    Json e = {{"Name", r->name},
              {"Type", v.type},
              {"LastModifiedDate", Seconds(v.modified_ms)},
              {"LastModifiedUser", v.modified_user},
              {"Version", v.version},
              {"Labels", v.labels},
              {"Tier", v.tier},
              {"Policies", PoliciesJson(v.policies, NowMs())},
              {"DataType", v.data_type}};
    if (v.type == "SecureString") e["KeyId"] = v.key_id.empty() ? "alias/aws/ssm" : v.key_id;
    if (!v.description.empty()) e["Description"] = v.description;
    if (!v.allowed_pattern.empty()) e["AllowedPattern"] = v.allowed_pattern;
    if (v.type == "SecureString" && decrypt) {
      ASSIGN_OR_RETURN(e["Value"], Decrypt(c, v, arn));
    } else {
      e["Value"] = v.value;
    }
    out.push_back(std::move(e));
  }
  Json resp = {{"Parameters", out}};
  if (!next.empty()) resp["NextToken"] = next;
  return resp;
}

StatusOr<Json> ParameterStore::DeleteParameter(const Caller& c, const Json& req) {
  const std::string name = NameFromId(req.value("Name", ""));
  RETURN_IF_ERROR(CheckName(name));
  RETURN_IF_ERROR(Authorize(c, "DeleteParameter", name, nullptr));
  ASSIGN_OR_RETURN(auto txn, store_.BeginWrite());
  ASSIGN_OR_RETURN(auto r, ParameterTable::Get(*txn, c.account, c.region, name));
  if (!r) return ParameterNotFound();
  RETURN_IF_ERROR(ParameterTable::Remove(*txn, *r));
  RETURN_IF_ERROR(txn->Commit());
  return Json::object();
}

StatusOr<Json> ParameterStore::DeleteParameters(const Caller& c, const Json& req) {
  Json deleted = Json::array();
  Json invalid = Json::array();
  std::vector<std::string> names;
  for (const Json& n : req.value("Names", Json::array())) {
    const std::string name = NameFromId(n.get<std::string>());
    if (std::find(names.begin(), names.end(), name) != names.end()) continue;
    RETURN_IF_ERROR(Authorize(c, "DeleteParameters", name, nullptr));
    names.push_back(name);
  }
  ASSIGN_OR_RETURN(auto txn, store_.BeginWrite());
  for (const std::string& name : names) {
    std::optional<ParameterRecord> r;
    if (CheckName(name).ok()) {
      ASSIGN_OR_RETURN(r, ParameterTable::Get(*txn, c.account, c.region, name));
    }
    if (!r) {
      invalid.push_back(name);
      continue;
    }
    RETURN_IF_ERROR(ParameterTable::Remove(*txn, *r));
    deleted.push_back(name);
  }
  RETURN_IF_ERROR(txn->Commit());
  return Json{{"DeletedParameters", deleted}, {"InvalidParameters", invalid}};
}

}  // namespace coffer::ssm

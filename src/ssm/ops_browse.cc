// GetParametersByPath and DescribeParameters: filters and pagination.
#include "common/encoding.h"
#include "ssm/errors.h"
#include "ssm/filters.h"
#include "ssm/names.h"
#include "ssm/service.h"
#include "ssm/table.h"

namespace coffer::ssm {
namespace {

constexpr std::size_t kScan = 256;

Status BadToken() { return Status(ErrorCode::kInvalidNextToken, "The specified token isn't valid."); }

// The last name a page ended at, from NextToken.
StatusOr<std::string> After(const Json& req) {
  if (!req.contains("NextToken")) return std::string();
  std::optional<Bytes> raw = Base64Decode(req["NextToken"].get<std::string>());
  if (!raw) return BadToken();
  std::string t(AsChars(*raw));
  if (!t.starts_with("n:") || t.size() < 3) return BadToken();
  return t.substr(2);
}

std::string Token(const std::string& last_name) { return Base64Encode(AsBytes("n:" + last_name)); }

}  // namespace

StatusOr<Json> ParameterStore::GetParametersByPath(const Caller& c, const Json& req) {
  const std::string path_in = req.value("Path", "");
  RETURN_IF_ERROR(CheckPath(path_in));
  const bool recursive = req.value("Recursive", false);
  const bool decrypt = req.value("WithDecryption", false);
  const std::size_t max = req.value("MaxResults", 10);
  ASSIGN_OR_RETURN(auto filters, ParseFilters(req, FilterUse::kByPath));
  const std::string base =
      path_in.size() > 1 && path_in.back() == '/' ? path_in.substr(0, path_in.size() - 1) : path_in;
  const std::string prefix = base == "/" ? "/" : base + "/";
  RETURN_IF_ERROR(Authorize(c, "GetParametersByPath", base, nullptr));
  ASSIGN_OR_RETURN(std::string after, After(req));

  Json out = Json::array();
  std::string last;
  bool more = false;
  ASSIGN_OR_RETURN(auto txn, store_.BeginRead());
  while (!more) {
    ASSIGN_OR_RETURN(auto batch, ParameterTable::List(*txn, c.account, c.region, prefix, after, kScan));
    for (const ParameterRecord& r : batch) {
      after = r.name;
      if (!recursive && r.name.find('/', prefix.size()) != std::string::npos) continue;
      if (!Matches(filters, r)) continue;
      if (out.size() == max) {
        more = true;
        break;
      }
      ASSIGN_OR_RETURN(Json p, Output(c, r, r.current(), decrypt, ""));
      out.push_back(std::move(p));
      last = r.name;
    }
    if (batch.size() < kScan) break;
  }
  RETURN_IF_ERROR(txn->Commit());
  Json resp = {{"Parameters", out}};
  if (more) resp["NextToken"] = Token(last);
  return resp;
}

StatusOr<Json> ParameterStore::DescribeParameters(const Caller& c, const Json& req) {
  const std::size_t max = req.value("MaxResults", 50);
  ASSIGN_OR_RETURN(auto filters, ParseFilters(req, FilterUse::kDescribe));
  RETURN_IF_ERROR(Authorize(c, "DescribeParameters", "", nullptr));
  ASSIGN_OR_RETURN(std::string after, After(req));
  if (req.value("Shared", false)) return Json{{"Parameters", Json::array()}};

  Json out = Json::array();
  std::string last;
  bool more = false;
  const std::int64_t now = NowMs();
  ASSIGN_OR_RETURN(auto txn, store_.BeginRead());
  while (!more) {
    ASSIGN_OR_RETURN(auto batch, ParameterTable::List(*txn, c.account, c.region, "", after, kScan));
    for (const ParameterRecord& r : batch) {
      after = r.name;
      if (!Matches(filters, r)) continue;
      if (out.size() == max) {
        more = true;
        break;
      }
      const ParameterVersion& v = r.current();
      Json e = {{"Name", r.name},
                {"ARN", ParameterArn(r.region, r.account, r.name)},
                {"Type", v.type},
                {"LastModifiedDate", Seconds(v.modified_ms)},
                {"LastModifiedUser", v.modified_user},
                {"Version", v.version},
                {"Tier", v.tier},
                {"Policies", PoliciesJson(v.policies, now)},
                {"DataType", v.data_type}};
      if (v.type == "SecureString") e["KeyId"] = v.key_id.empty() ? "alias/aws/ssm" : v.key_id;
      if (!v.description.empty()) e["Description"] = v.description;
      if (!v.allowed_pattern.empty()) e["AllowedPattern"] = v.allowed_pattern;
      out.push_back(std::move(e));
      last = r.name;
    }
    if (batch.size() < kScan) break;
  }
  RETURN_IF_ERROR(txn->Commit());
  Json resp = {{"Parameters", out}};
  if (more) resp["NextToken"] = Token(last);
  return resp;
}

}  // namespace coffer::ssm

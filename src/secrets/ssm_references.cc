#include "secrets/ssm_references.h"

#include <cmath>

#include "secrets/ids.h"

namespace coffer::secrets {

StatusOr<ssm::ResolvedSecret> SsmSecretReferences::Resolve(const ssm::ReferenceCaller& caller,
                                                           std::string_view secret_id,
                                                           std::string_view selector) {
  Caller c;
  c.who = caller.who;
  c.account = std::string(caller.account);
  c.region = std::string(caller.region);
  const std::string id(secret_id);
  auto get = [&](const char* field) {
    Json req = {{"SecretId", id}};
    if (field != nullptr) req[field] = std::string(selector);
    return secrets_.Run(c, "GetSecretValue", req);
  };
  // A selector is a version id when the secret has one by that name,
  // otherwise a staging label (AWS accepts either after the colon).
  StatusOr<Json> value = get(selector.empty() ? nullptr : "VersionId");
  if (!selector.empty() && !value.ok() && value.status().code() == ErrorCode::kNotFound) {
    value = get("VersionStage");
  }
  if (!value.ok()) return value.status();
  // SourceResult is the secret's description; the caller's right to read
  // the value covers it (AWS asks for no secretsmanager:DescribeSecret).
  ssm::ResolvedSecret out;
  out.arn = value->value("ARN", "");
  const std::vector<SecretLookup> owner = LookupsFor(out.arn, c.account, c.region);
  if (owner.empty()) return InternalError("a secret's ARN is malformed");
  ASSIGN_OR_RETURN(Json describe, secrets_.Run(SecretsService::ServiceCaller(owner[0].account, c.region),
                                               "DescribeSecret", Json{{"SecretId", out.arn}}));
  out.version_id = value->value("VersionId", "");
  out.value = value->contains("SecretString") ? value->at("SecretString").get<std::string>()
                                              : value->value("SecretBinary", "");
  out.created_ms = std::llround(value->value("CreatedDate", 0.0) * 1000.0);
  out.describe = std::move(describe);
  return out;
}

}  // namespace coffer::secrets

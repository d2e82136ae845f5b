// GetParameter(s) on "/aws/reference/secretsmanager/<secret-id>[:selector]"
// returns a Secrets Manager secret's value. Parameter Store asks this
// interface, which the Secrets Manager module implements (with Secrets
// Manager's own authorization for the caller: secretsmanager:GetSecretValue).
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "common/status_or.h"
#include "policy/identity_source.h"

namespace coffer::ssm {

struct ReferenceCaller {
  const policy::CallerInfo& who;
  std::string_view account;
  std::string_view region;
};

struct ResolvedSecret {
  std::string arn;    // the secret's ARN (the Parameter's ARN)
  std::string value;  // SecretString, or base64 of SecretBinary
  std::string version_id;
  std::int64_t created_ms = 0;  // the version's creation (LastModifiedDate)
  nlohmann::json describe;      // DescribeSecret's output (SourceResult, as text)
};

class SecretReferences {
 public:
  virtual ~SecretReferences() = default;
  // `secret_id`: name or ARN; `selector`: a version id or a staging label
  // (empty: AWSCURRENT). Errors are Secrets Manager's (ResourceNotFound, AccessDenied, ...);
  // Parameter Store turns not-found into ParameterNotFound.
  virtual StatusOr<ResolvedSecret> Resolve(const ReferenceCaller& caller, std::string_view secret_id,
                                           std::string_view selector) = 0;
};

}  // namespace coffer::ssm

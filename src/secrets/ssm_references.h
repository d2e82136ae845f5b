// Parameter Store's view of Secrets Manager: GetParameter(s) on
// "/aws/reference/secretsmanager/<secret-id>[:selector]" resolves here, as the
// caller, through Secrets Manager's own GetSecretValue (its authorization,
// deletion and version rules) and DescribeSecret.
#pragma once

#include "secrets/service.h"
#include "ssm/secret_references.h"

namespace coffer::secrets {

class SsmSecretReferences final : public ssm::SecretReferences {
 public:
  explicit SsmSecretReferences(SecretsService& secrets) : secrets_(secrets) {}

  // `selector`: a version id of the secret, else a staging label; empty is
  // AWSCURRENT.
  StatusOr<ssm::ResolvedSecret> Resolve(const ssm::ReferenceCaller& caller, std::string_view secret_id,
                                        std::string_view selector) override;

 private:
  SecretsService& secrets_;
};

}  // namespace coffer::secrets

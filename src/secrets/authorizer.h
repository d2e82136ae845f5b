// Secrets Manager authorization as AWS decides it: the caller's identity
// policies and the secret's resource policy, combined by the policy engine.
//   - an explicit Deny in either denies;
//   - in the secret's own account, an Allow in either allows (a resource
//     policy naming only the account delegates to identity policies);
//   - from another account, both must allow.
// Condition keys: the global aws:* keys, secretsmanager:SecretId,
// secretsmanager:ResourceTag/<k> (and aws:ResourceTag/<k>), and what the
// operation adds (secretsmanager:VersionStage, aws:RequestTag/<k>, ...).
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "common/clock.h"
#include "policy/identity_source.h"
#include "policy/policy.h"
#include "secrets/record.h"

namespace coffer::secrets {

struct AuthzInput {
  const policy::CallerInfo& who;
  std::string_view action;     // "secretsmanager:GetSecretValue"
  std::string_view secret_id;  // as the caller named it (AccessDenied messages)
  const SecretRecord* secret;  // nullptr: no such secret, or an account-level action
  policy::ContextKeys extra;   // operation-specific keys
};

class SecretsAuthorizer {
 public:
  SecretsAuthorizer(policy::IdentityPolicySource& identities, const Clock& clock)
      : identities_(identities), clock_(clock) {}

  // OK, or AccessDeniedException in AWS's words.
  Status Authorize(AuthzInput input);
  StatusOr<std::shared_ptr<const policy::Policy>> ParsedPolicy(const std::string& text);

 private:
  policy::IdentityPolicySource& identities_;
  const Clock& clock_;
  std::mutex mu_;
  std::unordered_map<std::string, std::shared_ptr<const policy::Policy>> parsed_;
};

// A resource policy's parse (MalformedPolicyDocumentException) and AWS's
// BlockPublicPolicy test: a statement that allows a wildcard principal
// without a condition pinning an account, organization, ARN or network.
StatusOr<policy::Policy> ParseResourcePolicy(std::string_view text);
bool GrantsPublicAccess(const policy::Policy& policy);

}  // namespace coffer::secrets

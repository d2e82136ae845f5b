// Policy simulation (IAM SimulatePrincipalPolicy / SimulateCustomPolicy and
// `coffer policy simulate`): the decision for each (action, resource) with
// the statements that decided it, using the same combination logic as KMS
// authorization (kms/authorizer.h), or for S3 ARNs S3's (s3/bucket_policy.h).
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "iam/identity_store.h"
#include "policy/policy.h"

namespace coffer::iam {

struct SimulationInput {
  std::string principal_arn;  // user/role ARN whose policies apply (empty: none)
  bool use_principal_policies = true;
  std::vector<std::string> extra_policies;     // identity policy documents (PolicyInputList)
  std::optional<std::string> resource_policy;  // e.g. a key policy or a bucket policy
  // The account owning resources whose ARN names none (S3 buckets and
  // objects) and the resource policy; empty: the caller's account.
  std::string resource_owner;
  std::vector<std::string> actions;
  std::vector<std::string> resources;  // empty: "*"
  std::map<std::string, std::vector<std::string>> context;
};

struct SimulationResult {
  std::string action;
  std::string resource;
  policy::Decision decision = policy::Decision::kImplicitDeny;
  std::vector<policy::MatchedStatement> matched;
  std::string reason;  // one line: which policy/statement decided, or that nothing allowed
};

StatusOr<std::vector<SimulationResult>> Simulate(IdentityStore& ids, const SimulationInput& input);

}  // namespace coffer::iam

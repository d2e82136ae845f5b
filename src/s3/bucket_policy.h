// Bucket policies: the checks PutBucketPolicy makes on a document (S3's
// MalformedPolicy messages), what makes a policy "public" for Block Public
// Access, and how S3 combines the bucket policy with the caller's identity
// policies ("How Amazon S3 authorizes a request"). Pure functions over parsed
// policies: S3Service::Authorize gathers the inputs.
#pragma once

#include <cstddef>
#include <memory>
#include <string_view>
#include <vector>

#include "common/status_or.h"
#include "policy/policy.h"
#include "s3/records.h"

namespace coffer::s3 {

// S3's limit on a bucket policy document.
inline constexpr std::size_t kMaxBucketPolicyBytes = 20 * 1024;

// The policy, or MalformedPolicy (400) naming what is wrong: not JSON, over
// 20 KB, a bad principal, an action S3 does not know the shape of, a
// resource outside `bucket`, an action that applies to none of the
// statement's resources.
StatusOr<policy::Policy> ParseBucketPolicy(std::string_view text, std::string_view bucket);

// The bucket's stored policy, parsed (nullptr when it has none). Parses are
// shared through a bounded process-wide cache keyed by bucket and text, so a
// request does not re-parse an unchanged policy.
StatusOr<std::shared_ptr<const policy::Policy>> ParsedPolicyOf(const BucketRecord& bucket);

// AWS's "The meaning of public": some Allow statement grants to "*" (or a
// wildcard principal) without a condition that pins the caller to fixed
// values of aws:SourceIp, aws:SourceArn, aws:SourceVpc(e), aws:SourceOwner,
// aws:SourceAccount, aws:PrincipalOrgID, aws:PrincipalAccount,
// aws:PrincipalArn, aws:userid or s3:x-amz-server-side-encryption-aws-kms-key-id.
bool IsPublicPolicy(const policy::Policy& policy);

// What the documents said about one request.
struct AccessInputs {
  std::string owner_account;              // the bucket's account; empty for account-level actions
  const policy::Policy* bucket_policy{};  // nullptr: the bucket has none
  bool restrict_public = false;           // RestrictPublicBuckets is on
  // The owner account's root may always manage the policy (Put/Get/Delete
  // BucketPolicy) even when the bucket policy denies it.
  bool root_policy_bypass = false;
};

struct AccessDecision {
  policy::Decision decision = policy::Decision::kImplicitDeny;
  std::vector<policy::MatchedStatement> matched;  // every statement that applied
};

// S3's combination: an explicit Deny anywhere wins; a caller of the owner
// account needs an identity Allow or a bucket policy Allow naming it; a
// caller of another account needs both, the bucket policy naming it or its
// account; an anonymous caller needs a bucket policy Allow to "*". With
// RestrictPublicBuckets on and a public policy, the policy grants nothing to
// anonymous and other-account callers.
AccessDecision DecideAccess(const policy::Request& request, const std::vector<policy::Evaluation>& identity,
                            const AccessInputs& inputs);

// True for the three operations whose action the owner root may always use.
bool IsPolicyManagementAction(std::string_view action);

}  // namespace coffer::s3

#include "s3/bucket_policy.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <map>
#include <mutex>

#include "s3/errors.h"

namespace coffer::s3 {
namespace {

Status MalformedPolicy(std::string message) { return S3Error("MalformedPolicy", std::move(message)); }

// The policy engine's grammar errors under the texts S3 answers with.
struct MessageMapping {
  std::string_view engine_prefix;
  std::string_view s3_message;  // empty: the engine's text stays
  bool append_rest = false;     // S3's text is followed by what follows the prefix
};
constexpr std::array<MessageMapping, 8> kMessages = {{
    {"The policy is not valid JSON", "Policies must be valid JSON and the first byte must be '{'"},
    {"Policy contains a statement with one or more invalid principals", "Invalid principal in policy"},
    {"Policy contains a statement with no principal", "Missing required field Principal"},
    {"Policy statement must contain actions", "Missing required field Action"},
    {"Policy statement must contain resources", "Missing required field Resource"},
    {"Actions/Conditions must be prefaced by a vendor", "Policy has invalid action"},
    {"Statement contains an unknown element: ", "Unknown field ", true},
    {"The policy has no Statement", "Missing required field Statement"},
}};

std::string S3MessageFor(std::string_view engine) {
  for (const auto& m : kMessages) {
    if (!engine.starts_with(m.engine_prefix)) continue;
    std::string out(m.s3_message);
    if (m.append_rest) out.append(engine.substr(m.engine_prefix.size()));
    return out;
  }
  return std::string(engine);
}

// The S3 actions whose resource is an object; every other known one is a
// bucket's (or the account's). Wildcard actions are matched against both.
constexpr auto kObjectActions = std::to_array<std::string_view>({
    "s3:GetObject",
    "s3:GetObjectVersion",
    "s3:GetObjectTagging",
    "s3:GetObjectVersionTagging",
    "s3:GetObjectAttributes",
    "s3:GetObjectVersionAttributes",
    "s3:GetObjectAcl",
    "s3:GetObjectVersionAcl",
    "s3:PutObject",
    "s3:PutObjectTagging",
    "s3:PutObjectVersionTagging",
    "s3:PutObjectAcl",
    "s3:PutObjectVersionAcl",
    "s3:DeleteObject",
    "s3:DeleteObjectVersion",
    "s3:DeleteObjectTagging",
    "s3:DeleteObjectVersionTagging",
    "s3:AbortMultipartUpload",
    "s3:ListMultipartUploadParts",
    "s3:RestoreObject",
    "s3:PutObjectRetention",
    "s3:GetObjectRetention",
    "s3:PutObjectLegalHold",
    "s3:GetObjectLegalHold",
    "s3:BypassGovernanceRetention",
    "s3:GetObjectTorrent",
    "s3:ReplicateObject",
    "s3:ReplicateDelete",
    "s3:ReplicateTags",
    "s3:ObjectOwnerOverrideToBucketOwner",
});
constexpr auto kBucketActions = std::to_array<std::string_view>({
    "s3:ListBucket",
    "s3:ListBucketVersions",
    "s3:ListBucketMultipartUploads",
    "s3:CreateBucket",
    "s3:DeleteBucket",
    "s3:GetBucketLocation",
    "s3:GetBucketTagging",
    "s3:PutBucketTagging",
    "s3:GetBucketPolicy",
    "s3:PutBucketPolicy",
    "s3:DeleteBucketPolicy",
    "s3:GetBucketPolicyStatus",
    "s3:GetBucketPublicAccessBlock",
    "s3:PutBucketPublicAccessBlock",
    "s3:GetBucketVersioning",
    "s3:PutBucketVersioning",
    "s3:GetEncryptionConfiguration",
    "s3:PutEncryptionConfiguration",
    "s3:GetBucketAcl",
    "s3:PutBucketAcl",
    "s3:GetBucketCORS",
    "s3:PutBucketCORS",
    "s3:GetLifecycleConfiguration",
    "s3:PutLifecycleConfiguration",
    "s3:GetBucketLogging",
    "s3:PutBucketLogging",
    "s3:GetBucketNotification",
    "s3:PutBucketNotification",
    "s3:GetBucketWebsite",
    "s3:PutBucketWebsite",
    "s3:DeleteBucketWebsite",
    "s3:GetReplicationConfiguration",
    "s3:PutReplicationConfiguration",
    "s3:GetBucketOwnershipControls",
    "s3:PutBucketOwnershipControls",
    "s3:GetBucketObjectLockConfiguration",
    "s3:PutBucketObjectLockConfiguration",
    "s3:GetAccelerateConfiguration",
    "s3:PutAccelerateConfiguration",
    "s3:GetBucketRequestPayment",
    "s3:PutBucketRequestPayment",
    "s3:GetIntelligentTieringConfiguration",
    "s3:PutIntelligentTieringConfiguration",
    "s3:GetMetricsConfiguration",
    "s3:PutMetricsConfiguration",
});

template <std::size_t N>
bool AnyMatches(std::string_view pattern, const std::array<std::string_view, N>& actions) {
  return std::any_of(actions.begin(), actions.end(),
                     [&](std::string_view a) { return policy::WildcardMatch(pattern, a, true); });
}

struct ActionShape {
  bool object = false;
  bool bucket = false;
};

// Which kinds of resource the statement's actions act on; an error for an
// action S3 does not have.
StatusOr<ActionShape> ShapeOf(const policy::Statement& st) {
  ActionShape shape;
  for (const auto& action : st.actions) {
    const bool any = action == "*";
    const bool object = any || AnyMatches(action, kObjectActions);
    const bool bucket = any || AnyMatches(action, kBucketActions);
    if (!object && !bucket) return MalformedPolicy("Policy has invalid action");
    shape.object |= object;
    shape.bucket |= bucket;
  }
  return shape;
}

// A resource of this bucket: the bucket itself or objects under it.
Status CheckResources(const policy::Statement& st, std::string_view bucket, ActionShape shape) {
  const std::string bucket_arn = "arn:aws:s3:::" + std::string(bucket);
  bool object_resource = false;
  bool bucket_resource = false;
  for (const auto& r : st.resources) {
    if (r == bucket_arn) {
      bucket_resource = true;
    } else if (r.size() > bucket_arn.size() && r.starts_with(bucket_arn) && r[bucket_arn.size()] == '/') {
      object_resource = true;
    } else {
      return MalformedPolicy("Policy has invalid resource");
    }
  }
  // NotAction / NotResource name what the statement leaves out: no shape to check.
  if (st.not_action || st.not_resource) return Status::Ok();
  if ((shape.object && object_resource) || (shape.bucket && bucket_resource)) return Status::Ok();
  return MalformedPolicy("Action does not apply to any resource(s) in statement");
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// A condition that pins the caller (or its source) to fixed values.
bool PinsToFixedValues(const policy::Condition& c) {
  static constexpr std::array<std::string_view, 11> kKeys = {
      "aws:sourceip",
      "aws:sourcearn",
      "aws:sourcevpc",
      "aws:sourcevpce",
      "aws:sourceowner",
      "aws:sourceaccount",
      "aws:principalorgid",
      "aws:principalaccount",
      "aws:principalarn",
      "aws:userid",
      "s3:x-amz-server-side-encryption-aws-kms-key-id",
  };
  const std::string key = Lower(c.key);
  if (std::find(kKeys.begin(), kKeys.end(), key) == kKeys.end()) return false;
  if (c.if_exists || c.qualifier == policy::SetQualifier::kForAllValues) return false;
  static constexpr std::array<std::string_view, 5> kFixedOperators = {
      "StringEquals", "StringEqualsIgnoreCase", "ArnEquals", "IpAddress", "StringLike"};
  if (std::find(kFixedOperators.begin(), kFixedOperators.end(), c.op) == kFixedOperators.end()) return false;
  return std::none_of(c.values.begin(), c.values.end(), [&](const std::string& v) {
    return v.find('*') != std::string::npos || v.find('?') != std::string::npos || v == "0.0.0.0/0" ||
           v == "::/0";
  });
}

bool GrantsToEveryone(const policy::Statement& st) {
  if (!st.principal) return false;
  if (st.not_principal) return true;
  if (st.principal->wildcard) return true;
  return std::any_of(st.principal->aws.begin(), st.principal->aws.end(),
                     [](const std::string& p) { return p.find('*') != std::string::npos; });
}

}  // namespace

StatusOr<policy::Policy> ParseBucketPolicy(std::string_view text, std::string_view bucket) {
  if (text.size() > kMaxBucketPolicyBytes) {
    return MalformedPolicy("Policy exceeds the maximum allowed document size");
  }
  const std::size_t first = text.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos || text[first] != '{') {
    return MalformedPolicy("Policies must be valid JSON and the first byte must be '{'");
  }
  StatusOr<policy::Policy> parsed =
      policy::Parse(text, {policy::PolicyKind::kResource, kMaxBucketPolicyBytes});
  if (!parsed.ok()) return MalformedPolicy(S3MessageFor(parsed.status().message()));
  for (const auto& st : parsed->statements) {
    ASSIGN_OR_RETURN(ActionShape shape, ShapeOf(st));
    RETURN_IF_ERROR(CheckResources(st, bucket, shape));
  }
  return parsed;
}

StatusOr<std::shared_ptr<const policy::Policy>> ParsedPolicyOf(const BucketRecord& bucket) {
  if (!bucket.policy) return std::shared_ptr<const policy::Policy>();
  static constexpr std::size_t kMaxCached = 4096;
  static std::mutex mu;
  static std::map<std::string, std::shared_ptr<const policy::Policy>> cache;
  std::string key = bucket.name + '\n' + *bucket.policy;  // bucket names have no newline
  {
    std::lock_guard lock(mu);
    if (auto it = cache.find(key); it != cache.end()) return it->second;
  }
  ASSIGN_OR_RETURN(policy::Policy parsed, ParseBucketPolicy(*bucket.policy, bucket.name));
  auto shared = std::make_shared<const policy::Policy>(std::move(parsed));
  std::lock_guard lock(mu);
  if (cache.size() >= kMaxCached) cache.clear();
  cache.emplace(std::move(key), shared);
  return shared;
}

bool IsPublicPolicy(const policy::Policy& policy) {
  return std::any_of(policy.statements.begin(), policy.statements.end(), [](const policy::Statement& st) {
    return st.effect == policy::Effect::kAllow && GrantsToEveryone(st) &&
           std::none_of(st.conditions.begin(), st.conditions.end(), PinsToFixedValues);
  });
}

bool IsPolicyManagementAction(std::string_view action) {
  return action == "s3:PutBucketPolicy" || action == "s3:GetBucketPolicy" ||
         action == "s3:DeleteBucketPolicy";
}

AccessDecision DecideAccess(const policy::Request& request, const std::vector<policy::Evaluation>& identity,
                            const AccessInputs& inputs) {
  AccessDecision out;
  bool denied = false;
  bool identity_allows = false;
  for (const auto& e : identity) {
    out.matched.insert(out.matched.end(), e.matched.begin(), e.matched.end());
    denied |= e.decision == policy::Decision::kExplicitDeny;
    identity_allows |= e.decision == policy::Decision::kAllow;
  }
  const policy::Caller& caller = request.caller;
  const bool same_account =
      !caller.anonymous && (inputs.owner_account.empty() || caller.account == inputs.owner_account);
  bool policy_allows = false;  // some Allow applies (possibly through the caller's account)
  bool policy_direct = false;  // an Allow names the caller itself (or "*")
  if (inputs.bucket_policy != nullptr) {
    const policy::Evaluation e = policy::Evaluate(*inputs.bucket_policy, request, true, "bucket policy");
    for (const auto& m : e.matched) {
      if (m.effect == policy::Effect::kDeny && inputs.root_policy_bypass) continue;
      out.matched.push_back(m);
      denied |= m.effect == policy::Effect::kDeny;
      policy_allows |= m.effect == policy::Effect::kAllow;
    }
    policy_direct = e.allows_directly;
    if (inputs.restrict_public && !same_account) policy_allows = policy_direct = false;
  }
  bool allowed = false;
  if (caller.anonymous) {
    allowed = policy_direct;
  } else if (same_account) {
    allowed = identity_allows || policy_direct;
  } else {
    allowed = identity_allows && policy_allows;
  }
  out.decision = denied    ? policy::Decision::kExplicitDeny
                 : allowed ? policy::Decision::kAllow
                           : policy::Decision::kImplicitDeny;
  return out;
}

}  // namespace coffer::s3

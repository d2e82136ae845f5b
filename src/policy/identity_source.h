// The caller as authorization sees it, and where its identity-based policies
// come from. Implemented by iam::IdentityStore; read by every service's
// authorizer, so services never depend on the IAM store itself.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "common/status_or.h"
#include "policy/policy.h"

namespace coffer::policy {

struct CallerInfo {
  Caller caller;               // principal matching (ARN, role, account)
  std::string principal_type;  // aws:PrincipalType: "User", "AssumedRole", "Account"
  std::string user_name;       // aws:username (IAM users only)
  std::string user_id;         // aws:userid ("AIDA..." or "AROA...:session")
  std::string access_key_id;
  bool secure_transport = false;  // aws:SecureTransport
  std::string source_ip;          // aws:SourceIp
};

struct NamedPolicy {
  std::string name;  // "user/alice/inline/ReadOnly", "AdministratorAccess", ...
  std::shared_ptr<const Policy> policy;
};

class IdentityPolicySource {
 public:
  virtual ~IdentityPolicySource() = default;
  // Every identity-based policy that applies to the caller: a user's inline,
  // attached and group policies; a role session's role policies.
  virtual StatusOr<std::vector<NamedPolicy>> PoliciesFor(const CallerInfo& who) = 0;
  // Changes on any IAM write (policies, users, keys, groups), so decision
  // caches can tell they are stale.
  virtual std::uint64_t Generation() const = 0;
};

// The identity policy of an account administrator: Allow * on *.
std::shared_ptr<const Policy> AdministratorAccess();

}  // namespace coffer::policy

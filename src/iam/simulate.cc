#include "iam/simulate.h"

namespace coffer::iam {
namespace {

struct Subject {
  policy::CallerInfo who;
  std::vector<policy::NamedPolicy> policies;
};

// The caller the ARN names: an IAM user, a role (as one of its sessions), or
// just an account.
StatusOr<Subject> SubjectFor(IdentityStore& ids, const SimulationInput& in) {
  Subject s;
  const std::string& arn = in.principal_arn;
  const std::size_t acct = std::string_view("arn:aws:iam::").size();
  if (!arn.empty()) {
    if (!arn.starts_with("arn:aws:iam::") || arn.size() < acct + 13) {
      return ValidationError("Invalid ARN " + arn.substr(0, 256) + ": expected an IAM user or role ARN");
    }
    const std::string account = arn.substr(acct, 12);
    const std::string rest = arn.substr(acct + 13);
    s.who.caller = {arn, "", account, "", false};
    if (rest.starts_with("user/")) {
      s.who.user_name = rest.substr(5);
      s.who.principal_type = "User";
    } else if (rest.starts_with("role/")) {
      s.who.caller.role_arn = arn;
      s.who.principal_type = "AssumedRole";
    }
    if (in.use_principal_policies) {
      ASSIGN_OR_RETURN(s.policies, ids.PoliciesFor(s.who));
    }
  }
  for (std::size_t i = 0; i < in.extra_policies.size(); ++i) {
    ASSIGN_OR_RETURN(policy::Policy p,
                     policy::Parse(in.extra_policies[i], {policy::PolicyKind::kIdentity, 131072}));
    s.policies.push_back(
        {"PolicyInputList." + std::to_string(i + 1), std::make_shared<const policy::Policy>(std::move(p))});
  }
  return s;
}

std::string Describe(const policy::MatchedStatement& m) {
  return m.policy_name + " statement " + std::to_string(m.index + 1) +
         (m.sid.empty() ? "" : " (" + m.sid + ")");
}

// Whether the resource policy and identity policies together allow. A KMS
// key policy must allow (directly, or by delegating to the account's IAM
// policies). For S3 ("How Amazon S3 authorizes a request") within the owner
// account either one suffices, the bucket policy naming the caller itself;
// another account needs both.
bool Allowed(const policy::Request& r, const std::optional<policy::Policy>& rp, const policy::Evaluation& rpe,
             bool identity_allows, const std::string& owner) {
  const bool rp_allows = rp && rpe.decision == policy::Decision::kAllow;
  if (!r.resource.starts_with("arn:aws:s3:::")) {
    return rp ? (rp_allows && (rpe.allows_directly || identity_allows)) : identity_allows;
  }
  const bool same_account = owner.empty() || owner == r.caller.account;
  if (same_account) return identity_allows || (rp_allows && rpe.allows_directly);
  return identity_allows && rp_allows;
}

SimulationResult Decide(const Subject& s, const std::optional<policy::Policy>& rp, const policy::Request& r,
                        const std::string& owner) {
  SimulationResult out{r.action, r.resource, policy::Decision::kImplicitDeny, {}, ""};
  bool identity_allows = false;
  for (const auto& named : s.policies) {
    const auto e = policy::Evaluate(*named.policy, r, false, named.name);
    out.matched.insert(out.matched.end(), e.matched.begin(), e.matched.end());
    identity_allows |= e.decision == policy::Decision::kAllow;
  }
  policy::Evaluation rpe;
  if (rp) {
    rpe = policy::Evaluate(*rp, r, true, "resource policy");
    out.matched.insert(out.matched.end(), rpe.matched.begin(), rpe.matched.end());
  }
  for (const auto& m : out.matched) {
    if (m.effect == policy::Effect::kDeny) {
      out.decision = policy::Decision::kExplicitDeny;
      out.reason = "explicitly denied by " + Describe(m);
      return out;
    }
  }
  const bool rp_allows = rp && rpe.decision == policy::Decision::kAllow;
  if (Allowed(r, rp, rpe, identity_allows, owner)) {
    out.decision = policy::Decision::kAllow;
    for (const auto& m : out.matched) out.reason += (out.reason.empty() ? "allowed by " : ", ") + Describe(m);
    return out;
  }
  if (r.resource.starts_with("arn:aws:s3:::") && !owner.empty() && owner != r.caller.account) {
    out.reason =
        "another account's bucket: both the bucket policy and an identity policy must allow " + r.action;
  } else if (rp && !rp_allows) {
    out.reason = "no statement of the resource policy allows " + r.action + " for this principal";
  } else if (rp) {
    out.reason =
        "the resource policy allows only the account (IAM delegation) and no identity policy allows " +
        r.action;
  } else {
    out.reason = "no identity policy allows " + r.action;
  }
  return out;
}

}  // namespace

StatusOr<std::vector<SimulationResult>> Simulate(IdentityStore& ids, const SimulationInput& in) {
  if (in.actions.empty()) return ValidationError("ActionNames must name at least one action");
  ASSIGN_OR_RETURN(Subject subject, SubjectFor(ids, in));
  std::optional<policy::Policy> rp;
  if (in.resource_policy) {
    ASSIGN_OR_RETURN(rp, policy::Parse(*in.resource_policy, {policy::PolicyKind::kResource, 32768}));
  }
  const std::vector<std::string> resources =
      in.resources.empty() ? std::vector<std::string>{"*"} : in.resources;
  std::vector<SimulationResult> out;
  for (const auto& action : in.actions) {
    for (const auto& resource : resources) {
      policy::Request r;
      r.caller = subject.who.caller;
      r.action = action;
      r.resource = resource;
      for (const auto& [k, v] : in.context) r.keys.SetMulti(k, v);
      out.push_back(Decide(subject, rp, r, in.resource_owner));
    }
  }
  return out;
}

}  // namespace coffer::iam

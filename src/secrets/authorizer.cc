#include "secrets/authorizer.h"

#include <algorithm>
#include <array>

#include "policy/global_keys.h"
#include "secrets/errors.h"

namespace coffer::secrets {
namespace {

std::string ResourceFor(const AuthzInput& in) {
  if (in.secret != nullptr) return in.secret->arn;
  return "*";
}

}  // namespace

StatusOr<std::shared_ptr<const policy::Policy>> SecretsAuthorizer::ParsedPolicy(const std::string& text) {
  {
    std::lock_guard lock(mu_);
    if (auto it = parsed_.find(text); it != parsed_.end()) return it->second;
  }
  ASSIGN_OR_RETURN(policy::Policy parsed, ParseResourcePolicy(text));
  auto shared = std::make_shared<const policy::Policy>(std::move(parsed));
  std::lock_guard lock(mu_);
  if (parsed_.size() > 4096) parsed_.clear();
  parsed_.emplace(text, shared);
  return shared;
}

Status SecretsAuthorizer::Authorize(AuthzInput in) {
  policy::Request request;
  request.caller = in.who.caller;
  request.action = std::string(in.action);
  request.resource = ResourceFor(in);
  request.keys = std::move(in.extra);
  policy::AddGlobalKeys(in.who, clock_.Now(), request.keys);
  if (in.secret != nullptr) {
    request.keys.Set("secretsmanager:SecretId", in.secret->arn);
    for (const auto& [k, v] : in.secret->tags) {
      request.keys.Set("secretsmanager:ResourceTag/" + k, v);
      request.keys.Set("aws:ResourceTag/" + k, v);
    }
  }

  bool identity_allows = false;
  bool denied = false;
  std::string deny_where;
  ASSIGN_OR_RETURN(auto policies, identities_.PoliciesFor(in.who));
  for (const auto& named : policies) {
    const policy::Evaluation e = policy::Evaluate(*named.policy, request, false, named.name);
    if (e.decision == policy::Decision::kExplicitDeny) {
      denied = true;
      deny_where = "an identity-based policy";
    }
    if (e.decision == policy::Decision::kAllow) identity_allows = true;
  }
  bool resource_direct = false;
  bool resource_via_account = false;
  if (in.secret != nullptr && !in.secret->policy.empty()) {
    ASSIGN_OR_RETURN(auto parsed, ParsedPolicy(in.secret->policy));
    const policy::Evaluation e = policy::Evaluate(*parsed, request, true, "resource policy");
    if (e.decision == policy::Decision::kExplicitDeny) {
      denied = true;
      deny_where = "a resource-based policy";
    }
    if (e.decision == policy::Decision::kAllow) {
      resource_direct = e.allows_directly;
      resource_via_account = !e.allows_directly;
    }
  }
  const bool same_account = in.secret == nullptr || in.secret->account == in.who.caller.account;
  bool allowed = false;
  if (!denied) {
    allowed = same_account ? (identity_allows || resource_direct)
                           : (identity_allows && (resource_direct || resource_via_account));
  }
  if (allowed) return Status::Ok();
  std::string why;
  if (denied) {
    why = "with an explicit deny in " + deny_where;
  } else if (!same_account && identity_allows) {
    why = "because no resource-based policy allows the " + std::string(in.action) + " action";
  } else {
    why = "because no identity-based policy allows the " + std::string(in.action) + " action";
  }
  const std::string resource = in.secret_id.empty() ? request.resource : std::string(in.secret_id);
  return Status(ErrorCode::kAccessDenied, "User: " + in.who.caller.arn +
                                              " is not authorized to perform: " + std::string(in.action) +
                                              " on resource: " + resource + " " + why);
}

StatusOr<policy::Policy> ParseResourcePolicy(std::string_view text) {
  policy::ParseOptions options;
  options.kind = policy::PolicyKind::kResource;
  options.max_bytes = 20480;  // Secrets Manager's resource policy limit
  auto parsed = policy::Parse(text, options);
  if (!parsed.ok()) return MalformedPolicy(parsed.status().message());
  return std::move(*parsed);
}

bool GrantsPublicAccess(const policy::Policy& policy) {
  // Condition keys that tie a wildcard principal to something specific.
  constexpr std::array<std::string_view, 9> kPinning = {
      "aws:sourceaccount", "aws:sourcearn",  "aws:principalaccount", "aws:principalarn", "aws:principalorgid",
      "aws:sourcevpc",     "aws:sourcevpce", "aws:sourceowner",      "aws:userid"};
  for (const auto& st : policy.statements) {
    if (st.effect != policy::Effect::kAllow || !st.principal) continue;
    const policy::PrincipalSet& p = *st.principal;
    const bool wildcard =
        st.not_principal || p.wildcard || std::find(p.aws.begin(), p.aws.end(), "*") != p.aws.end();
    if (!wildcard) continue;
    bool pinned = false;
    for (const auto& c : st.conditions) {
      std::string key = c.key;
      std::transform(key.begin(), key.end(), key.begin(), [](unsigned char ch) { return std::tolower(ch); });
      const bool specific = std::none_of(c.values.begin(), c.values.end(), [](const std::string& v) {
        return v.find('*') != std::string::npos;
      });
      if (std::find(kPinning.begin(), kPinning.end(), key) != kPinning.end() && specific && !c.if_exists &&
          c.op.find("Not") == std::string::npos) {
        pinned = true;
      }
    }
    if (!pinned) return true;
  }
  return false;
}

}  // namespace coffer::secrets

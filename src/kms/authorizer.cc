#include "kms/authorizer.h"

#include <algorithm>

#include "common/reused.h"
#include "kms/service.h"

namespace coffer::kms {
namespace {

constexpr std::size_t kMaxCachedDecisions = 100000;

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// AWS's AccessDeniedException text for KMS.
Status Denied(const RequestContext& ctx, std::string_view resource, std::string_view reason) {
  return {ErrorCode::kAccessDenied, "User: " + ctx.principal_arn +
                                        " is not authorized to perform: " + ctx.action +
                                        " on resource: " + std::string(resource) + " " + std::string(reason)};
}

std::string NoPolicyAllows(std::string_view kind, std::string_view action) {
  return "because no " + std::string(kind) + "-based policy allows the " + std::string(action) + " action";
}

// The grant's operation list names the action, and its constraints hold
// for the request's encryption context.
bool GrantMatches(const GrantView& g, std::string_view op, const EncryptionContext& context) {
  if (std::find(g.operations.begin(), g.operations.end(), op) == g.operations.end()) return false;
  if (!g.context_equals.empty() && context != g.context_equals) return false;
  for (const auto& [k, v] : g.context_subset) {
    auto it = context.find(k);
    if (it == context.end() || it->second != v) return false;
  }
  return true;
}

EncryptionContext GrantContext(const RequestContext& ctx) {
  if (ctx.request.absent()) return {};
  if (ctx.action == "kms:ReEncryptFrom") return ReadContext(ctx.request, "SourceEncryptionContext");
  if (ctx.action == "kms:ReEncryptTo") return ReadContext(ctx.request, "DestinationEncryptionContext");
  return ReadContext(ctx.request, "EncryptionContext");
}

}  // namespace

bool MentionsTime(const policy::Policy& policy) {
  for (const auto& st : policy.statements) {
    for (const auto& c : st.conditions) {
      const std::string key = Lower(c.key);
      if (key == "aws:currenttime" || key == "aws:epochtime") return true;
    }
  }
  return false;
}

Authorizer::Authorizer(policy::IdentityPolicySource& identities, const Clock& clock)
    : identities_(identities), clock_(clock) {}

std::uint64_t Authorizer::Generation() const {
  return generation_.load(std::memory_order_relaxed) + identities_.Generation();
}

Authorizer::DecisionShard& Authorizer::ShardFor(const std::string& key) {
  return shards_[std::hash<std::string>{}(key) % kShards];
}

StatusOr<std::shared_ptr<const policy::Policy>> Authorizer::ParsedKeyPolicy(const std::string& text) {
  {
    std::lock_guard lock(parsed_mu_);
    if (auto it = parsed_.find(text); it != parsed_.end()) return it->second;
  }
  ASSIGN_OR_RETURN(policy::Policy parsed, policy::Parse(text, {policy::PolicyKind::kResource, 32768}));
  auto shared = std::make_shared<const policy::Policy>(std::move(parsed));
  std::lock_guard lock(parsed_mu_);
  if (parsed_.size() > 10000) parsed_.clear();
  parsed_.emplace(text, shared);
  return shared;
}

bool Authorizer::GrantAllows(const RequestContext& ctx, const KeyRecord& key, const policy::Request& request,
                             std::string* out_grant_id) {
  if (grants_ == nullptr) return false;
  auto grants = grants_->GrantsFor(key);
  if (!grants.ok()) return false;
  const std::string op = ctx.action.substr(ctx.action.find(':') + 1);
  const EncryptionContext context = GrantContext(ctx);
  for (const auto& g : *grants) {
    const bool grantee = g.grantee_principal == request.caller.arn ||
                         (!request.caller.role_arn.empty() && g.grantee_principal == request.caller.role_arn);
    if (grantee && GrantMatches(g, op, context)) {
      *out_grant_id = g.grant_id;
      return true;
    }
  }
  return false;
}

Status Authorizer::AddAliases(const KeyRecord& key, RequestSink& out) {
  if (aliases_ == nullptr) return Status::Ok();
  ASSIGN_OR_RETURN(std::vector<std::string> names, aliases_->AliasesOf(key));
  // A key without aliases has no value for the key: ForAnyValue is false,
  // ForAllValues true, as AWS documents for an empty multi-valued key.
  if (!names.empty())
    out.Keys("kms:ResourceAliases", std::vector<std::string_view>(names.begin(), names.end()));
  return Status::Ok();
}

StatusOr<policy::Request> Authorizer::RequestFor(const RequestContext& ctx, const KeyRecord& key) {
  policy::Request request;
  request.action = ctx.action;
  PolicyRequestSink sink(request);
  FillRequest(ctx, &key, clock_.Now(), sink);
  RETURN_IF_ERROR(AddAliases(key, sink));
  return request;
}

// Everything RequestFor gathers except the time keys (decisions of
// policies that read the time are not cached), plus the key policy text.
Status Authorizer::DecisionKeyFor(const RequestContext& ctx, const KeyRecord& key, std::string& out) {
  DecisionKeySink sink(ctx.action, out);
  FillRequest(ctx, &key, std::nullopt, sink);
  RETURN_IF_ERROR(AddAliases(key, sink));
  sink.Resource(key.policy);
  return Status::Ok();
}

StatusOr<AuthzResult> Authorizer::Explain(const RequestContext& ctx, const KeyRecord& key,
                                          const std::string& policy_text) {
  ASSIGN_OR_RETURN(const policy::Request request, RequestFor(ctx, key));
  return Evaluate(ctx, key, policy_text, request);
}

StatusOr<AuthzResult> Authorizer::Evaluate(const RequestContext& ctx, const KeyRecord& key,
                                           const std::string& policy_text, const policy::Request& request) {
  AuthzResult out;
  ASSIGN_OR_RETURN(auto key_policy, ParsedKeyPolicy(policy_text));
  out.key_policy = policy::Evaluate(*key_policy, request, true, "key policy");
  ASSIGN_OR_RETURN(auto identity, identities_.PoliciesFor(ctx.who));
  for (const auto& named : identity) {
    out.identity.push_back(policy::Evaluate(*named.policy, request, false, named.name));
    out.identity_denies |= out.identity.back().decision == policy::Decision::kExplicitDeny;
    out.identity_allows |= out.identity.back().decision == policy::Decision::kAllow;
  }
  const bool kp_allows = out.key_policy.decision == policy::Decision::kAllow;
  const bool same_account = request.caller.account == key.account;
  if (out.key_policy.decision == policy::Decision::kExplicitDeny || out.identity_denies) return out;
  out.allowed = kp_allows && ((same_account && out.key_policy.allows_directly) || out.identity_allows);
  if (!out.allowed) out.allowed = GrantAllows(ctx, key, request, &out.grant_id);
  return out;
}

Status Authorizer::AuthorizeKey(const RequestContext& ctx, const KeyRecord& key) {
  // Built in the thread's reused buffer: a cached decision allocates nothing.
  struct DecisionKeyTag;
  const Reused<std::string, DecisionKeyTag> reused_key;
  RETURN_IF_ERROR(DecisionKeyFor(ctx, key, *reused_key));
  const std::string& cache_key = *reused_key;
  const std::uint64_t generation = Generation();
  DecisionShard& shard = ShardFor(cache_key);
  {
    std::lock_guard lock(shard.mu);
    auto it = shard.allowed.find(cache_key);
    if (it != shard.allowed.end() && it->second == generation) return Status::Ok();
  }
  ASSIGN_OR_RETURN(const policy::Request request, RequestFor(ctx, key));
  ASSIGN_OR_RETURN(AuthzResult result, Evaluate(ctx, key, key.policy, request));
  const std::string arn = key.Arn();
  if (result.key_policy.decision == policy::Decision::kExplicitDeny) {
    return Denied(ctx, arn, "with an explicit deny in a resource-based policy");
  }
  if (result.identity_denies) return Denied(ctx, arn, "with an explicit deny in an identity-based policy");
  if (!result.allowed) {
    const bool kp_allows = result.key_policy.decision == policy::Decision::kAllow;
    return Denied(ctx, arn, NoPolicyAllows(kp_allows ? "identity" : "resource", ctx.action));
  }
  ASSIGN_OR_RETURN(auto key_policy, ParsedKeyPolicy(key.policy));
  ASSIGN_OR_RETURN(auto identity, identities_.PoliciesFor(ctx.who));
  bool timed = MentionsTime(*key_policy) || !result.grant_id.empty();
  for (const auto& named : identity) timed |= MentionsTime(*named.policy);
  if (!timed) {
    std::lock_guard lock(shard.mu);
    if (shard.allowed.size() > kMaxCachedDecisions / kShards) shard.allowed.clear();
    shard.allowed[cache_key] = generation;
  }
  return Status::Ok();
}

Status Authorizer::AuthorizeAccount(const RequestContext& ctx) {
  const policy::Request request = BuildRequest(ctx, nullptr, clock_.Now());
  ASSIGN_OR_RETURN(auto identity, identities_.PoliciesFor(ctx.who));
  bool allowed = false;
  for (const auto& named : identity) {
    const policy::Evaluation e = policy::Evaluate(*named.policy, request, false, named.name);
    if (e.decision == policy::Decision::kExplicitDeny) {
      return Denied(ctx, "*", "with an explicit deny in an identity-based policy");
    }
    allowed |= e.decision == policy::Decision::kAllow;
  }
  if (!allowed) return Denied(ctx, "*", NoPolicyAllows("identity", ctx.action));
  return Status::Ok();
}

}  // namespace coffer::kms

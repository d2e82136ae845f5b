// SimulatePrincipalPolicy and SimulateCustomPolicy (Query API).
#include "iam/query_util.h"
#include "iam/simulate.h"

namespace coffer::iam::internal {
namespace {

// "Name.member.1", "Name.member.2", ... in order.
std::vector<std::string> Members(const FormParams& p, const std::string& name) {
  std::vector<std::string> out;
  for (int i = 1;; ++i) {
    auto it = p.find(name + ".member." + std::to_string(i));
    if (it == p.end()) return out;
    out.push_back(it->second);
  }
}

std::map<std::string, std::vector<std::string>> ContextEntries(const FormParams& p) {
  std::map<std::string, std::vector<std::string>> out;
  for (int i = 1;; ++i) {
    const std::string base = "ContextEntries.member." + std::to_string(i);
    auto key = p.find(base + ".ContextKeyName");
    if (key == p.end()) return out;
    out[key->second] = Members(p, base + ".ContextKeyValues");
  }
}

std::string_view DecisionText(policy::Decision d) { return policy::DecisionName(d); }

std::string ResultsXml(const std::vector<SimulationResult>& results) {
  std::string out = "<EvaluationResults>";
  for (const auto& r : results) {
    out += "<member><EvalActionName>" + XmlEscape(r.action) + "</EvalActionName><EvalResourceName>" +
           XmlEscape(r.resource) + "</EvalResourceName><EvalDecision>" +
           std::string(DecisionText(r.decision)) + "</EvalDecision><MatchedStatements>";
    for (const auto& m : r.matched) {
      out += "<member><SourcePolicyId>" + XmlEscape(m.policy_name) + "</SourcePolicyId><SourcePolicyType>" +
             (m.policy_name == "resource policy" ? "resource" : "IAM Policy") +
             "</SourcePolicyType><StartPosition><Line>" + std::to_string(m.index + 1) +
             "</Line><Column>1</Column></StartPosition><EndPosition><Line>" + std::to_string(m.index + 1) +
             "</Line><Column>1</Column></EndPosition></member>";
    }
    out += "</MatchedStatements><MissingContextValues/></member>";
  }
  return out + "</EvaluationResults><IsTruncated>false</IsTruncated>";
}

SimulationInput CommonInput(const FormParams& p) {
  SimulationInput in;
  in.actions = Members(p, "ActionNames");
  in.resources = Members(p, "ResourceArns");
  in.context = ContextEntries(p);
  in.extra_policies = Members(p, "PolicyInputList");
  if (auto rp = p.find("ResourcePolicy"); rp != p.end()) in.resource_policy = rp->second;
  // ResourceOwner: "arn:aws:iam::<account>:root" (or the bare account id).
  if (auto owner = p.find("ResourceOwner"); owner != p.end()) {
    const std::string& v = owner->second;
    in.resource_owner = v.starts_with("arn:aws:iam::") && v.size() >= 25 ? v.substr(13, 12) : v;
  }
  return in;
}

}  // namespace

StatusOr<std::string> SimulatePrincipalPolicy(IdentityStore& ids, const QueryContext& ctx,
                                              const FormParams& p) {
  ASSIGN_OR_RETURN(std::string source, Required(p, "PolicySourceArn"));
  RETURN_IF_ERROR(Authorize(ids, ctx, "iam:SimulatePrincipalPolicy", source));
  if (!source.starts_with("arn:aws:iam::" + ctx.principal.account_id + ":")) {
    return NotFoundError("The principal " + source.substr(0, 256) + " cannot be found in this account.");
  }
  SimulationInput in = CommonInput(p);
  in.principal_arn = source;
  ASSIGN_OR_RETURN(auto results, Simulate(ids, in));
  return ResultsXml(results);
}

StatusOr<std::string> SimulateCustomPolicy(IdentityStore& ids, const QueryContext& ctx, const FormParams& p) {
  RETURN_IF_ERROR(Authorize(ids, ctx, "iam:SimulateCustomPolicy", "*"));
  SimulationInput in = CommonInput(p);
  if (in.extra_policies.empty()) {
    return ValidationError(
        "1 validation error detected: Value null at 'policyInputList' failed to satisfy "
        "constraint: Member must not be null");
  }
  in.principal_arn = Param(p, "CallerArn");
  in.use_principal_policies = false;
  ASSIGN_OR_RETURN(auto results, Simulate(ids, in));
  return ResultsXml(results);
}

}  // namespace coffer::iam::internal

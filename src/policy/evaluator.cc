// Evaluation of one policy document against a request, following the IAM
// reference ("Policy evaluation logic", "Condition operators", "Condition"):
// an explicit Deny wins, an Allow allows, nothing applying is an implicit deny.
// Missing keys: a plain operator is false, a negated one true; ...IfExists is
// true; Null tests presence; ForAnyValue is false and ForAllValues true on a
// missing or empty key (IfExists first: a missing key is then true).
#include <algorithm>
#include <cctype>

#include "policy/operators.h"
#include "policy/policy.h"

namespace coffer::policy {
namespace {

using internal::OperatorInfo;

// ASCII only, as std::tolower in the "C" locale the server runs in.
std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

// In a substituted Like pattern, text that came from a variable matches
// literally: its '*' and '?' are replaced by these markers.
constexpr char kLiteralStar = '\x01';
constexpr char kLiteralQuestion = '\x02';

std::string Literal(std::string text) {
  for (char& c : text) c = c == '*' ? kLiteralStar : c == '?' ? kLiteralQuestion : c;
  return text;
}

// One ${...} body: "aws:username" or "aws:username, 'default'" or * ? $.
std::optional<std::string> ResolveVariable(std::string_view body, const ContextKeys& keys) {
  if (body == "*" || body == "?" || body == "$") return std::string(body);
  std::optional<std::string> fallback;
  if (const std::size_t comma = body.find(','); comma != std::string_view::npos) {
    std::string_view def = body.substr(comma + 1);
    while (!def.empty() && def.front() == ' ') def.remove_prefix(1);
    if (def.size() < 2 || def.front() != '\'' || def.back() != '\'') return std::nullopt;
    fallback = std::string(def.substr(1, def.size() - 2));
    body = body.substr(0, comma);
    while (!body.empty() && body.back() == ' ') body.remove_suffix(1);
  }
  const auto* values = keys.Find(body);
  if (values != nullptr && values->size() == 1) return values->front();
  return fallback;
}

// Replaces policy variables; nullopt when one cannot be resolved (the
// element then matches nothing, as on AWS). For a Like pattern, substituted
// text (also ${*} and ${?}) stays literal.
std::optional<std::string> Substitute(std::string_view text, const ContextKeys& keys, bool pattern) {
  std::string out;
  std::size_t pos = 0;
  while (pos < text.size()) {
    const std::size_t open = text.find("${", pos);
    if (open == std::string_view::npos) break;
    const std::size_t close = text.find('}', open + 2);
    if (close == std::string_view::npos) break;
    out.append(text.substr(pos, open - pos));
    auto value = ResolveVariable(text.substr(open + 2, close - open - 2), keys);
    if (!value) return std::nullopt;
    out += pattern ? Literal(std::move(*value)) : *value;
    pos = close + 1;
  }
  out.append(text.substr(pos));
  return out;
}

bool IsPattern(const OperatorInfo& op) {
  return op.family == internal::OpFamily::kStringLike || op.family == internal::OpFamily::kArn;
}

bool SupportsVariables(const OperatorInfo& op) {
  using internal::OpFamily;
  return op.family == OpFamily::kString || op.family == OpFamily::kStringIgnoreCase ||
         op.family == OpFamily::kStringLike || op.family == OpFamily::kArn;
}

// Does one request value match any of the policy's values (positive form)?
bool MatchesAny(const OperatorInfo& op, std::string_view value, const Condition& c, const Request& r,
                bool variables) {
  for (const auto& pv : c.values) {
    if (variables && SupportsVariables(op) && pv.find("${") != std::string::npos) {
      auto resolved = Substitute(pv, r.keys, IsPattern(op));
      if (resolved && internal::CompareOne(op, value, *resolved)) return true;
      continue;
    }
    if (internal::CompareOne(op, value, pv)) return true;
  }
  return false;
}

bool NullCondition(const Condition& c, const std::vector<std::string>* values) {
  const bool absent = values == nullptr || values->empty();
  return std::any_of(c.values.begin(), c.values.end(),
                     [&](const std::string& v) { return (Lower(v) == "true") == absent; });
}

bool ConditionHolds(const Condition& c, const Request& r, bool variables) {
  const OperatorInfo& op = *internal::FindOperator(c.op);
  const std::vector<std::string>* values = r.keys.Find(c.key);
  if (op.family == internal::OpFamily::kNull) return NullCondition(c, values);
  const bool missing = values == nullptr || values->empty();
  // For each request value: does the operator (with its negation) hold?
  auto holds = [&](const std::string& v) { return MatchesAny(op, v, c, r, variables) != op.negated; };
  if (missing && c.if_exists) return true;  // "If the key is not present, evaluate ... as true"
  switch (c.qualifier) {
    case SetQualifier::kForAllValues:
      return missing || std::all_of(values->begin(), values->end(), holds);
    case SetQualifier::kForAnyValue:
      return !missing && std::any_of(values->begin(), values->end(), holds);
    case SetQualifier::kNone:
      break;
  }
  if (missing) return c.if_exists || op.negated;
  // A single-valued operator on a multi-valued key: a plain operator holds
  // when some value matches, a negated one when none does.
  const bool any = std::any_of(values->begin(), values->end(),
                               [&](const std::string& v) { return MatchesAny(op, v, c, r, variables); });
  return any != op.negated;
}

enum class PrincipalMatch { kNone, kAccount, kDirect };

PrincipalMatch MatchAwsPrincipal(std::string_view p, const Caller& caller) {
  if (p == "*") return PrincipalMatch::kDirect;
  if (caller.anonymous || caller.account.empty()) return PrincipalMatch::kNone;
  const std::string root = "arn:aws:iam::" + caller.account + ":root";
  if (p == caller.account || p == root) {
    return caller.arn == root ? PrincipalMatch::kDirect : PrincipalMatch::kAccount;
  }
  if (p == caller.arn || (!caller.role_arn.empty() && p == caller.role_arn)) return PrincipalMatch::kDirect;
  return PrincipalMatch::kNone;
}

PrincipalMatch MatchPrincipal(const PrincipalSet& set, const Caller& caller) {
  if (set.wildcard) return PrincipalMatch::kDirect;
  PrincipalMatch best = PrincipalMatch::kNone;
  for (const auto& p : set.aws) best = std::max(best, MatchAwsPrincipal(p, caller));
  if (!caller.service.empty() &&
      std::find(set.services.begin(), set.services.end(), caller.service) != set.services.end()) {
    best = PrincipalMatch::kDirect;
  }
  return best;
}

bool ActionMatches(const Statement& st, std::string_view action) {
  const bool any = std::any_of(st.actions.begin(), st.actions.end(),
                               [&](const std::string& p) { return WildcardMatch(p, action, true); });
  return any != st.not_action;
}

bool ResourceMatches(const Statement& st, const Request& r, bool variables) {
  if (st.resources.empty()) return true;  // trust policies have no Resource
  const bool any = std::any_of(st.resources.begin(), st.resources.end(), [&](const std::string& p) {
    if (!variables || p.find("${") == std::string::npos) return WildcardMatch(p, r.resource, false);
    auto resolved = Substitute(p, r.keys, /*pattern=*/true);
    return resolved && WildcardMatch(*resolved, r.resource, false);
  });
  return any != st.not_resource;
}

// kNone when the statement does not apply; otherwise how the principal matched.
PrincipalMatch Applies(const Statement& st, const Request& r, bool check_principal, bool variables) {
  PrincipalMatch how = PrincipalMatch::kDirect;
  if (check_principal) {
    if (!st.principal) return PrincipalMatch::kNone;
    how = MatchPrincipal(*st.principal, r.caller);
    if (st.not_principal)
      how = how == PrincipalMatch::kNone ? PrincipalMatch::kDirect : PrincipalMatch::kNone;
    if (how == PrincipalMatch::kNone) return how;
  }
  if (!ActionMatches(st, r.action) || !ResourceMatches(st, r, variables)) return PrincipalMatch::kNone;
  for (const auto& c : st.conditions) {
    if (!ConditionHolds(c, r, variables)) return PrincipalMatch::kNone;
  }
  return how;
}

}  // namespace

void ContextKeys::Set(std::string_view key, std::string value) {
  auto& values = keys_[Lower(key)];
  values.clear();
  values.push_back(std::move(value));  // no initializer_list: that would copy `value`
}
void ContextKeys::SetMulti(std::string_view key, std::vector<std::string> values) {
  keys_[Lower(key)] = std::move(values);
}
void ContextKeys::Erase(std::string_view key) { keys_.erase(Lower(key)); }
const std::vector<std::string>* ContextKeys::Find(std::string_view key) const {
  auto it = keys_.find(Lower(key));
  return it == keys_.end() ? nullptr : &it->second;
}

std::string_view DecisionName(Decision d) {
  switch (d) {
    case Decision::kAllow:
      return "allowed";
    case Decision::kExplicitDeny:
      return "explicitDeny";
    case Decision::kImplicitDeny:
      return "implicitDeny";
  }
  return "implicitDeny";
}

bool WildcardMatch(std::string_view pattern, std::string_view text, bool ignore_case) {
  auto eq = [ignore_case](char a, char b) {
    a = a == kLiteralStar ? '*' : a == kLiteralQuestion ? '?' : a;  // literal from a policy variable
    if (!ignore_case) return a == b;
    return std::tolower(static_cast<unsigned char>(a)) == std::tolower(static_cast<unsigned char>(b));
  };
  std::size_t p = 0, t = 0, star = std::string_view::npos, mark = 0;
  while (t < text.size()) {
    if (p < pattern.size() && (pattern[p] == '?' || (pattern[p] != '*' && eq(pattern[p], text[t])))) {
      ++p;
      ++t;
    } else if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      mark = t;
    } else if (star != std::string_view::npos) {
      p = star + 1;
      t = ++mark;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

Evaluation Evaluate(const Policy& policy, const Request& request, bool check_principal,
                    std::string_view policy_name) {
  Evaluation out;
  const bool variables = policy.version == "2012-10-17";
  bool allowed = false, denied = false;
  for (std::size_t i = 0; i < policy.statements.size(); ++i) {
    const Statement& st = policy.statements[i];
    const PrincipalMatch how = Applies(st, request, check_principal, variables);
    if (how == PrincipalMatch::kNone) continue;
    out.matched.push_back({std::string(policy_name), i, st.sid, st.effect, how == PrincipalMatch::kAccount});
    if (st.effect == Effect::kDeny) {
      denied = true;
    } else {
      allowed = true;
      if (how == PrincipalMatch::kDirect) out.allows_directly = true;
    }
  }
  out.decision = denied ? Decision::kExplicitDeny : allowed ? Decision::kAllow : Decision::kImplicitDeny;
  return out;
}

}  // namespace coffer::policy

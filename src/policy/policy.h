// The IAM policy language, shared by every service: a parsed document
// (Policy), the request it is judged against (Request) and AWS's evaluation
// of one document (Evaluate). Combining several documents (key policy +
// identity policies + grants) is the caller's job; see kms/authorizer.h.
#pragma once

#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status_or.h"

namespace coffer::policy {

enum class Effect { kAllow, kDeny };
enum class SetQualifier { kNone, kForAnyValue, kForAllValues };

// One (operator, key) pair of a Condition block, e.g.
// "ForAnyValue:StringLikeIfExists": {"aws:TagKeys": ["a*", "b"]}.
struct Condition {
  std::string op;  // base operator without qualifier or IfExists: "StringLike"
  SetQualifier qualifier = SetQualifier::kNone;
  bool if_exists = false;
  std::string key;                  // as written in the policy
  std::vector<std::string> values;  // JSON scalars as text ("true", "42")
};

// The Principal or NotPrincipal element. `wildcard` is the bare "*".
struct PrincipalSet {
  bool wildcard = false;
  std::vector<std::string> aws;  // "*", account ids, root/user/role ARNs
  std::vector<std::string> services;
  std::vector<std::string> federated;
};

struct Statement {
  std::string sid;
  Effect effect = Effect::kAllow;
  std::optional<PrincipalSet> principal;  // Principal or NotPrincipal
  bool not_principal = false;
  std::vector<std::string> actions;
  bool not_action = false;
  std::vector<std::string> resources;  // empty when the element is absent
  bool not_resource = false;
  std::vector<Condition> conditions;  // AND of all
};

struct Policy {
  std::string version;  // "2012-10-17" or "2008-10-17" (policy variables only in the first)
  std::string id;
  std::vector<Statement> statements;
};

// Which document is parsed decides which elements are required/prohibited.
enum class PolicyKind {
  kIdentity,  // IAM user/role/group policies: no Principal, Resource required
  kResource,  // key policies: Principal required
  kTrust,     // role trust policies: Principal required, no Resource
  kAny,       // simulation input: no element rules beyond the grammar
};

struct ParseOptions {
  PolicyKind kind = PolicyKind::kAny;
  std::size_t max_bytes = 32768;
};

// MalformedPolicyDocument with a message saying what is wrong, or the policy.
StatusOr<Policy> Parse(std::string_view text, const ParseOptions& options);

// Condition context keys of a request. Key names are case-insensitive (as on
// AWS); values are case-sensitive. Every key may hold several values.
class ContextKeys {
 public:
  void Set(std::string_view key, std::string value);
  void SetMulti(std::string_view key, std::vector<std::string> values);
  void Erase(std::string_view key);
  // nullptr when the key is absent from the request.
  const std::vector<std::string>* Find(std::string_view key) const;
  const std::map<std::string, std::vector<std::string>>& all() const { return keys_; }

 private:
  std::map<std::string, std::vector<std::string>> keys_;  // lower-case key -> values
};

// The caller as principal matching sees it.
struct Caller {
  std::string arn;         // user ARN, assumed-role session ARN, or account root ARN
  std::string role_arn;    // for role sessions: the role, which Principal elements name
  std::string account;     // 12 digits
  std::string service;     // a service principal ("ec2.amazonaws.com"), else empty
  bool anonymous = false;  // unsigned request: matches only "*"
};

struct Request {
  Caller caller;
  std::string action;    // "kms:Encrypt"
  std::string resource;  // ARN
  ContextKeys keys;
};

enum class Decision { kAllow, kExplicitDeny, kImplicitDeny };
std::string_view DecisionName(Decision d);  // "allowed", "explicitDeny", "implicitDeny"

// A statement that applied to the request.
struct MatchedStatement {
  std::string policy_name;
  std::size_t index = 0;  // position in the Statement list
  std::string sid;
  Effect effect = Effect::kAllow;
  bool via_account = false;  // Principal matched only through the caller's account
};

struct Evaluation {
  Decision decision = Decision::kImplicitDeny;
  std::vector<MatchedStatement> matched;  // every applying statement, in order
  // For resource policies: an Allow applied that names the caller (or "*")
  // itself, not only its account. Account-only allows delegate to IAM.
  bool allows_directly = false;
};

// Evaluates one document. `check_principal` is true for resource and trust
// policies (statements apply only to the principals they name).
Evaluation Evaluate(const Policy& policy, const Request& request, bool check_principal,
                    std::string_view policy_name);

// Wildcard match (`*` any run, `?` one character).
bool WildcardMatch(std::string_view pattern, std::string_view text, bool ignore_case);

}  // namespace coffer::policy

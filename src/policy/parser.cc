// The policy grammar, element by element, each with the check that rejects
// it. Messages follow IAM's and KMS's MalformedPolicyDocumentException texts
// where they are known, and name the element otherwise.
#include <nlohmann/json.hpp>

#include "policy/identity_source.h"
#include "policy/operators.h"
#include "policy/policy.h"

namespace coffer::policy {
namespace {

using nlohmann::json;

Status Malformed(std::string message) { return {ErrorCode::kMalformedPolicyDocument, std::move(message)}; }

// A string or a non-empty array of strings.
StatusOr<std::vector<std::string>> StringList(const json& value, std::string_view element) {
  std::vector<std::string> out;
  if (value.is_string()) {
    out.push_back(value.get<std::string>());
  } else if (value.is_array() && !value.empty()) {
    for (const auto& v : value) {
      if (!v.is_string()) return Malformed("Each " + std::string(element) + " value must be a string");
      out.push_back(v.get<std::string>());
    }
  } else {
    return Malformed("The " + std::string(element) + " element must be a string or a non-empty list");
  }
  return out;
}

bool ValidAction(std::string_view action) {
  if (action == "*") return true;
  const std::size_t colon = action.find(':');
  if (colon == 0 || colon == std::string_view::npos || colon + 1 == action.size()) return false;
  for (char c : action.substr(0, colon)) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-') return false;
  }
  return true;
}

bool AllDigits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// "*", a 12-digit account id, or an IAM/STS ARN of an account, user or role.
bool ValidAwsPrincipal(std::string_view p) {
  if (p == "*") return true;
  if (p.size() == 12 && AllDigits(p)) return true;
  for (std::string_view prefix : {"arn:aws:iam::", "arn:aws:sts::"}) {
    if (!p.starts_with(prefix)) continue;
    std::string_view rest = p.substr(prefix.size());
    if (rest.size() < 14 || !AllDigits(rest.substr(0, 12)) || rest[12] != ':') return false;
    rest.remove_prefix(13);
    return rest == "root" || (rest.size() > 5 && (rest.starts_with("user/") || rest.starts_with("role/"))) ||
           (rest.size() > 13 && rest.starts_with("assumed-role/"));
  }
  return false;
}

StatusOr<PrincipalSet> ParsePrincipal(const json& value) {
  const Status invalid = Malformed("Policy contains a statement with one or more invalid principals.");
  PrincipalSet out;
  if (value.is_string()) {
    if (value.get<std::string>() != "*") return invalid;
    out.wildcard = true;
    return out;
  }
  if (!value.is_object() || value.empty()) return invalid;
  for (const auto& [type, ids] : value.items()) {
    auto list = StringList(ids, "Principal");
    if (!list.ok()) return invalid;
    if (type == "AWS") {
      for (const auto& p : *list) {
        if (!ValidAwsPrincipal(p)) return invalid;
      }
      out.aws = std::move(*list);
    } else if (type == "Service") {
      out.services = std::move(*list);
    } else if (type == "Federated" || type == "CanonicalUser") {
      out.federated = std::move(*list);
    } else {
      return invalid;
    }
  }
  return out;
}

// "ForAnyValue:StringLikeIfExists" -> qualifier, base operator, IfExists.
Status SplitOperator(std::string_view name, Condition& out) {
  std::string_view rest = name;
  if (rest.starts_with("ForAnyValue:")) {
    out.qualifier = SetQualifier::kForAnyValue;
    rest.remove_prefix(12);
  } else if (rest.starts_with("ForAllValues:")) {
    out.qualifier = SetQualifier::kForAllValues;
    rest.remove_prefix(13);
  }
  if (rest.ends_with("IfExists") && rest != "IfExists") {
    out.if_exists = true;
    rest.remove_suffix(8);
  }
  const internal::OperatorInfo* op = internal::FindOperator(rest);
  if (op == nullptr || (op->family == internal::OpFamily::kNull && out.if_exists)) {
    return Malformed("Invalid condition operator: " + std::string(name.substr(0, 64)));
  }
  out.op = std::string(rest);
  return Status::Ok();
}

StatusOr<std::vector<std::string>> ConditionValues(const json& value) {
  std::vector<std::string> out;
  auto add = [&](const json& v) -> Status {
    if (v.is_string()) {
      out.push_back(v.get<std::string>());
    } else if (v.is_boolean()) {
      out.emplace_back(v.get<bool>() ? "true" : "false");
    } else if (v.is_number()) {
      out.push_back(v.dump());
    } else {
      return Malformed("Condition values must be strings, numbers or booleans");
    }
    return Status::Ok();
  };
  if (value.is_array()) {
    if (value.empty()) return Malformed("A condition key has an empty list of values");
    for (const auto& v : value) RETURN_IF_ERROR(add(v));
  } else {
    RETURN_IF_ERROR(add(value));
  }
  return out;
}

StatusOr<std::vector<Condition>> ParseConditions(const json& block) {
  if (!block.is_object()) return Malformed("The Condition element must be an object");
  std::vector<Condition> out;
  for (const auto& [op_name, keys] : block.items()) {
    Condition proto;
    RETURN_IF_ERROR(SplitOperator(op_name, proto));
    if (!keys.is_object() || keys.empty()) {
      return Malformed("Condition operator " + op_name.substr(0, 64) + " must map condition keys to values");
    }
    const auto family = internal::FindOperator(proto.op)->family;
    for (const auto& [key, values] : keys.items()) {
      if (key.empty() || key.size() > 256) return Malformed("A condition key is empty or too long");
      Condition c = proto;
      c.key = key;
      ASSIGN_OR_RETURN(c.values, ConditionValues(values));
      for (const auto& v : c.values) {
        if (!internal::ValidPolicyValue(family, v)) {
          return Malformed("Invalid value for condition operator " + op_name.substr(0, 64) + " on key " +
                           key.substr(0, 128));
        }
      }
      out.push_back(std::move(c));
    }
  }
  return out;
}

// One of `name` / `Not<name>`, never both. Returns the element or nullptr.
StatusOr<const json*> Exclusive(const json& st, const std::string& name, bool* out_not) {
  const auto plain = st.find(name);
  const auto negated = st.find("Not" + name);
  if (plain != st.end() && negated != st.end()) {
    return Malformed("A statement cannot have both " + name + " and Not" + name);
  }
  *out_not = negated != st.end();
  if (plain != st.end()) return &*plain;
  if (negated != st.end()) return &*negated;
  return static_cast<const json*>(nullptr);
}

Status CheckKnownFields(const json& st) {
  static const std::vector<std::string> kFields = {"Sid",          "Effect",      "Principal",
                                                   "NotPrincipal", "Action",      "NotAction",
                                                   "Resource",     "NotResource", "Condition"};
  for (const auto& [k, v] : st.items()) {
    if (std::find(kFields.begin(), kFields.end(), k) == kFields.end()) {
      return Malformed("Statement contains an unknown element: " + k.substr(0, 64));
    }
  }
  return Status::Ok();
}

Status ParseEffectAndSid(const json& st, Statement& out) {
  const auto effect = st.find("Effect");
  if (effect == st.end()) return Malformed("Missing required field Effect");
  if (*effect == "Allow") {
    out.effect = Effect::kAllow;
  } else if (*effect == "Deny") {
    out.effect = Effect::kDeny;
  } else {
    return Malformed("Effect must be Allow or Deny");
  }
  if (const auto sid = st.find("Sid"); sid != st.end()) {
    if (!sid->is_string()) return Malformed("Sid must be a string");
    out.sid = sid->get<std::string>();
  }
  return Status::Ok();
}

Status ParsePrincipalElement(const json& st, PolicyKind kind, Statement& out) {
  ASSIGN_OR_RETURN(const json* principal, Exclusive(st, "Principal", &out.not_principal));
  if (principal == nullptr) {
    if (kind == PolicyKind::kResource || kind == PolicyKind::kTrust) {
      return Malformed("Policy contains a statement with no principal.");
    }
    return Status::Ok();
  }
  if (kind == PolicyKind::kIdentity) return Malformed("Policy document should not specify a principal.");
  ASSIGN_OR_RETURN(out.principal, ParsePrincipal(*principal));
  return Status::Ok();
}

Status ParseActionAndResource(const json& st, PolicyKind kind, Statement& out) {
  ASSIGN_OR_RETURN(const json* action, Exclusive(st, "Action", &out.not_action));
  if (action == nullptr) return Malformed("Policy statement must contain actions.");
  ASSIGN_OR_RETURN(out.actions, StringList(*action, "Action"));
  for (const auto& a : out.actions) {
    if (!ValidAction(a)) {
      return Malformed("Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc.");
    }
  }
  ASSIGN_OR_RETURN(const json* resource, Exclusive(st, "Resource", &out.not_resource));
  if (resource == nullptr) {
    if (kind == PolicyKind::kIdentity || kind == PolicyKind::kResource) {
      return Malformed("Policy statement must contain resources.");
    }
    return Status::Ok();
  }
  if (kind == PolicyKind::kTrust) return Malformed("Has prohibited field Resource");
  ASSIGN_OR_RETURN(out.resources, StringList(*resource, "Resource"));
  return Status::Ok();
}

StatusOr<Statement> ParseStatement(const json& st, PolicyKind kind) {
  if (!st.is_object()) return Malformed("Each Statement must be an object");
  RETURN_IF_ERROR(CheckKnownFields(st));
  Statement out;
  RETURN_IF_ERROR(ParseEffectAndSid(st, out));
  RETURN_IF_ERROR(ParsePrincipalElement(st, kind, out));
  RETURN_IF_ERROR(ParseActionAndResource(st, kind, out));
  if (const auto cond = st.find("Condition"); cond != st.end()) {
    ASSIGN_OR_RETURN(out.conditions, ParseConditions(*cond));
  }
  return out;
}

Status ParseHeader(const json& doc, Policy& out) {
  for (const auto& [k, v] : doc.items()) {
    if (k != "Version" && k != "Id" && k != "Statement") {
      return Malformed("Policy contains an unknown element: " + k.substr(0, 64));
    }
  }
  out.version = "2008-10-17";  // IAM's default when Version is absent
  if (const auto version = doc.find("Version"); version != doc.end()) {
    if (*version != "2012-10-17" && *version != "2008-10-17") {
      return Malformed("The policy failed legacy parsing: Version must be 2012-10-17 or 2008-10-17");
    }
    out.version = version->get<std::string>();
  }
  if (const auto id = doc.find("Id"); id != doc.end()) {
    if (!id->is_string()) return Malformed("Id must be a string");
    out.id = id->get<std::string>();
  }
  return Status::Ok();
}

}  // namespace

StatusOr<Policy> Parse(std::string_view text, const ParseOptions& options) {
  if (text.size() > options.max_bytes) {
    return Malformed("The policy exceeds the " + std::to_string(options.max_bytes) + " byte limit");
  }
  const json doc = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.is_object()) return Malformed("The policy is not valid JSON");
  Policy out;
  RETURN_IF_ERROR(ParseHeader(doc, out));
  const auto statement = doc.find("Statement");
  if (statement == doc.end()) return Malformed("The policy has no Statement");
  if (statement->is_object()) {
    ASSIGN_OR_RETURN(Statement st, ParseStatement(*statement, options.kind));
    out.statements.push_back(std::move(st));
    return out;
  }
  if (!statement->is_array() || statement->empty()) {
    return Malformed("Statement must be an object or a non-empty list of objects");
  }
  for (const auto& item : *statement) {
    ASSIGN_OR_RETURN(Statement st, ParseStatement(item, options.kind));
    out.statements.push_back(std::move(st));
  }
  return out;
}

}  // namespace coffer::policy

namespace coffer::policy {

std::shared_ptr<const Policy> AdministratorAccess() {
  static const std::shared_ptr<const Policy> kPolicy = [] {
    Statement st;
    st.sid = "AdministratorAccess";
    st.actions = {"*"};
    st.resources = {"*"};
    auto p = std::make_shared<Policy>();
    p->version = "2012-10-17";
    p->statements.push_back(std::move(st));
    return p;
  }();
  return kPolicy;
}

}  // namespace coffer::policy

// The policy engine against table files of (policy, request, expected
// decision): testdata/conditions.jsonl (one Condition block in an Allow
// statement) and testdata/statements.jsonl (whole documents). The expected
// decisions come from the IAM reference pages, written by hand.
#include "policy/policy.h"

#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "policy/operators.h"

namespace coffer::policy {
namespace {

using nlohmann::json;

std::vector<json> ReadCases(const std::string& file) {
  std::ifstream in(std::string(COFFER_POLICY_TESTDATA) + "/" + file);
  std::vector<json> out;
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty()) out.push_back(json::parse(line));
  }
  return out;
}

Request DefaultRequest(const json& c) {
  Request r;
  r.caller = {"arn:aws:iam::111122223333:user/alice", "", "111122223333", "", false};
  if (c.contains("caller")) {
    const json& k = c["caller"];
    r.caller = {k.value("arn", ""), k.value("role_arn", ""), k.value("account", ""), k.value("service", ""),
                false};
  }
  r.action = c.value("action", "kms:Encrypt");
  r.resource = c.value("resource", "arn:aws:kms:us-east-1:111122223333:key/k1");
  const json keys = c.value("k", json::object());
  for (const auto& [key, value] : keys.items()) {
    if (value.is_array()) {
      r.keys.SetMulti(key, value.get<std::vector<std::string>>());
    } else {
      r.keys.Set(key, value.get<std::string>());
    }
  }
  return r;
}

std::string Expected(Decision d) {
  switch (d) {
    case Decision::kAllow:
      return "allow";
    case Decision::kExplicitDeny:
      return "deny";
    case Decision::kImplicitDeny:
      return "implicit";
  }
  return "?";
}

PolicyKind KindOf(const json& c) {
  const std::string kind = c.value("kind", "identity");
  if (kind == "resource") return PolicyKind::kResource;
  if (kind == "trust") return PolicyKind::kTrust;
  return PolicyKind::kIdentity;
}

std::string DocumentText(const json& c) {
  if (c.contains("raw")) {
    const std::string raw = c["raw"].get<std::string>();
    return raw == "BIG" ? R"({"Statement":[)" + std::string(40000, ' ') + "]}" : raw;
  }
  if (c.contains("p")) return c["p"].dump();
  const json policy = {
      {"Version", c.value("v", "2012-10-17")},
      {"Statement", {{"Effect", "Allow"}, {"Action", "*"}, {"Resource", "*"}, {"Condition", c["c"]}}}};
  return policy.dump();
}

void RunCase(const json& c) {
  SCOPED_TRACE(c["n"].get<std::string>());
  const PolicyKind kind = KindOf(c);
  auto parsed = Parse(DocumentText(c), {kind, 32768});
  const std::string want = c["e"].get<std::string>();
  if (want == "malformed") {
    ASSERT_FALSE(parsed.ok());
    EXPECT_EQ(parsed.status().code(), ErrorCode::kMalformedPolicyDocument);
    EXPECT_FALSE(parsed.status().message().empty());
    return;
  }
  ASSERT_TRUE(parsed.ok()) << parsed.status().message();
  const bool check_principal = kind != PolicyKind::kIdentity;
  const Evaluation eval = Evaluate(*parsed, DefaultRequest(c), check_principal, "test");
  EXPECT_EQ(Expected(eval.decision), want);
  if (c.contains("direct")) {
    EXPECT_EQ(eval.allows_directly, c["direct"].get<bool>());
  }
  if (eval.decision != Decision::kImplicitDeny) {
    EXPECT_FALSE(eval.matched.empty());
  }
}

TEST(PolicyTable, ConditionCases) {
  const auto cases = ReadCases("conditions.jsonl");
  ASSERT_GE(cases.size(), 150u);
  for (const auto& c : cases) RunCase(c);
}

TEST(PolicyTable, StatementCases) {
  const auto cases = ReadCases("statements.jsonl");
  ASSERT_GE(cases.size(), 70u);
  for (const auto& c : cases) RunCase(c);
}

TEST(PolicyParser, MessagesSayWhatIsWrong) {
  auto identity = Parse(R"({"Statement":{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"}})",
                        {PolicyKind::kIdentity, 32768});
  ASSERT_FALSE(identity.ok());
  EXPECT_EQ(identity.status().message(), "Policy document should not specify a principal.");
  auto principal =
      Parse(R"({"Statement":{"Effect":"Allow","Principal":{"AWS":"bob"},"Action":"*","Resource":"*"}})",
            {PolicyKind::kResource, 32768});
  ASSERT_FALSE(principal.ok());
  EXPECT_EQ(principal.status().message(), "Policy contains a statement with one or more invalid principals.");
  auto op =
      Parse(R"({"Statement":{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"Foo":{"a":"b"}}}})",
            {PolicyKind::kIdentity, 32768});
  ASSERT_FALSE(op.ok());
  EXPECT_EQ(op.status().message(), "Invalid condition operator: Foo");
}

TEST(PolicyParser, KeepsElements) {
  auto p = Parse(R"({"Version":"2012-10-17","Id":"k","Statement":[{"Sid":"S1","Effect":"Deny",
      "NotPrincipal":{"AWS":["111122223333"],"Service":"logs.amazonaws.com"},"NotAction":"kms:Decrypt",
      "NotResource":"arn:x","Condition":{"ForAllValues:StringLikeIfExists":{"aws:TagKeys":["a*",1,true]}}}]})",
                 {PolicyKind::kResource, 32768});
  ASSERT_TRUE(p.ok()) << p.status().message();
  ASSERT_EQ(p->statements.size(), 1u);
  const Statement& st = p->statements[0];
  EXPECT_EQ(p->id, "k");
  EXPECT_EQ(st.sid, "S1");
  EXPECT_EQ(st.effect, Effect::kDeny);
  EXPECT_TRUE(st.not_principal && st.not_action && st.not_resource);
  EXPECT_EQ(st.principal->services, std::vector<std::string>{"logs.amazonaws.com"});
  ASSERT_EQ(st.conditions.size(), 1u);
  EXPECT_EQ(st.conditions[0].op, "StringLike");
  EXPECT_EQ(st.conditions[0].qualifier, SetQualifier::kForAllValues);
  EXPECT_TRUE(st.conditions[0].if_exists);
  EXPECT_EQ(st.conditions[0].values, (std::vector<std::string>{"a*", "1", "true"}));
}

TEST(PolicyDates, Formats) {
  EXPECT_EQ(internal::ParseDate("1970-01-01T00:00:00Z"), 0.0);
  EXPECT_EQ(internal::ParseDate("1970-01-02"), 86400.0);
  EXPECT_EQ(internal::ParseDate("2000-03-01T00:00:00Z"), 951868800.0);
  EXPECT_EQ(internal::ParseDate("1970-01-01T01:00:00+01:00"), 0.0);
  EXPECT_FALSE(internal::ParseDate("1970-01-01T25:00:00Z").has_value());
  EXPECT_FALSE(internal::ParseDate("1970-1-1").has_value());
  EXPECT_FALSE(internal::ParseDate("").has_value());
}

TEST(PolicyWildcards, EdgeCases) {
  EXPECT_TRUE(WildcardMatch("", "", false));
  EXPECT_FALSE(WildcardMatch("", "a", false));
  EXPECT_TRUE(WildcardMatch("**", "", false));
  EXPECT_TRUE(WildcardMatch("a**b", "ab", false));
  EXPECT_FALSE(WildcardMatch("?", "", false));
  EXPECT_TRUE(WildcardMatch("*?", "x", false));
  EXPECT_TRUE(WildcardMatch("kms:*", "KMS:ENCRYPT", true));
  EXPECT_FALSE(WildcardMatch("kms:*", "KMS:ENCRYPT", false));
  // Long adversarial input finishes (no exponential backtracking).
  EXPECT_FALSE(WildcardMatch("*a*a*a*a*a*a*a*a*b", std::string(5000, 'a'), false));
}

}  // namespace
}  // namespace coffer::policy

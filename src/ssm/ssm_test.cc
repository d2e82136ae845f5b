// Parameter Store over the memory store, a real KMS service and a fake clock.
#include <gtest/gtest.h>

#include <map>

#include "kms/kms_test_util.h"
#include "kms/service_client.h"
#include "policy/policy.h"
#include "ssm/envelope.h"
#include "ssm/names.h"
#include "ssm/service.h"
#include "ssm/webhook.h"

namespace coffer::ssm {
namespace {

using kms::testing::kAccount;
using kms::testing::kRegion;

// Identity policies per caller ARN; callers without one may do anything.
class FakeIdentities final : public policy::IdentityPolicySource {
 public:
  void Set(const std::string& arn, const std::string& document) {
    auto parsed = policy::Parse(document, {policy::PolicyKind::kIdentity, 32768});
    ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
    policies_[arn] = {{"test", std::make_shared<const policy::Policy>(std::move(*parsed))}};
  }
  StatusOr<std::vector<policy::NamedPolicy>> PoliciesFor(const policy::CallerInfo& who) override {
    auto it = policies_.find(who.caller.arn);
    if (it != policies_.end()) return it->second;
    auto all = policy::Parse(
        R"({"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*"}})",
        {policy::PolicyKind::kIdentity, 32768});
    return std::vector<policy::NamedPolicy>{{"all", std::make_shared<const policy::Policy>(std::move(*all))}};
  }
  std::uint64_t Generation() const override { return 0; }

 private:
  std::map<std::string, std::vector<policy::NamedPolicy>> policies_;
};

class FakeReferences final : public SecretReferences {
 public:
  StatusOr<ResolvedSecret> Resolve(const ReferenceCaller&, std::string_view secret_id,
                                   std::string_view selector) override {
    if (secret_id != "db") return Status(ErrorCode::kNotFound, "no such secret");
    ResolvedSecret s;
    s.arn = "arn:aws:secretsmanager:us-east-1:111122223333:secret:db-AbCdEf";
    s.value = selector == "AWSPREVIOUS" ? "old" : "hunter2";
    s.version_id = "v1";
    s.describe = {{"Name", "db"}};
    return s;
  }
};

std::string Name(const Json& j) { return j.value("Name", ""); }

class SsmTest : public kms::testing::KmsTest {
 protected:
  SsmTest() {
    caller_.account = std::string(kAccount);
    caller_.region = std::string(kRegion);
    caller_.who.caller = {"arn:aws:iam::111122223333:user/alice", "", std::string(kAccount), "", false};
  }
  StatusOr<Json> Run(std::string_view op, const Json& body) { return ps_.Run(caller_, op, body); }
  Json Must(std::string_view op, const Json& body) {
    auto r = Run(op, body);
    EXPECT_TRUE(r.ok()) << op << ": " << r.status().ToString();
    return r.ok() ? *r : Json::object();
  }
  // The wire name of the error `op` answers (empty when it succeeds).
  std::string Error(std::string_view op, const Json& body) {
    auto r = Run(op, body);
    return r.ok() ? std::string() : std::string(WireName(r.status()));
  }
  Json Put(const std::string& name, const std::string& value, Json extra = Json::object()) {
    extra["Name"] = name;
    extra["Value"] = value;
    if (!extra.contains("Type")) extra["Type"] = "String";
    return Must("PutParameter", extra);
  }

  FakeIdentities identities_;
  kms::ServiceKms service_kms_{kms_};
  ParameterStore ps_{*store_, service_kms_, identities_, clock_};
  Caller caller_;
};

TEST_F(SsmTest, PutGetAndOverwriteCountVersions) {
  EXPECT_EQ(Put("/app/db/host", "db1"), (Json{{"Version", 1}, {"Tier", "Standard"}}));
  EXPECT_EQ(Error("PutParameter", {{"Name", "/app/db/host"}, {"Value", "db2"}, {"Type", "String"}}),
            "ParameterAlreadyExists");
  EXPECT_EQ(Put("/app/db/host", "db2", {{"Overwrite", true}})["Version"], 2);
  Json p = Must("GetParameter", {{"Name", "/app/db/host"}})["Parameter"];
  EXPECT_EQ(p["Value"], "db2");
  EXPECT_EQ(p["Version"], 2);
  EXPECT_EQ(p["ARN"], "arn:aws:ssm:us-east-1:111122223333:parameter/app/db/host");
  EXPECT_EQ(p["DataType"], "text");
  EXPECT_EQ(Must("GetParameter", {{"Name", "/app/db/host:1"}})["Parameter"]["Value"], "db1");
  EXPECT_EQ(Must("GetParameter", {{"Name", "/app/db/host:1"}})["Parameter"]["Selector"], ":1");
  EXPECT_EQ(Error("GetParameter", {{"Name", "/app/db/host:9"}}), "ParameterVersionNotFound");
  EXPECT_EQ(Error("GetParameter", {{"Name", "/nope"}}), "ParameterNotFound");
  // By ARN too.
  EXPECT_EQ(Must("GetParameter",
                 {{"Name", "arn:aws:ssm:us-east-1:111122223333:parameter/app/db/host"}})["Parameter"]["Name"],
            "/app/db/host");
}

TEST_F(SsmTest, NameRulesAndHierarchyDepth) {
  EXPECT_EQ(Error("PutParameter", {{"Name", "/aws/x"}, {"Value", "v"}, {"Type", "String"}}),
            "ValidationException");
  EXPECT_EQ(Error("PutParameter", {{"Name", "ssmthing"}, {"Value", "v"}, {"Type", "String"}}),
            "ValidationException");
  EXPECT_EQ(Error("PutParameter", {{"Name", "a/b"}, {"Value", "v"}, {"Type", "String"}}),
            "ValidationException");
  EXPECT_EQ(Error("PutParameter", {{"Name", "/a b"}, {"Value", "v"}, {"Type", "String"}}),
            "ValidationException");
  std::string deep;
  for (int i = 0; i < 15; ++i) deep += "/l" + std::to_string(i);
  Put(deep, "ok");
  EXPECT_EQ(Error("PutParameter", {{"Name", deep + "/x"}, {"Value", "v"}, {"Type", "String"}}),
            "HierarchyLevelLimitExceededException");
  EXPECT_EQ(Error("PutParameter", {{"Name", "/new"}, {"Value", "v"}}), "ValidationException");  // no Type
}

TEST_F(SsmTest, TiersAndValueLimits) {
  const std::string big(4097, 'x');
  EXPECT_EQ(Error("PutParameter", {{"Name", "/big"}, {"Value", big}, {"Type", "String"}}),
            "ValidationException");
  EXPECT_EQ(Put("/big", big, {{"Tier", "Advanced"}})["Tier"], "Advanced");
  EXPECT_EQ(
      Error("PutParameter",
            {{"Name", "/big2"}, {"Value", std::string(8193, 'x')}, {"Type", "String"}, {"Tier", "Advanced"}}),
      "ValidationException");
  EXPECT_EQ(Put("/it", "small", {{"Tier", "Intelligent-Tiering"}})["Tier"], "Standard");
  EXPECT_EQ(Put("/it2", big, {{"Tier", "Intelligent-Tiering"}})["Tier"], "Advanced");
  // No downgrade from Advanced.
  EXPECT_EQ(
      Error("PutParameter", {{"Name", "/big"}, {"Value", "s"}, {"Overwrite", true}, {"Tier", "Standard"}}),
      "ValidationException");
}

TEST_F(SsmTest, DefaultTierSetting) {
  const std::string id = "/ssm/parameter-store/default-parameter-tier";
  EXPECT_EQ(Must("GetServiceSetting", {{"SettingId", id}})["ServiceSetting"]["SettingValue"], "Standard");
  EXPECT_EQ(Error("UpdateServiceSetting", {{"SettingId", id}, {"SettingValue", "Huge"}}),
            "ValidationException");
  Must("UpdateServiceSetting", {{"SettingId", id}, {"SettingValue", "Advanced"}});
  EXPECT_EQ(Put("/t", "v")["Tier"], "Advanced");
  EXPECT_EQ(Must("GetServiceSetting", {{"SettingId", id}})["ServiceSetting"]["Status"], "Customized");
  EXPECT_EQ(Must("ResetServiceSetting", {{"SettingId", id}})["ServiceSetting"]["SettingValue"], "Standard");
  EXPECT_EQ(Error("GetServiceSetting", {{"SettingId", "/ssm/other"}}), "ServiceSettingNotFound");
}

TEST_F(SsmTest, TypeAllowedPatternAndDataTypeChecks) {
  Put("/s", "v");
  EXPECT_EQ(
      Error("PutParameter", {{"Name", "/s"}, {"Value", "v"}, {"Type", "StringList"}, {"Overwrite", true}}),
      "HierarchyTypeMismatchException");
  EXPECT_EQ(
      Error("PutParameter", {{"Name", "/p"}, {"Value", "v"}, {"Type", "String"}, {"AllowedPattern", "("}}),
      "InvalidAllowedPatternException");
  auto mismatch =
      Run("PutParameter",
          {{"Name", "/p"}, {"Value", "secretvalue"}, {"Type", "String"}, {"AllowedPattern", "^\\d+$"}});
  ASSERT_FALSE(mismatch.ok());
  EXPECT_EQ(mismatch.status().type(), "ParameterPatternMismatchException");
  EXPECT_EQ(mismatch.status().message().find("secretvalue"), std::string::npos);
  Put("/p", "123", {{"AllowedPattern", "^\\d+$"}});
  EXPECT_EQ(Error("PutParameter", {{"Name", "/p"}, {"Value", "abc"}, {"Overwrite", true}}),
            "ParameterPatternMismatchException");  // the pattern carries over
  EXPECT_EQ(
      Error("PutParameter",
            {{"Name", "/ami"}, {"Value", "not-an-ami"}, {"Type", "String"}, {"DataType", "aws:ec2:image"}}),
      "ValidationException");
  EXPECT_EQ(Put("/ami", "ami-12345678", {{"DataType", "aws:ec2:image"}})["Version"], 1);
  EXPECT_EQ(Error("PutParameter", {{"Name", "/ami2"},
                                   {"Value", "ami-12345678"},
                                   {"Type", "StringList"},
                                   {"DataType", "aws:ec2:image"}}),
            "UnsupportedParameterType");
  EXPECT_EQ(
      Error("PutParameter", {{"Name", "/dt"}, {"Value", "v"}, {"Type", "String"}, {"DataType", "Text"}}),
      "ValidationException");
  EXPECT_EQ(Error("PutParameter", {{"Name", "/k"}, {"Value", "v"}, {"Type", "String"}, {"KeyId", "alias/x"}}),
            "ValidationException");
}

TEST_F(SsmTest, SecureStringIsCiphertextUnlessDecrypted) {
  Put("/sec", "hunter2", {{"Type", "SecureString"}});
  Json raw = Must("GetParameter", {{"Name", "/sec"}})["Parameter"];
  EXPECT_NE(raw["Value"], "hunter2");
  EXPECT_TRUE(Base64Decode(raw["Value"].get<std::string>()).has_value());
  Json plain = Must("GetParameter", {{"Name", "/sec"}, {"WithDecryption", true}})["Parameter"];
  EXPECT_EQ(plain["Value"], "hunter2");
  Json hist = Must("GetParameterHistory", {{"Name", "/sec"}})["Parameters"][0];
  EXPECT_EQ(hist["KeyId"], "alias/aws/ssm");
  EXPECT_NE(hist["Value"], "hunter2");
  EXPECT_EQ(
      Error("PutParameter",
            {{"Name", "/sec2"}, {"Value", "v"}, {"Type", "SecureString"}, {"KeyId", "alias/does-not-exist"}}),
      "InvalidKeyId");
}

TEST_F(SsmTest, AdvancedSecureStringsUpTo8KBAreEnvelopeEncrypted) {
  const std::string big(8192, 'x');
  Put("/big", big, {{"Type", "SecureString"}, {"Tier", "Advanced"}});
  Json raw = Must("GetParameter", {{"Name", "/big"}})["Parameter"];
  std::optional<Bytes> blob = Base64Decode(raw["Value"].get<std::string>());
  ASSERT_TRUE(blob.has_value());
  ASSERT_TRUE(ParseEnvelope(*blob).ok());  // a data-key envelope, not one KMS ciphertext
  EXPECT_EQ(Must("GetParameter", {{"Name", "/big"}, {"WithDecryption", true}})["Parameter"]["Value"], big);
  EXPECT_EQ(Must("GetParameters", {{"Names", {"/big"}}, {"WithDecryption", true}})["Parameters"][0]["Value"],
            big);
  EXPECT_EQ(Error("PutParameter",
                  {{"Name", "/big2"}, {"Value", big + "x"}, {"Type", "SecureString"}, {"Tier", "Advanced"}}),
            "ValidationException");  // beyond the advanced tier's 8 KB
}

TEST(SsmEnvelopeTest, OpensOnlyUnderItsKeyAndArn) {
  const Bytes key(32, 7);
  const Bytes wrapped = {1, 2, 3};
  auto sealed = SealEnvelope(key, wrapped, "arn:a", AsBytes("value"));
  ASSERT_TRUE(sealed.ok());
  auto env = ParseEnvelope(*sealed);
  ASSERT_TRUE(env.ok());
  EXPECT_EQ(env->wrapped_key, wrapped);
  auto plain = OpenEnvelope(key, *env, "arn:a");
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ(*plain, "value");
  EXPECT_EQ(OpenEnvelope(key, *env, "arn:b").status().code(), ErrorCode::kInvalidCiphertext);
  EXPECT_EQ(OpenEnvelope(Bytes(32, 8), *env, "arn:a").status().code(), ErrorCode::kInvalidCiphertext);
  Bytes tampered = *sealed;
  tampered.back() ^= 1;
  EXPECT_EQ(OpenEnvelope(key, *ParseEnvelope(tampered), "arn:a").status().code(),
            ErrorCode::kInvalidCiphertext);
  EXPECT_FALSE(ParseEnvelope(AsBytes("CPE1")).ok());
  EXPECT_FALSE(ParseEnvelope(Bytes(sealed->begin(), sealed->begin() + 8)).ok());
}

TEST_F(SsmTest, GetParametersReportsInvalidOnes) {
  Put("/a", "1");
  Put("/a", "2", {{"Overwrite", true}});
  Must("LabelParameterVersion", {{"Name", "/a"}, {"ParameterVersion", 1}, {"Labels", {"prod"}}});
  Json out = Must("GetParameters", {{"Names", {"/a", "/a:prod", "/a:7", "/missing", "/a:nolabel"}}});
  ASSERT_EQ(out["Parameters"].size(), 2u);
  EXPECT_EQ(out["Parameters"][0]["Value"], "2");
  EXPECT_EQ(out["Parameters"][1]["Value"], "1");
  EXPECT_EQ(out["Parameters"][1]["Selector"], ":prod");
  EXPECT_EQ(out["InvalidParameters"], (Json{"/a:7", "/missing", "/a:nolabel"}));
}

TEST_F(SsmTest, HistoryKeepsTheLast100Versions) {
  for (int i = 1; i <= 101; ++i) Put("/h", std::to_string(i), {{"Overwrite", true}});
  Json page = Must("GetParameterHistory", {{"Name", "/h"}, {"MaxResults", 50}});
  EXPECT_EQ(page["Parameters"][0]["Version"], 2);  // version 1 dropped
  std::size_t total = page["Parameters"].size();
  while (page.contains("NextToken")) {
    page = Must("GetParameterHistory", {{"Name", "/h"}, {"NextToken", page["NextToken"]}});
    total += page["Parameters"].size();
  }
  EXPECT_EQ(total, 100u);
  EXPECT_EQ(Error("GetParameterHistory", {{"Name", "/h"}, {"NextToken", "bogus"}}),
            "InvalidNextTokenException");
  // A label on the oldest version stops the next write.
  Must("LabelParameterVersion", {{"Name", "/h"}, {"ParameterVersion", 2}, {"Labels", {"keep"}}});
  EXPECT_EQ(Error("PutParameter", {{"Name", "/h"}, {"Value", "x"}, {"Overwrite", true}}),
            "ParameterMaxVersionLimitExceeded");
}

TEST_F(SsmTest, LabelsMoveAndAreLimited) {
  Put("/l", "1");
  Put("/l", "2", {{"Overwrite", true}});
  Json r = Must("LabelParameterVersion",
                {{"Name", "/l"}, {"ParameterVersion", 1}, {"Labels", {"a", "1bad", "awsx"}}});
  EXPECT_EQ(r["InvalidLabels"], (Json{"1bad", "awsx"}));
  Must("LabelParameterVersion", {{"Name", "/l"}, {"Labels", {"a"}}});  // latest version
  Json hist = Must("GetParameterHistory", {{"Name", "/l"}})["Parameters"];
  EXPECT_TRUE(hist[0]["Labels"].empty());
  EXPECT_EQ(hist[1]["Labels"], (Json{"a"}));
  Json ten = Json::array();
  for (int i = 0; i < 10; ++i) ten.push_back("l" + std::to_string(i));
  Must("LabelParameterVersion", {{"Name", "/l"}, {"ParameterVersion", 1}, {"Labels", ten}});
  EXPECT_EQ(Error("LabelParameterVersion", {{"Name", "/l"}, {"ParameterVersion", 1}, {"Labels", {"more"}}}),
            "ParameterVersionLabelLimitExceeded");
  EXPECT_EQ(Error("LabelParameterVersion", {{"Name", "/l"}, {"ParameterVersion", 5}, {"Labels", {"x"}}}),
            "ParameterVersionNotFound");
  Json un =
      Must("UnlabelParameterVersion", {{"Name", "/l"}, {"ParameterVersion", 2}, {"Labels", {"a", "zz"}}});
  EXPECT_EQ(un["RemovedLabels"], (Json{"a"}));
  EXPECT_EQ(un["InvalidLabels"], (Json{"zz"}));
}

TEST_F(SsmTest, ByPathRecursionFiltersAndPages) {
  Put("/app/a", "1");
  Put("/app/b", "2", {{"Type", "StringList"}});
  Put("/app/sub/c", "3");
  Put("/other", "4");
  auto names = [](const Json& out) {
    std::vector<std::string> v;
    for (const auto& p : out["Parameters"]) v.push_back(Name(p));
    return v;
  };
  EXPECT_EQ(names(Must("GetParametersByPath", {{"Path", "/app"}})),
            (std::vector<std::string>{"/app/a", "/app/b"}));
  EXPECT_EQ(names(Must("GetParametersByPath", {{"Path", "/app/"}, {"Recursive", true}})),
            (std::vector<std::string>{"/app/a", "/app/b", "/app/sub/c"}));
  EXPECT_EQ(
      names(Must("GetParametersByPath",
                 {{"Path", "/app"}, {"ParameterFilters", {{{"Key", "Type"}, {"Values", {"StringList"}}}}}})),
      (std::vector<std::string>{"/app/b"}));
  Json page = Must("GetParametersByPath", {{"Path", "/"}, {"Recursive", true}, {"MaxResults", 2}});
  EXPECT_EQ(page["Parameters"].size(), 2u);
  Json rest =
      Must("GetParametersByPath", {{"Path", "/"}, {"Recursive", true}, {"NextToken", page["NextToken"]}});
  EXPECT_EQ(rest["Parameters"].size(), 2u);
  EXPECT_FALSE(rest.contains("NextToken"));
  EXPECT_EQ(Error("GetParametersByPath",
                  {{"Path", "/app"}, {"ParameterFilters", {{{"Key", "Name"}, {"Values", {"x"}}}}}}),
            "InvalidFilterKey");
  EXPECT_EQ(Error("GetParametersByPath", {{"Path", "app"}}), "ValidationException");
}

TEST_F(SsmTest, DescribeFilters) {
  Put("/d/one", "1", {{"Description", "first"}});
  Put("/d/two", "2", {{"Type", "SecureString"}});
  Put("/e", "3");
  auto count = [&](Json filters) {
    return Must("DescribeParameters", {{"ParameterFilters", filters}})["Parameters"].size();
  };
  EXPECT_EQ(count({{{"Key", "Name"}, {"Option", "BeginsWith"}, {"Values", {"/d"}}}}), 2u);
  EXPECT_EQ(count({{{"Key", "Name"}, {"Option", "Contains"}, {"Values", {"tw"}}}}), 1u);
  EXPECT_EQ(count({{{"Key", "Path"}, {"Option", "Recursive"}, {"Values", {"/"}}}}), 3u);
  EXPECT_EQ(count({{{"Key", "Type"}, {"Values", {"SecureString"}}}}), 1u);
  EXPECT_EQ(count({{{"Key", "KeyId"}, {"Values", {"alias/aws/ssm"}}}}), 1u);
  EXPECT_EQ(count({{{"Key", "Tier"}, {"Values", {"Standard"}}}}), 3u);
  EXPECT_EQ(Error("DescribeParameters", {{"ParameterFilters", {{{"Key", "Bogus"}, {"Values", {"x"}}}}}}),
            "InvalidFilterKey");
  EXPECT_EQ(Error("DescribeParameters", {{"ParameterFilters", {{{"Key", "Type"}, {"Values", {"Number"}}}}}}),
            "InvalidFilterValue");
  EXPECT_EQ(
      Error("DescribeParameters",
            {{"ParameterFilters", {{{"Key", "Type"}, {"Option", "BeginsWith"}, {"Values", {"String"}}}}}}),
      "InvalidFilterOption");
  Json meta = Must("DescribeParameters", {{"MaxResults", 1}});
  EXPECT_EQ(meta["Parameters"][0]["Description"], "first");
  EXPECT_TRUE(meta.contains("NextToken"));
}

TEST_F(SsmTest, TagsOnParameters) {
  Put("/t", "v", {{"Tags", {{{"Key", "env"}, {"Value", "prod"}}}}});
  Must("AddTagsToResource",
       {{"ResourceType", "Parameter"}, {"ResourceId", "/t"}, {"Tags", {{{"Key", "team"}, {"Value", "x"}}}}});
  Json tags = Must("ListTagsForResource", {{"ResourceType", "Parameter"}, {"ResourceId", "/t"}})["TagList"];
  EXPECT_EQ(tags.size(), 2u);
  Must("RemoveTagsFromResource", {{"ResourceType", "Parameter"}, {"ResourceId", "/t"}, {"TagKeys", {"env"}}});
  EXPECT_EQ(
      Must("ListTagsForResource", {{"ResourceType", "Parameter"}, {"ResourceId", "/t"}})["TagList"].size(),
      1u);
  EXPECT_EQ(Error("ListTagsForResource", {{"ResourceType", "Parameter"}, {"ResourceId", "/none"}}),
            "InvalidResourceId");
  EXPECT_EQ(Error("ListTagsForResource", {{"ResourceType", "Document"}, {"ResourceId", "/t"}}),
            "InvalidResourceType");
  EXPECT_EQ(Error("AddTagsToResource", {{"ResourceType", "Parameter"},
                                        {"ResourceId", "/t"},
                                        {"Tags", {{{"Key", "aws:x"}, {"Value", "x"}}}}}),
            "ValidationException");
  EXPECT_EQ(
      Error(
          "PutParameter",
          {{"Name", "/t"}, {"Value", "v"}, {"Overwrite", true}, {"Tags", {{{"Key", "a"}, {"Value", "b"}}}}}),
      "ValidationException");
}

TEST_F(SsmTest, ExpirationPolicyDeletesOnTheClock) {
  const std::string policy =
      R"([{"Type":"Expiration","Version":"1.0","Attributes":{"Timestamp":"2024-01-02T00:00:00.000Z"}},)"
      R"({"Type":"ExpirationNotification","Version":"1.0","Attributes":{"Before":"12","Unit":"Hours"}}])";
  std::vector<std::string> events;
  ps_.SetEventSink([&](const ServiceEvent& e) { events.push_back(e.event_name); });
  EXPECT_EQ(Error("PutParameter", {{"Name", "/x"}, {"Value", "v"}, {"Type", "String"}, {"Policies", policy}}),
            "ValidationException");  // Standard tier
  Put("/x", "v", {{"Tier", "Advanced"}, {"Policies", policy}});
  Json meta = Must("DescribeParameters", Json::object())["Parameters"][0];
  EXPECT_EQ(meta["Policies"].size(), 2u);
  EXPECT_EQ(meta["Policies"][0]["PolicyStatus"], "Pending");
  ASSERT_TRUE(ps_.RunSweeper().ok());
  EXPECT_TRUE(events.empty());
  AdvanceMs(13 * 3600 * 1000LL);
  ASSERT_EQ(*ps_.RunSweeper(), 1);
  ASSERT_EQ(*ps_.RunSweeper(), 0);  // once
  EXPECT_EQ(events, (std::vector<std::string>{"ExpirationNotification"}));
  AdvanceMs(12 * 3600 * 1000LL);
  ASSERT_EQ(*ps_.RunSweeper(), 1);
  EXPECT_EQ(events.back(), "Expiration");
  EXPECT_EQ(Error("GetParameter", {{"Name", "/x"}}), "ParameterNotFound");
}

TEST_F(SsmTest, PolicyErrors) {
  auto put = [&](const std::string& p) {
    return Error("PutParameter",
                 {{"Name", "/x"}, {"Value", "v"}, {"Type", "String"}, {"Tier", "Advanced"}, {"Policies", p}});
  };
  EXPECT_EQ(put(R"([{"Type":"Forever","Version":"1.0","Attributes":{}}])"), "InvalidPolicyTypeException");
  EXPECT_EQ(put(R"([{"Type":"Expiration","Version":"1.0","Attributes":{"Timestamp":"tomorrow"}}])"),
            "InvalidPolicyAttributeException");
  std::string many = "[";
  for (int i = 0; i < 11; ++i)
    many += std::string(i ? "," : "") +
            R"({"Type":"NoChangeNotification","Version":"1.0","Attributes":{"After":")" +
            std::to_string(i + 1) + R"("}})";
  many += "]";
  EXPECT_EQ(put(many), "PoliciesLimitExceededException");
}

TEST_F(SsmTest, AccessDeniedInAwsWords) {
  identities_.Set(
      caller_.who.caller.arn,
      R"({"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"ssm:GetParameter","Resource":"arn:aws:ssm:*:*:parameter/public/*"}})");
  auto denied = Run("GetParameter", {{"Name", "/private/x"}});
  ASSERT_FALSE(denied.ok());
  EXPECT_EQ(denied.status().code(), ErrorCode::kAccessDenied);
  EXPECT_EQ(
      denied.status().message(),
      "User: arn:aws:iam::111122223333:user/alice is not authorized to perform: ssm:GetParameter on "
      "resource: arn:aws:ssm:us-east-1:111122223333:parameter/private/x because no identity-based policy "
      "allows the ssm:GetParameter action");
  EXPECT_EQ(Error("GetParameter", {{"Name", "/public/x"}}), "ParameterNotFound");
}

TEST_F(SsmTest, DeleteAndDeleteMany) {
  Put("/a", "1");
  Put("/b", "2");
  Must("DeleteParameter", {{"Name", "/a"}});
  EXPECT_EQ(Error("DeleteParameter", {{"Name", "/a"}}), "ParameterNotFound");
  Json out = Must("DeleteParameters", {{"Names", {"/b", "/c"}}});
  EXPECT_EQ(out["DeletedParameters"], (Json{"/b"}));
  EXPECT_EQ(out["InvalidParameters"], (Json{"/c"}));
}

TEST_F(SsmTest, SecretsManagerReferences) {
  const std::string ref = "/aws/reference/secretsmanager/db";
  EXPECT_EQ(Error("GetParameter", {{"Name", ref}, {"WithDecryption", true}}),
            "ParameterNotFound");  // not wired
  FakeReferences refs;
  ps_.SetSecretReferences(&refs);
  EXPECT_EQ(Error("GetParameter", {{"Name", ref}}), "ValidationException");
  Json p = Must("GetParameter", {{"Name", ref}, {"WithDecryption", true}})["Parameter"];
  EXPECT_EQ(p["Value"], "hunter2");
  EXPECT_EQ(p["Type"], "SecureString");
  EXPECT_EQ(
      Must("GetParameter", {{"Name", ref + ":AWSPREVIOUS"}, {"WithDecryption", true}})["Parameter"]["Value"],
      "old");
  EXPECT_EQ(Error("GetParameter", {{"Name", "/aws/reference/secretsmanager/none"}, {"WithDecryption", true}}),
            "ParameterNotFound");
  EXPECT_EQ(Error("GetParameter", {{"Name", "/aws/service/ami-amazon-linux-latest/x"}}), "ParameterNotFound");
}

TEST_F(SsmTest, OtherSsmOperationsAreUnsupported) {
  auto r = Run("SendCommand", Json::object());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), ErrorCode::kUnsupportedOperation);
}

}  // namespace
}  // namespace coffer::ssm

namespace coffer::ssm {
namespace {

TEST(EventBridgeEventTest, HasParameterStoreShape) {
  ServiceEvent e;
  e.detail_type = "Parameter Store Policy Action";
  e.event_name = "Expiration";
  e.account = "111122223333";
  e.region = "us-east-1";
  e.name = "/a/b";
  e.arn = ParameterArn("us-east-1", "111122223333", "/a/b");
  e.type = "String";
  const Json j = EventBridgeEvent(e, TimePoint(std::chrono::seconds(1704067200)), "id-1");
  EXPECT_EQ(j["source"], "aws.ssm");
  EXPECT_EQ(j["time"], "2024-01-01T00:00:00Z");
  EXPECT_EQ(j["resources"], (Json{"arn:aws:ssm:us-east-1:111122223333:parameter/a/b"}));
  EXPECT_EQ(j["detail"]["action-status"], "Finished");
  EXPECT_EQ(j["detail"]["parameter-name"], "/a/b");
}

TEST(PolicyWebhookTest, RefusesNonHttpUrls) {
  PolicyWebhook hook("https://example.com/x");
  EXPECT_FALSE(hook.Post(Json::object()).ok());
}

}  // namespace
}  // namespace coffer::ssm

// KMS authorization: key policy + identity policies + grants, as AWS KMS
// combines them, the lockout safety check, and the decision cache following
// policy and alias changes.
#include "kms/alias_index.h"
#include "kms/authorizer.h"
#include "kms/grants.h"
#include "kms/key_usage.h"
#include "kms/kms_test_util.h"
#include "kms/service_client.h"

namespace coffer::kms::testing {
namespace {

// Identity policies per caller ARN, set by the test.
class FakeIdentities final : public policy::IdentityPolicySource {
 public:
  void Set(const std::string& arn, const std::string& document) {
    auto parsed = policy::Parse(document, {policy::PolicyKind::kIdentity, 32768});
    ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
    policies_[arn] = {{"test", std::make_shared<const policy::Policy>(std::move(*parsed))}};
    ++generation_;
  }
  StatusOr<std::vector<policy::NamedPolicy>> PoliciesFor(const policy::CallerInfo& who) override {
    auto it = policies_.find(who.caller.arn);
    return it == policies_.end() ? std::vector<policy::NamedPolicy>{} : it->second;
  }
  std::uint64_t Generation() const override { return generation_; }

 private:
  std::map<std::string, std::vector<policy::NamedPolicy>> policies_;
  std::uint64_t generation_ = 0;
};

const std::string kAllowAll =
    R"({"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*"}})";

class KmsAuthzTest : public KmsTest {
 protected:
  void SetUp() override {
    authorizer_.SetGrants(&grants_);
    authorizer_.SetAliases(&alias_index_);
    kms_.SetAuthorizer(&authorizer_);
    kms_.SetGrants(&grants_);
    ctx_.who.caller = {ctx_.principal_arn, "", std::string(kAccount), "", false};
    identities_.Set(ctx_.principal_arn, kAllowAll);  // alice is an administrator
  }
  RequestContext As(std::string_view account, std::string_view user) {
    RequestContext ctx = ContextFor(account, kRegion);
    ctx.principal_arn = "arn:aws:iam::" + std::string(account) + ":user/" + std::string(user);
    ctx.who.caller = {ctx.principal_arn, "", std::string(account), "", false};
    return ctx;
  }
  StatusOr<Json> EncryptAs(const RequestContext& ctx, const std::string& key,
                           const Json& context = Json::object()) {
    Json req = {{"KeyId", key}, {"Plaintext", B64("x")}};
    if (!context.empty()) req["EncryptionContext"] = context;
    return CallAs(ctx, "Encrypt", req);
  }
  std::string Policy(const Json& extra_statement = Json()) {
    Json statements =
        Json::array({{{"Effect", "Allow"},
                      {"Principal", {{"AWS", "arn:aws:iam::" + std::string(kAccount) + ":root"}}},
                      {"Action", "kms:*"},
                      {"Resource", "*"}}});
    if (!extra_statement.is_null()) statements.push_back(extra_statement);
    return Json{{"Version", "2012-10-17"}, {"Statement", statements}}.dump();
  }

  FakeIdentities identities_;
  Authorizer authorizer_{identities_, clock_};
  GrantStore grants_{*store_, random_};
  AliasIndex alias_index_{keys_};
};

TEST_F(KmsAuthzTest, RootPrincipalDelegatesToIdentityPolicies) {
  const std::string key = CreateKeyId();
  EXPECT_TRUE(EncryptAs(ctx_, key).ok());
  const RequestContext bob = As(kAccount, "bob");
  auto denied = EncryptAs(bob, key);
  ASSERT_EQ(CodeOf(denied), ErrorCode::kAccessDenied);
  EXPECT_EQ(denied.status().message(),
            "User: " + bob.principal_arn + " is not authorized to perform: kms:Encrypt on resource: " +
                ArnOf(key) + " because no identity-based policy allows the kms:Encrypt action");
  identities_.Set(
      bob.principal_arn,
      R"({"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"kms:Encrypt","Resource":"*"}})");
  EXPECT_TRUE(EncryptAs(bob, key).ok());
  EXPECT_EQ(CodeOf(CallAs(bob, "DisableKey", {{"KeyId", key}})), ErrorCode::kAccessDenied);
  EXPECT_EQ(CodeOf(CallAs(bob, "CreateKey", Json::object())), ErrorCode::kAccessDenied);
}

TEST_F(KmsAuthzTest, KeyPolicyNamingTheUserNeedsNoIdentityPolicy) {
  const RequestContext bob = As(kAccount, "bob");
  const std::string key = CreateKeyId({{"Policy", Policy({{"Effect", "Allow"},
                                                          {"Principal", {{"AWS", bob.principal_arn}}},
                                                          {"Action", "kms:Encrypt"},
                                                          {"Resource", "*"}})}});
  EXPECT_TRUE(EncryptAs(bob, key).ok());
  EXPECT_EQ(CodeOf(CallAs(bob, "DescribeKey", {{"KeyId", key}})), ErrorCode::kAccessDenied);
}

TEST_F(KmsAuthzTest, ExplicitDenyOnEncryptionContextWins) {
  const std::string key = CreateKeyId(
      {{"Policy",
        Policy({{"Effect", "Deny"},
                {"Principal", "*"},
                {"Action", "kms:Encrypt"},
                {"Resource", "*"},
                {"Condition", {{"StringNotEquals", {{"kms:EncryptionContext:department", "finance"}}}}}})}});
  auto denied = EncryptAs(ctx_, key);
  ASSERT_EQ(CodeOf(denied), ErrorCode::kAccessDenied);
  EXPECT_NE(denied.status().message().find("with an explicit deny in a resource-based policy"),
            std::string::npos);
  EXPECT_EQ(CodeOf(EncryptAs(ctx_, key, {{"department", "hr"}})), ErrorCode::kAccessDenied);
  EXPECT_TRUE(EncryptAs(ctx_, key, {{"department", "finance"}}).ok());
}

TEST_F(KmsAuthzTest, CrossAccountNeedsKeyPolicyAndIdentityPolicy) {
  const RequestContext eve = As(kOtherAccount, "eve");
  const std::string plain = CreateKeyId();
  EXPECT_EQ(CodeOf(EncryptAs(eve, ArnOf(plain))), ErrorCode::kAccessDenied);
  const std::string shared =
      CreateKeyId({{"Policy", Policy({{"Effect", "Allow"},
                                      {"Principal", {{"AWS", std::string(kOtherAccount)}}},
                                      {"Action", "kms:Encrypt"},
                                      {"Resource", "*"}})}});
  EXPECT_EQ(CodeOf(EncryptAs(eve, ArnOf(shared))), ErrorCode::kAccessDenied);  // no identity policy yet
  identities_.Set(eve.principal_arn, kAllowAll);
  EXPECT_TRUE(EncryptAs(eve, ArnOf(shared)).ok());
  EXPECT_EQ(CodeOf(EncryptAs(eve, shared)), ErrorCode::kNotFound);  // a bare key id is the caller's account
  EXPECT_EQ(CodeOf(CallAs(eve, "DisableKey", {{"KeyId", ArnOf(shared)}})), ErrorCode::kAccessDenied);
}

TEST_F(KmsAuthzTest, PutKeyPolicyLockoutSafetyCheck) {
  const std::string key = CreateKeyId();
  const std::string lockout = Json{
      {"Version", "2012-10-17"},
      {"Statement",
       {{{"Effect", "Allow"},
         {"Principal", {{"AWS", "arn:aws:iam::111122223333:user/nobody"}}},
         {"Action", "kms:*"},
         {"Resource", "*"}}}}}.dump();
  auto refused = Call("PutKeyPolicy", {{"KeyId", key}, {"PolicyName", "default"}, {"Policy", lockout}});
  ASSERT_EQ(CodeOf(refused), ErrorCode::kMalformedPolicyDocument);
  EXPECT_EQ(refused.status().message(),
            "The new key policy will not allow you to update the key policy in the future.");
  EXPECT_TRUE(EncryptAs(ctx_, key).ok());  // cached Allow under the old policy
  ASSERT_TRUE(Call("PutKeyPolicy", {{"KeyId", key},
                                    {"PolicyName", "default"},
                                    {"Policy", lockout},
                                    {"BypassPolicyLockoutSafetyCheck", true}})
                  .ok());
  EXPECT_EQ(CodeOf(EncryptAs(ctx_, key)), ErrorCode::kAccessDenied);  // the cache followed the change
}

TEST_F(KmsAuthzTest, CreateKeyLockoutSafetyCheck) {
  const std::string lockout = Json{
      {"Version", "2012-10-17"},
      {"Statement",
       {{{"Effect", "Allow"},
         {"Principal", {{"AWS", "arn:aws:iam::111122223333:user/nobody"}}},
         {"Action", "kms:*"},
         {"Resource", "*"}}}}}.dump();
  EXPECT_EQ(CodeOf(Call("CreateKey", {{"Policy", lockout}})), ErrorCode::kMalformedPolicyDocument);
  EXPECT_TRUE(Call("CreateKey", {{"Policy", lockout}, {"BypassPolicyLockoutSafetyCheck", true}}).ok());
  EXPECT_TRUE(Call("CreateKey", {{"Policy", Policy()}}).ok());
}

TEST_F(KmsAuthzTest, GrantWithContextSubsetAllowsItsGrantee) {
  const RequestContext bob = As(kAccount, "bob");
  const std::string key = CreateKeyId();
  auto grant = Call("CreateGrant", {{"KeyId", key},
                                    {"GranteePrincipal", bob.principal_arn},
                                    {"Operations", {"Encrypt"}},
                                    {"Constraints", {{"EncryptionContextSubset", {{"project", "apollo"}}}}}});
  ASSERT_TRUE(grant.ok()) << grant.status().ToString();
  EXPECT_TRUE(EncryptAs(bob, key, {{"project", "apollo"}, {"stage", "prod"}}).ok());
  EXPECT_EQ(CodeOf(EncryptAs(bob, key, {{"project", "gemini"}})), ErrorCode::kAccessDenied);
  EXPECT_EQ(CodeOf(EncryptAs(bob, key)), ErrorCode::kAccessDenied);
  ASSERT_TRUE(Call("RevokeGrant", {{"KeyId", key}, {"GrantId", (*grant)["GrantId"]}}).ok());
  EXPECT_EQ(CodeOf(EncryptAs(bob, key, {{"project", "apollo"}})), ErrorCode::kAccessDenied);
}

TEST_F(KmsAuthzTest, GrantsEndWithTheirKey) {
  const std::string key = CreateKeyId();
  ASSERT_TRUE(Call("CreateGrant", {{"KeyId", key},
                                   {"GranteePrincipal", "arn:aws:iam::111122223333:user/bob"},
                                   {"Operations", {"Decrypt"}}})
                  .ok());
  ASSERT_TRUE(Call("ScheduleKeyDeletion", {{"KeyId", key}, {"PendingWindowInDays", 7}}).ok());
  AdvanceMs(8 * kDayMs);
  EXPECT_EQ(Sweep(), 1);
  auto left = grants_.ForKey(kRegion, kAccount, key);
  ASSERT_TRUE(left.ok());
  EXPECT_TRUE(left->empty());
}

// An identity policy allowing `ctx` kms:Encrypt when `op` holds for
// kms:ResourceAliases against alias/finance-*.
void AllowEncryptWhenAliases(FakeIdentities& identities, const RequestContext& ctx, const std::string& op) {
  identities.Set(ctx.principal_arn,
                 Json{{"Version", "2012-10-17"},
                      {"Statement",
                       {{"Effect", "Allow"},
                        {"Action", "kms:Encrypt"},
                        {"Resource", "*"},
                        {"Condition", {{op, {{"kms:ResourceAliases", "alias/finance-*"}}}}}}}}
                     .dump());
}

// bob may encrypt only with keys an alias/finance-* alias points at.
TEST_F(KmsAuthzTest, ResourceAliasesFollowAliasChanges) {
  const RequestContext bob = As(kAccount, "bob");
  AllowEncryptWhenAliases(identities_, bob, "ForAnyValue:StringLike");
  const std::string key = CreateKeyId();
  const std::string other = CreateKeyId();
  EXPECT_EQ(CodeOf(EncryptAs(bob, key)), ErrorCode::kAccessDenied);  // no aliases: ForAnyValue is false
  ASSERT_TRUE(Call("CreateAlias", {{"AliasName", "alias/hr-app"}, {"TargetKeyId", key}}).ok());
  EXPECT_EQ(CodeOf(EncryptAs(bob, key)), ErrorCode::kAccessDenied);
  ASSERT_TRUE(Call("CreateAlias", {{"AliasName", "alias/finance-app"}, {"TargetKeyId", key}}).ok());
  EXPECT_TRUE(EncryptAs(bob, key).ok());  // one of its two aliases matches; the Allow is now cached
  EXPECT_TRUE(EncryptAs(bob, key).ok());
  ASSERT_TRUE(Call("UpdateAlias", {{"AliasName", "alias/finance-app"}, {"TargetKeyId", other}}).ok());
  EXPECT_EQ(CodeOf(EncryptAs(bob, key)), ErrorCode::kAccessDenied);  // the cached Allow is not reused
  EXPECT_TRUE(EncryptAs(bob, other).ok());
  ASSERT_TRUE(Call("DeleteAlias", {{"AliasName", "alias/finance-app"}}).ok());
  EXPECT_EQ(CodeOf(EncryptAs(bob, other)), ErrorCode::kAccessDenied);
}

TEST_F(KmsAuthzTest, ResourceAliasesWithForAllValues) {
  const RequestContext bob = As(kAccount, "bob");
  AllowEncryptWhenAliases(identities_, bob, "ForAllValues:StringLike");
  const std::string key = CreateKeyId();
  EXPECT_TRUE(EncryptAs(bob, key).ok());  // no aliases: ForAllValues holds for the empty set
  ASSERT_TRUE(Call("CreateAlias", {{"AliasName", "alias/finance-a"}, {"TargetKeyId", key}}).ok());
  EXPECT_TRUE(EncryptAs(bob, key).ok());
  ASSERT_TRUE(Call("CreateAlias", {{"AliasName", "alias/other"}, {"TargetKeyId", key}}).ok());
  EXPECT_EQ(CodeOf(EncryptAs(bob, key)), ErrorCode::kAccessDenied);  // alias/other is not finance-*
  ASSERT_TRUE(Call("DeleteAlias", {{"AliasName", "alias/other"}}).ok());
  EXPECT_TRUE(EncryptAs(bob, key).ok());
}

TEST_F(KmsAuthzTest, AliasIndexListsEveryAliasOfAKeySorted) {
  const std::string key = CreateKeyId();
  const std::string other = CreateKeyId();
  for (const char* name : {"alias/zeta", "alias/alpha", "alias/mid"}) {
    ASSERT_TRUE(Call("CreateAlias", {{"AliasName", name}, {"TargetKeyId", key}}).ok());
  }
  ASSERT_TRUE(Call("CreateAlias", {{"AliasName", "alias/elsewhere"}, {"TargetKeyId", other}}).ok());
  auto loaded = keys_.Load(kRegion, kAccount, key);
  ASSERT_TRUE(loaded.ok());
  auto names = alias_index_.AliasesOf((*loaded)->record);
  ASSERT_TRUE(names.ok());
  EXPECT_EQ(*names, (std::vector<std::string>{"alias/alpha", "alias/mid", "alias/zeta"}));
  ASSERT_TRUE(Call("ScheduleKeyDeletion", {{"KeyId", key}, {"PendingWindowInDays", 7}}).ok());
  AdvanceMs(8 * kDayMs);
  EXPECT_EQ(Sweep(), 1);  // the key's aliases go with it
  names = alias_index_.AliasesOf((*loaded)->record);
  ASSERT_TRUE(names.ok());
  EXPECT_TRUE(names->empty());
}

}  // namespace
}  // namespace coffer::kms::testing

namespace coffer::kms::testing {
namespace {

// Calls another service of this server makes for its caller (service_client.h).
class ServiceKmsTest : public KmsAuthzTest {
 protected:
  ViaService Via(std::string service) {
    return ViaService{std::move(service), std::string(kAccount), std::string(kRegion), ctx_.principal_arn,
                      ctx_.who};
  }
  ServiceKms service_kms_{kms_};
};

TEST_F(ServiceKmsTest, AwsManagedKeyIsUsableOnlyThroughItsOwnService) {
  auto data_key =
      service_kms_.GenerateDataKey(Via("secretsmanager"), "alias/aws/secretsmanager", {{"a", "b"}});
  ASSERT_TRUE(data_key.ok()) << data_key.status().ToString();
  EXPECT_EQ(data_key->plaintext.size(), 32u);
  EXPECT_TRUE(data_key->key_arn.starts_with("arn:aws:kms:"));
  auto opened = service_kms_.Decrypt(Via("secretsmanager"), data_key->ciphertext_blob, {{"a", "b"}});
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  EXPECT_TRUE(opened->view().size() == 32 &&
              std::equal(opened->view().begin(), opened->view().end(), data_key->plaintext.view().begin()));
  // The managed key's policy requires kms:ViaService = secretsmanager.<region>.amazonaws.com:
  // another service, and the caller directly, are refused.
  EXPECT_EQ(CodeOf(service_kms_.Decrypt(Via("ssm"), data_key->ciphertext_blob, {{"a", "b"}})),
            ErrorCode::kAccessDenied);
  EXPECT_EQ(CodeOf(CallAs(ctx_, "Decrypt",
                          {{"CiphertextBlob", Base64Encode(data_key->ciphertext_blob)},
                           {"EncryptionContext", {{"a", "b"}}}})),
            ErrorCode::kAccessDenied);
}

TEST_F(ServiceKmsTest, WrongEncryptionContextFailsDecrypt) {
  const std::string key = CreateKeyId();
  auto blob = service_kms_.Encrypt(Via("ssm"), key, {{"PARAMETER_ARN", "p1"}}, AsBytes("value"));
  ASSERT_TRUE(blob.ok()) << blob.status().ToString();
  EXPECT_EQ(CodeOf(service_kms_.Decrypt(Via("ssm"), *blob, {{"PARAMETER_ARN", "p2"}})),
            ErrorCode::kInvalidCiphertext);
  auto opened = service_kms_.Decrypt(Via("ssm"), *blob, {{"PARAMETER_ARN", "p1"}}, key);
  ASSERT_TRUE(opened.ok());
  EXPECT_EQ(std::string(AsChars(opened->view())), "value");
}

TEST_F(ServiceKmsTest, CallerWithoutPermissionIsRefused) {
  const std::string key = CreateKeyId();
  ViaService bob = Via("secretsmanager");
  bob.principal_arn = "arn:aws:iam::" + std::string(kAccount) + ":user/bob";
  bob.who.caller = {bob.principal_arn, "", std::string(kAccount), "", false};
  EXPECT_EQ(CodeOf(service_kms_.GenerateDataKey(bob, key, {})), ErrorCode::kAccessDenied);
  EXPECT_EQ(CodeOf(service_kms_.DescribeKeyArn(bob, key)), ErrorCode::kAccessDenied);
}

}  // namespace
}  // namespace coffer::kms::testing

namespace coffer::kms::testing {
namespace {

// Counts the random bytes drawn, to show that a refused call did no work.
class CountingRandom final : public RandomSource {
 public:
  explicit CountingRandom(RandomSource& inner) : inner_(inner) {}
  Status Fill(std::span<std::uint8_t> out) override {
    drawn_ += out.size();
    return inner_.Fill(out);
  }
  std::size_t drawn() const { return drawn_; }

 private:
  RandomSource& inner_;
  std::size_t drawn_ = 0;
};

class ImportAuthzTest : public KmsAuthzTest {
 protected:
  StatusOr<Json> CallOn(KmsService& service, const RequestContext& who, std::string_view op,
                        const Json& req) {
    RequestContext ctx = who;
    ctx.action = "kms:" + std::string(op);
    ctx.request = &req;
    for (const Operation& candidate : Operations()) {
      if (candidate.name == op) return candidate.fn(service, ctx, req);
    }
    return InternalError("no such operation");
  }
  Json ParamsRequest(const std::string& key) {
    return {{"KeyId", key}, {"WrappingAlgorithm", "RSAES_OAEP_SHA_256"}, {"WrappingKeySpec", "RSA_2048"}};
  }
};

TEST_F(ImportAuthzTest, GetParametersForImportIsAuthorizedBeforeAnyWork) {
  const std::string external = CreateKeyId({{"Origin", "EXTERNAL"}});
  const std::string generated = CreateKeyId();
  CountingRandom counting(random_);
  KmsService service(keys_, counting, clock_);
  service.SetAuthorizer(&authorizer_);
  const RequestContext bob = As(kAccount, "bob");
  EXPECT_EQ(CodeOf(CallOn(service, bob, "GetParametersForImport", ParamsRequest(external))),
            ErrorCode::kAccessDenied);
  // A key of the wrong origin is not revealed to a caller who may not use it.
  EXPECT_EQ(CodeOf(CallOn(service, bob, "GetParametersForImport", ParamsRequest(generated))),
            ErrorCode::kAccessDenied);
  EXPECT_EQ(counting.drawn(), 0u) << "a wrapping key or import token was made for a refused caller";
  // The administrator still gets parameters, and the wrong origin is named to them.
  EXPECT_TRUE(CallOn(service, ctx_, "GetParametersForImport", ParamsRequest(external)).ok());
  EXPECT_GT(counting.drawn(), 0u);
  EXPECT_EQ(CodeOf(CallOn(service, ctx_, "GetParametersForImport", ParamsRequest(generated))),
            ErrorCode::kUnsupportedOperation);
}

TEST_F(ImportAuthzTest, ImportAndDeleteImportedMaterialAreRefusedWithoutPermission) {
  const std::string external = CreateKeyId({{"Origin", "EXTERNAL"}});
  const RequestContext bob = As(kAccount, "bob");
  EXPECT_EQ(CodeOf(CallAs(bob, "ImportKeyMaterial",
                          {{"KeyId", external},
                           {"ImportToken", B64("token")},
                           {"EncryptedKeyMaterial", B64("material")},
                           {"ExpirationModel", "KEY_MATERIAL_DOES_NOT_EXPIRE"}})),
            ErrorCode::kAccessDenied);
  EXPECT_EQ(CodeOf(CallAs(bob, "DeleteImportedKeyMaterial", {{"KeyId", external}})),
            ErrorCode::kAccessDenied);
  EXPECT_EQ(Describe(external)["KeyState"], "PendingImport");
}

TEST_F(KmsAuthzTest, RotateKeyOnDemandOfAnAwsManagedKeyIsAccessDenied) {
  const std::string key_id = Describe("alias/aws/ebs")["KeyId"].get<std::string>();
  auto refused = Call("RotateKeyOnDemand", {{"KeyId", key_id}});
  ASSERT_EQ(CodeOf(refused), ErrorCode::kAccessDenied);
  EXPECT_NE(refused.status().message().find("kms:RotateKeyOnDemand"), std::string::npos);
  EXPECT_TRUE(MustCall("ListKeyRotations", {{"KeyId", key_id}})["Rotations"].empty());
}

}  // namespace
}  // namespace coffer::kms::testing

namespace coffer::kms::testing {
namespace {

class FakeKeyUsage final : public KeyUsageSource {
 public:
  StatusOr<std::optional<KeyLastUse>> LastUse(std::string_view key_arn) override {
    asked.emplace_back(key_arn);
    return use;
  }
  TimePoint TrackingStart() override { return start; }
  std::optional<KeyLastUse> use;
  TimePoint start{};
  std::vector<std::string> asked;
};

class KeyLastUsageTest : public KmsAuthzTest {
 protected:
  void SetUp() override {
    KmsAuthzTest::SetUp();
    kms_.SetKeyUsage(&usage_);
  }
  FakeKeyUsage usage_;
};

TEST_F(KeyLastUsageTest, ReportsTheTrailsLastUse) {
  const std::string key = CreateKeyId();
  usage_.use = KeyLastUse{"Sign", FromEpochMillis(kStartMs + 5'000), "event-1", "request-1"};
  const Json out = MustCall("GetKeyLastUsage", {{"KeyId", ArnOf(key)}});
  EXPECT_EQ(usage_.asked, std::vector<std::string>{ArnOf(key)});
  EXPECT_EQ(out["KeyId"], key);
  EXPECT_EQ(out["KeyLastUsage"], Json({{"Operation", "Sign"},
                                       {"Timestamp", (kStartMs + 5'000) / 1000.0},
                                       {"CloudTrailEventId", "event-1"},
                                       {"KmsRequestId", "request-1"}}));
  // Tracking began before the key existed: it starts at the key's creation.
  EXPECT_EQ(out["TrackingStartDate"], out["KeyCreationDate"]);
}

TEST_F(KeyLastUsageTest, AnUnusedKeyHasAnEmptyLastUsageAndTheLaterTrackingStart) {
  const std::string key = CreateKeyId();
  usage_.start = FromEpochMillis(kStartMs + 60'000);
  const Json out = MustCall("GetKeyLastUsage", {{"KeyId", key}});
  EXPECT_TRUE(out["KeyLastUsage"].empty());
  EXPECT_EQ(out["TrackingStartDate"], (kStartMs + 60'000) / 1000.0);
}

TEST_F(KeyLastUsageTest, IsAuthorizedAndSameAccountOnly) {
  const std::string key = CreateKeyId();
  EXPECT_EQ(CodeOf(CallAs(As(kAccount, "bob"), "GetKeyLastUsage", {{"KeyId", key}})),
            ErrorCode::kAccessDenied);
  EXPECT_EQ(CodeOf(CallAs(As("444455556666", "eve"), "GetKeyLastUsage",
                          {{"KeyId", "arn:aws:kms:" + std::string(kRegion) + ":" + std::string(kAccount) +
                                         ":key/" + key}})),
            ErrorCode::kAccessDenied);
  EXPECT_TRUE(usage_.asked.empty()) << "the trail was read for a refused caller";
}

TEST_F(KmsAuthzTest, GetKeyLastUsageWithoutATrailIsUnsupported) {
  const std::string key = CreateKeyId();
  EXPECT_EQ(CodeOf(Call("GetKeyLastUsage", {{"KeyId", key}})), ErrorCode::kUnsupportedOperation);
}

}  // namespace
}  // namespace coffer::kms::testing

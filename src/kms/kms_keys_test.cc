// Key lifecycle operations that do not involve time: CreateKey, DescribeKey,
// ListKeys, EnableKey, DisableKey, UpdateKeyDescription, and the KeyStore
// cache seen through them.
#include <gtest/gtest.h>

#include <set>
#include <string>

#include "kms/kms_test_util.h"

namespace coffer::kms::testing {
namespace {

using KeysTest = KmsTest;

bool IsUuid(std::string_view id) {
  if (id.size() != 36) return false;
  for (std::size_t i = 0; i < id.size(); ++i) {
    const bool dash_position = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash_position != (id[i] == '-')) return false;
    if (!dash_position && !IsLowerHex(id.substr(i, 1), 1)) return false;
  }
  return true;
}

// ---- CreateKey ----

TEST_F(KeysTest, CreateKeyDefaultsToAnEnabledCustomerManagedSymmetricKey) {
  const Json metadata = MustCall("CreateKey", Json::object())["KeyMetadata"];
  const std::string key_id = metadata["KeyId"].get<std::string>();
  EXPECT_TRUE(IsUuid(key_id)) << key_id;
  EXPECT_EQ(metadata["Arn"], "arn:aws:kms:us-east-1:111122223333:key/" + key_id);
  EXPECT_EQ(metadata["AWSAccountId"], kAccount);
  EXPECT_EQ(metadata["KeyState"], "Enabled");
  EXPECT_EQ(metadata["Enabled"], true);
  EXPECT_EQ(metadata["KeyManager"], "CUSTOMER");
  EXPECT_EQ(metadata["KeySpec"], "SYMMETRIC_DEFAULT");
  EXPECT_EQ(metadata["CustomerMasterKeySpec"], "SYMMETRIC_DEFAULT");
  EXPECT_EQ(metadata["KeyUsage"], "ENCRYPT_DECRYPT");
  EXPECT_EQ(metadata["Origin"], "AWS_KMS");
  EXPECT_EQ(metadata["EncryptionAlgorithms"], Json::array({"SYMMETRIC_DEFAULT"}));
  EXPECT_EQ(metadata["MultiRegion"], false);
  EXPECT_EQ(metadata["Description"], "");
  EXPECT_DOUBLE_EQ(metadata["CreationDate"].get<double>(), static_cast<double>(kStartMs) / 1000.0);
  EXPECT_TRUE(IsLowerHex(metadata["CurrentKeyMaterialId"].get<std::string>(), 64));
  EXPECT_FALSE(metadata.contains("DeletionDate"));
}

TEST_F(KeysTest, CreateKeyKeepsDescriptionAndGivesEachKeyItsOwnIdAndMaterial) {
  const Json first = MustCall("CreateKey", {{"Description", "payroll"}})["KeyMetadata"];
  const Json second = MustCall("CreateKey", Json::object())["KeyMetadata"];
  EXPECT_EQ(first["Description"], "payroll");
  EXPECT_NE(first["KeyId"], second["KeyId"]);
  EXPECT_NE(first["CurrentKeyMaterialId"], second["CurrentKeyMaterialId"]);
}

TEST_F(KeysTest, CreateKeyAcceptsExplicitSymmetricDefaults) {
  EXPECT_EQ(CodeOf(Call("CreateKey", {{"KeySpec", "SYMMETRIC_DEFAULT"},
                                      {"KeyUsage", "ENCRYPT_DECRYPT"},
                                      {"Origin", "AWS_KMS"},
                                      {"MultiRegion", false}})),
            ErrorCode::kOk);
}

TEST_F(KeysTest, CreateKeyRefusesWhatThisServerDoesNotImplement) {
  EXPECT_EQ(CodeOf(Call("CreateKey", {{"KeySpec", "ML_DSA_65"}, {"KeyUsage", "SIGN_VERIFY"}})),
            ErrorCode::kUnsupportedOperation);
  EXPECT_EQ(CodeOf(Call("CreateKey", {{"Origin", "EXTERNAL_KEY_STORE"}})), ErrorCode::kUnsupportedOperation);
  EXPECT_EQ(CodeOf(Call("CreateKey", {{"MultiRegion", true}})), ErrorCode::kUnsupportedOperation);
  EXPECT_EQ(CodeOf(Call("CreateKey", {{"CustomKeyStoreId", "cks-1234567890abcdef0"}})),
            ErrorCode::kUnsupportedOperation);
}

TEST_F(KeysTest, CreateKeyRefusesInconsistentSpecAndUsage) {
  EXPECT_EQ(
      CodeOf(Call("CreateKey", {{"KeySpec", "SYMMETRIC_DEFAULT"}, {"CustomerMasterKeySpec", "RSA_2048"}})),
      ErrorCode::kValidation);
  EXPECT_EQ(CodeOf(Call("CreateKey", {{"KeyUsage", "SIGN_VERIFY"}})), ErrorCode::kValidation);
}

// ---- DescribeKey ----

TEST_F(KeysTest, DescribeKeyFindsTheKeyByIdArnAliasAndAliasArn) {
  const std::string key_id = CreateKeyId();
  MustCall("CreateAlias", {{"AliasName", "alias/app"}, {"TargetKeyId", key_id}});
  for (const std::string& ref : {key_id, ArnOf(key_id), std::string("alias/app"),
                                 std::string("arn:aws:kms:us-east-1:111122223333:alias/app")}) {
    auto result = Call("DescribeKey", {{"KeyId", ref}});
    ASSERT_TRUE(result.ok()) << ref << ": " << result.status().ToString();
    EXPECT_EQ((*result)["KeyMetadata"]["KeyId"], key_id) << ref;
  }
}

TEST_F(KeysTest, DescribeKeyOfAnotherAccountsKeyArnIsDenied) {
  const std::string key_id = CreateKeyId();
  auto result = Call("DescribeKey", {{"KeyId", KeyArn(kRegion, kOtherAccount, key_id)}});
  EXPECT_EQ(CodeOf(result), ErrorCode::kAccessDenied);
}

TEST_F(KeysTest, DescribeKeyOfAnotherRegionsKeyArnIsNotFound) {
  const std::string key_id = CreateKeyId();
  EXPECT_EQ(CodeOf(Call("DescribeKey", {{"KeyId", KeyArn(kOtherRegion, kAccount, key_id)}})),
            ErrorCode::kNotFound);
}

TEST_F(KeysTest, KeysAreScopedToTheCallersAccountAndRegion) {
  const std::string key_id = CreateKeyId();
  EXPECT_EQ(CodeOf(CallAs(ContextFor(kOtherAccount, kRegion), "DescribeKey", {{"KeyId", key_id}})),
            ErrorCode::kNotFound);
  EXPECT_EQ(CodeOf(CallAs(ContextFor(kAccount, kOtherRegion), "DescribeKey", {{"KeyId", key_id}})),
            ErrorCode::kNotFound);
}

TEST_F(KeysTest, DescribeKeyOfUnknownOrMalformedReferencesIsNotFound) {
  CreateKeyId();
  for (const std::string ref :
       {"00000000-0000-4000-8000-000000000000",
        "arn:aws:kms:us-east-1:111122223333:key/00000000-0000-4000-8000-000000000000", "alias/missing",
        "arn:aws:kms:us-east-1:111122223333:alias/missing", "arn:aws:kms:us-east-1:111122223333:key/",
        "arn:aws:s3:us-east-1:111122223333:key/x", "arn:aws:kms:us-east-1:111122223333:bucket/x"}) {
    EXPECT_EQ(CodeOf(Call("DescribeKey", {{"KeyId", ref}})), ErrorCode::kNotFound) << ref;
  }
}

TEST_F(KeysTest, AliasArnOfAnotherAccountOrRegionIsNotFound) {
  const std::string key_id = CreateKeyId();
  MustCall("CreateAlias", {{"AliasName", "alias/app"}, {"TargetKeyId", key_id}});
  EXPECT_EQ(CodeOf(Call("DescribeKey", {{"KeyId", AliasArn(kRegion, kOtherAccount, "alias/app")}})),
            ErrorCode::kNotFound);
  EXPECT_EQ(CodeOf(Call("DescribeKey", {{"KeyId", AliasArn(kOtherRegion, kAccount, "alias/app")}})),
            ErrorCode::kNotFound);
}

// ---- ListKeys ----

TEST_F(KeysTest, ListKeysPagesThroughEveryKeyOnce) {
  std::set<std::string> created;
  for (int i = 0; i < 5; ++i) created.insert(CreateKeyId());
  // Another account's key is never listed.
  ASSERT_TRUE(CallAs(ContextFor(kOtherAccount, kRegion), "CreateKey", Json::object()).ok());

  std::set<std::string> listed;
  Json request = {{"Limit", 2}};
  std::vector<std::size_t> page_sizes;
  while (true) {
    const Json page = MustCall("ListKeys", request);
    page_sizes.push_back(page["Keys"].size());
    for (const Json& key : page["Keys"]) {
      const std::string id = key["KeyId"].get<std::string>();
      EXPECT_EQ(key["KeyArn"], ArnOf(id));
      EXPECT_TRUE(listed.insert(id).second) << "listed twice: " << id;
    }
    if (!page["Truncated"].get<bool>()) {
      EXPECT_FALSE(page.contains("NextMarker"));
      break;
    }
    ASSERT_TRUE(page.contains("NextMarker"));
    request["Marker"] = page["NextMarker"];
    ASSERT_LT(page_sizes.size(), 10u) << "pagination does not end";
  }
  EXPECT_EQ(listed, created);
  EXPECT_EQ(page_sizes, (std::vector<std::size_t>{2, 2, 1}));
}

TEST_F(KeysTest, ListKeysWithoutLimitReturnsEverythingUntruncated) {
  for (int i = 0; i < 3; ++i) CreateKeyId();
  const Json page = MustCall("ListKeys", Json::object());
  EXPECT_EQ(page["Keys"].size(), 3u);
  EXPECT_EQ(page["Truncated"], false);
}

TEST_F(KeysTest, ListKeysRejectsAMarkerItDidNotIssue) {
  CreateKeyId();
  EXPECT_EQ(CodeOf(Call("ListKeys", {{"Marker", "not base64!"}})), ErrorCode::kInvalidMarker);
  EXPECT_EQ(CodeOf(Call("ListKeys", {{"Marker", ""}})), ErrorCode::kInvalidMarker);
}

// ---- EnableKey, DisableKey, UpdateKeyDescription ----

TEST_F(KeysTest, DisableAndEnableChangeTheKeyState) {
  const std::string key_id = CreateKeyId();
  MustCall("DisableKey", {{"KeyId", key_id}});
  EXPECT_EQ(Describe(key_id)["KeyState"], "Disabled");
  EXPECT_EQ(Describe(key_id)["Enabled"], false);
  MustCall("EnableKey", {{"KeyId", ArnOf(key_id)}});
  EXPECT_EQ(Describe(key_id)["KeyState"], "Enabled");
  EXPECT_EQ(Describe(key_id)["Enabled"], true);
}

TEST_F(KeysTest, StateChangesNeedAKeyIdOrArnNotAnAlias) {
  const std::string key_id = CreateKeyId();
  MustCall("CreateAlias", {{"AliasName", "alias/app"}, {"TargetKeyId", key_id}});
  EXPECT_EQ(CodeOf(Call("DisableKey", {{"KeyId", "alias/app"}})), ErrorCode::kNotFound);
  EXPECT_EQ(CodeOf(Call("DisableKey", {{"KeyId", "00000000-0000-4000-8000-000000000000"}})),
            ErrorCode::kNotFound);
  EXPECT_EQ(CodeOf(Call("DisableKey", {{"KeyId", KeyArn(kRegion, kOtherAccount, key_id)}})),
            ErrorCode::kAccessDenied);
  EXPECT_EQ(Describe(key_id)["KeyState"], "Enabled");
}

TEST_F(KeysTest, UpdateKeyDescriptionReplacesTheDescription) {
  const std::string key_id = CreateKeyId({{"Description", "old"}});
  MustCall("UpdateKeyDescription", {{"KeyId", key_id}, {"Description", "new"}});
  EXPECT_EQ(Describe(key_id)["Description"], "new");
}

// ---- the KeyStore cache, seen through the operations ----

TEST_F(KeysTest, DisablingAKeyTakesEffectDespiteTheCachedEnabledEntry) {
  const std::string key_id = CreateKeyId();
  EncryptText(key_id, "warm the cache");
  MustCall("DisableKey", {{"KeyId", key_id}});
  auto result = Call("Encrypt", {{"KeyId", key_id}, {"Plaintext", B64("x")}});
  EXPECT_EQ(CodeOf(result), ErrorCode::kDisabled);
  MustCall("EnableKey", {{"KeyId", key_id}});
  EXPECT_EQ(CodeOf(Call("Encrypt", {{"KeyId", key_id}, {"Plaintext", B64("x")}})), ErrorCode::kOk);
}

TEST_F(KeysTest, RepointingAnAliasTakesEffectDespiteTheCachedTarget) {
  const std::string first = CreateKeyId();
  const std::string second = CreateKeyId();
  MustCall("CreateAlias", {{"AliasName", "alias/app"}, {"TargetKeyId", first}});
  EXPECT_EQ(Describe("alias/app")["KeyId"], first);
  MustCall("UpdateAlias", {{"AliasName", "alias/app"}, {"TargetKeyId", second}});
  EXPECT_EQ(Describe("alias/app")["KeyId"], second);
  MustCall("DeleteAlias", {{"AliasName", "alias/app"}});
  EXPECT_EQ(CodeOf(Call("DescribeKey", {{"KeyId", "alias/app"}})), ErrorCode::kNotFound);
}

TEST_F(KeysTest, KeyMaterialIsStoredOnlyWrapped) {
  const std::string key_id = CreateKeyId();
  auto txn = store_->BeginRead();
  ASSERT_TRUE(txn.ok());
  auto entries = (*txn)->Scan("keys", "", "", 100);
  ASSERT_TRUE(entries.ok());
  ASSERT_EQ(entries->size(), 1u);
  // Another KeyStore under a different root key cannot load the key.
  Bytes other(32, 0xee);
  rootkey::SoftwareRootKey other_root(SecretBytes(other), random_);
  KeyStore other_store(*store_, other_root, random_);
  auto loaded = other_store.Load(kRegion, kAccount, key_id);
  ASSERT_FALSE(loaded.ok());
  EXPECT_EQ(loaded.status().code(), ErrorCode::kInternal);
}

}  // namespace
}  // namespace coffer::kms::testing

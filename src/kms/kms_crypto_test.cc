// Cryptographic operations: Encrypt, Decrypt, ReEncrypt, GenerateDataKey(+
// WithoutPlaintext), GenerateRandom, and AWS managed keys created on first use.
#include <gtest/gtest.h>

#include <string>

#include "kms/kms_test_util.h"

namespace coffer::kms::testing {
namespace {

using CryptoTest = KmsTest;

const Json kContext = {{"department", "finance"}, {"purpose", "payroll"}};

TEST_F(CryptoTest, EncryptThenDecryptReturnsThePlaintext) {
  const std::string key_id = CreateKeyId();
  const Json encrypted = MustCall("Encrypt", {{"KeyId", key_id}, {"Plaintext", B64("hello, kms")}});
  EXPECT_EQ(encrypted["KeyId"], ArnOf(key_id));
  EXPECT_EQ(encrypted["EncryptionAlgorithm"], "SYMMETRIC_DEFAULT");
  auto decrypted = DecryptBlob(encrypted["CiphertextBlob"].get<std::string>());
  ASSERT_TRUE(decrypted.ok()) << decrypted.status().ToString();
  EXPECT_EQ(UnB64((*decrypted)["Plaintext"]), "hello, kms");
  EXPECT_EQ((*decrypted)["KeyId"], ArnOf(key_id));
  EXPECT_EQ((*decrypted)["EncryptionAlgorithm"], "SYMMETRIC_DEFAULT");
  EXPECT_EQ((*decrypted)["KeyMaterialId"], Describe(key_id)["CurrentKeyMaterialId"]);
}

TEST_F(CryptoTest, EncryptAcceptsEveryFormOfKeyReference) {
  const std::string key_id = CreateKeyId();
  MustCall("CreateAlias", {{"AliasName", "alias/app"}, {"TargetKeyId", key_id}});
  for (const std::string& ref :
       {key_id, ArnOf(key_id), std::string("alias/app"), AliasArn(kRegion, kAccount, "alias/app")}) {
    const std::string blob = EncryptText(ref, "via " + ref);
    auto decrypted = DecryptBlob(blob);
    ASSERT_TRUE(decrypted.ok()) << ref;
    EXPECT_EQ(UnB64((*decrypted)["Plaintext"]), "via " + ref);
    EXPECT_EQ((*decrypted)["KeyId"], ArnOf(key_id));
  }
}

TEST_F(CryptoTest, EncryptOfAnUnknownKeyIsNotFound) {
  EXPECT_EQ(CodeOf(Call("Encrypt", {{"KeyId", "alias/missing"}, {"Plaintext", B64("x")}})),
            ErrorCode::kNotFound);
}

TEST_F(CryptoTest, EncryptRefusesAsymmetricAlgorithms) {
  const std::string key_id = CreateKeyId();
  EXPECT_EQ(CodeOf(Call(
                "Encrypt",
                {{"KeyId", key_id}, {"Plaintext", B64("x")}, {"EncryptionAlgorithm", "RSAES_OAEP_SHA_256"}})),
            ErrorCode::kInvalidKeyUsage);
  EXPECT_EQ(CodeOf(Call(
                "Encrypt",
                {{"KeyId", key_id}, {"Plaintext", B64("x")}, {"EncryptionAlgorithm", "SYMMETRIC_DEFAULT"}})),
            ErrorCode::kOk);
}

TEST_F(CryptoTest, DryRunAnswersWithoutEncrypting) {
  const std::string key_id = CreateKeyId();
  EXPECT_EQ(CodeOf(Call("Encrypt", {{"KeyId", key_id}, {"Plaintext", B64("x")}, {"DryRun", true}})),
            ErrorCode::kDryRunOperation);
}

TEST_F(CryptoTest, DecryptWithTheRightKeyIdSucceedsAndWithAnotherIsIncorrectKey) {
  const std::string key_id = CreateKeyId();
  const std::string other_id = CreateKeyId();
  MustCall("CreateAlias", {{"AliasName", "alias/app"}, {"TargetKeyId", key_id}});
  const std::string blob = EncryptText(key_id, "secret");
  EXPECT_EQ(CodeOf(DecryptBlob(blob, Json::object(), key_id)), ErrorCode::kOk);
  EXPECT_EQ(CodeOf(DecryptBlob(blob, Json::object(), ArnOf(key_id))), ErrorCode::kOk);
  EXPECT_EQ(CodeOf(DecryptBlob(blob, Json::object(), "alias/app")), ErrorCode::kOk);
  EXPECT_EQ(CodeOf(DecryptBlob(blob, Json::object(), other_id)), ErrorCode::kIncorrectKey);
}

TEST_F(CryptoTest, DecryptNeedsTheSameEncryptionContext) {
  const std::string key_id = CreateKeyId();
  const std::string blob = EncryptText(key_id, "bound", kContext);
  auto ok = DecryptBlob(blob, {{"purpose", "payroll"}, {"department", "finance"}});  // order is irrelevant
  ASSERT_TRUE(ok.ok()) << ok.status().ToString();
  EXPECT_EQ(UnB64((*ok)["Plaintext"]), "bound");

  const Json different = {{"department", "finance"}, {"purpose", "bonus"}};
  const Json missing = {{"department", "finance"}};
  const Json extra = {{"department", "finance"}, {"purpose", "payroll"}, {"year", "2024"}};
  for (const Json& wrong : {different, missing, extra, Json::object()}) {
    EXPECT_EQ(CodeOf(DecryptBlob(blob, wrong)), ErrorCode::kInvalidCiphertext) << wrong;
  }
}

TEST_F(CryptoTest, DecryptOfATamperedBlobIsInvalidCiphertext) {
  const std::string key_id = CreateKeyId();
  auto raw = Base64Decode(EncryptText(key_id, "tamper me"));
  ASSERT_TRUE(raw.has_value());
  for (std::size_t i = 0; i < raw->size(); ++i) {
    Bytes tampered = *raw;
    tampered[i] ^= 0x01;
    const ErrorCode code = CodeOf(DecryptBlob(Base64Encode(tampered)));
    // Flipping a byte of the account id points at another account's key.
    if (code == ErrorCode::kAccessDenied) continue;
    EXPECT_EQ(code, ErrorCode::kInvalidCiphertext) << "byte " << i;
  }
  EXPECT_EQ(CodeOf(DecryptBlob(B64("not a ciphertext at all"))), ErrorCode::kInvalidCiphertext);
}

TEST_F(CryptoTest, DecryptOfAnotherAccountsCiphertextIsDenied) {
  const RequestContext other = ContextFor(kOtherAccount, kRegion);
  auto created = CallAs(other, "CreateKey", Json::object());
  ASSERT_TRUE(created.ok());
  auto encrypted =
      CallAs(other, "Encrypt", {{"KeyId", (*created)["KeyMetadata"]["KeyId"]}, {"Plaintext", B64("x")}});
  ASSERT_TRUE(encrypted.ok());
  EXPECT_EQ(CodeOf(DecryptBlob((*encrypted)["CiphertextBlob"].get<std::string>())), ErrorCode::kAccessDenied);
}

TEST_F(CryptoTest, DecryptInAnotherRegionDoesNotFindTheKey) {
  const std::string blob = EncryptText(CreateKeyId(), "regional");
  auto result = CallAs(ContextFor(kAccount, kOtherRegion), "Decrypt", {{"CiphertextBlob", blob}});
  EXPECT_EQ(CodeOf(result), ErrorCode::kInvalidCiphertext);
}

TEST_F(CryptoTest, DisabledKeysRefuseEveryCryptographicOperation) {
  const std::string key_id = CreateKeyId();
  const std::string blob = EncryptText(key_id, "before");
  MustCall("DisableKey", {{"KeyId", key_id}});
  EXPECT_EQ(CodeOf(Call("Encrypt", {{"KeyId", key_id}, {"Plaintext", B64("x")}})), ErrorCode::kDisabled);
  EXPECT_EQ(CodeOf(DecryptBlob(blob)), ErrorCode::kDisabled);
  EXPECT_EQ(CodeOf(Call("GenerateDataKey", {{"KeyId", key_id}, {"KeySpec", "AES_256"}})),
            ErrorCode::kDisabled);
  MustCall("EnableKey", {{"KeyId", key_id}});
  EXPECT_EQ(CodeOf(DecryptBlob(blob)), ErrorCode::kOk);
}

// ---- GenerateDataKey ----

TEST_F(CryptoTest, GenerateDataKeyNeedsExactlyOneOfKeySpecAndNumberOfBytes) {
  const std::string key_id = CreateKeyId();
  EXPECT_EQ(CodeOf(Call("GenerateDataKey", {{"KeyId", key_id}})), ErrorCode::kValidation);
  EXPECT_EQ(
      CodeOf(Call("GenerateDataKey", {{"KeyId", key_id}, {"KeySpec", "AES_256"}, {"NumberOfBytes", 32}})),
      ErrorCode::kValidation);
  EXPECT_EQ(CodeOf(Call("GenerateDataKeyWithoutPlaintext", {{"KeyId", key_id}})), ErrorCode::kValidation);
}

TEST_F(CryptoTest, GenerateDataKeyLengthFollowsKeySpecOrNumberOfBytes) {
  const std::string key_id = CreateKeyId();
  EXPECT_EQ(
      UnB64(MustCall("GenerateDataKey", {{"KeyId", key_id}, {"KeySpec", "AES_256"}})["Plaintext"]).size(),
      32u);
  EXPECT_EQ(
      UnB64(MustCall("GenerateDataKey", {{"KeyId", key_id}, {"KeySpec", "AES_128"}})["Plaintext"]).size(),
      16u);
  EXPECT_EQ(UnB64(MustCall("GenerateDataKey", {{"KeyId", key_id}, {"NumberOfBytes", 1}})["Plaintext"]).size(),
            1u);
  EXPECT_EQ(
      UnB64(MustCall("GenerateDataKey", {{"KeyId", key_id}, {"NumberOfBytes", 1024}})["Plaintext"]).size(),
      1024u);
}

TEST_F(CryptoTest, GenerateDataKeyBlobDecryptsToItsPlaintext) {
  const std::string key_id = CreateKeyId();
  const Json data_key = MustCall(
      "GenerateDataKey", {{"KeyId", key_id}, {"KeySpec", "AES_256"}, {"EncryptionContext", kContext}});
  EXPECT_EQ(data_key["KeyId"], ArnOf(key_id));
  EXPECT_EQ(data_key["KeyMaterialId"], Describe(key_id)["CurrentKeyMaterialId"]);
  auto decrypted = DecryptBlob(data_key["CiphertextBlob"].get<std::string>(), kContext);
  ASSERT_TRUE(decrypted.ok()) << decrypted.status().ToString();
  EXPECT_EQ((*decrypted)["Plaintext"], data_key["Plaintext"]);
  EXPECT_EQ(CodeOf(DecryptBlob(data_key["CiphertextBlob"].get<std::string>())),
            ErrorCode::kInvalidCiphertext);
}

TEST_F(CryptoTest, GenerateDataKeyWithoutPlaintextReturnsOnlyTheBlob) {
  const std::string key_id = CreateKeyId();
  const Json data_key =
      MustCall("GenerateDataKeyWithoutPlaintext", {{"KeyId", key_id}, {"KeySpec", "AES_128"}});
  EXPECT_FALSE(data_key.contains("Plaintext"));
  auto decrypted = DecryptBlob(data_key["CiphertextBlob"].get<std::string>());
  ASSERT_TRUE(decrypted.ok());
  EXPECT_EQ(UnB64((*decrypted)["Plaintext"]).size(), 16u);
}

TEST_F(CryptoTest, EveryDataKeyIsFresh) {
  const std::string key_id = CreateKeyId();
  const Json a = MustCall("GenerateDataKey", {{"KeyId", key_id}, {"KeySpec", "AES_256"}});
  const Json b = MustCall("GenerateDataKey", {{"KeyId", key_id}, {"KeySpec", "AES_256"}});
  EXPECT_NE(a["Plaintext"], b["Plaintext"]);
  EXPECT_NE(a["CiphertextBlob"], b["CiphertextBlob"]);
}

TEST_F(CryptoTest, GenerateRandomReturnsTheRequestedNumberOfBytes) {
  EXPECT_EQ(UnB64(MustCall("GenerateRandom", {{"NumberOfBytes", 48}})["Plaintext"]).size(), 48u);
  EXPECT_EQ(CodeOf(Call("GenerateRandom", Json::object())), ErrorCode::kValidation);
  EXPECT_EQ(CodeOf(Call("GenerateRandom", {{"NumberOfBytes", 8}, {"CustomKeyStoreId", "cks-1"}})),
            ErrorCode::kUnsupportedOperation);
}

// ---- ReEncrypt ----

TEST_F(CryptoTest, ReEncryptMovesACiphertextToAnotherKeyAndContext) {
  const std::string source = CreateKeyId();
  const std::string destination = CreateKeyId();
  const std::string blob = EncryptText(source, "moving", kContext);
  const Json destination_context = {{"stage", "archive"}};
  const Json moved = MustCall("ReEncrypt", {{"CiphertextBlob", blob},
                                            {"SourceEncryptionContext", kContext},
                                            {"DestinationKeyId", destination},
                                            {"DestinationEncryptionContext", destination_context}});
  EXPECT_EQ(moved["SourceKeyId"], ArnOf(source));
  EXPECT_EQ(moved["KeyId"], ArnOf(destination));
  EXPECT_EQ(moved["SourceKeyMaterialId"], Describe(source)["CurrentKeyMaterialId"]);
  EXPECT_EQ(moved["DestinationKeyMaterialId"], Describe(destination)["CurrentKeyMaterialId"]);
  const std::string new_blob = moved["CiphertextBlob"].get<std::string>();
  auto decrypted = DecryptBlob(new_blob, destination_context);
  ASSERT_TRUE(decrypted.ok()) << decrypted.status().ToString();
  EXPECT_EQ(UnB64((*decrypted)["Plaintext"]), "moving");
  EXPECT_EQ((*decrypted)["KeyId"], ArnOf(destination));
  EXPECT_EQ(CodeOf(DecryptBlob(new_blob, destination_context, source)), ErrorCode::kIncorrectKey);
}

TEST_F(CryptoTest, ReEncryptChecksSourceKeyContextAndDestinationState) {
  const std::string source = CreateKeyId();
  const std::string destination = CreateKeyId();
  const std::string blob = EncryptText(source, "moving", kContext);
  EXPECT_EQ(CodeOf(Call("ReEncrypt", {{"CiphertextBlob", blob},
                                      {"SourceEncryptionContext", kContext},
                                      {"SourceKeyId", destination},
                                      {"DestinationKeyId", destination}})),
            ErrorCode::kIncorrectKey);
  EXPECT_EQ(CodeOf(Call("ReEncrypt", {{"CiphertextBlob", blob}, {"DestinationKeyId", destination}})),
            ErrorCode::kInvalidCiphertext);
  MustCall("DisableKey", {{"KeyId", destination}});
  EXPECT_EQ(CodeOf(Call("ReEncrypt", {{"CiphertextBlob", blob},
                                      {"SourceEncryptionContext", kContext},
                                      {"DestinationKeyId", destination}})),
            ErrorCode::kDisabled);
}

// ---- AWS managed keys ----

TEST_F(CryptoTest, AwsManagedAliasCreatesItsKeyOnceOnFirstUse) {
  EXPECT_EQ(MustCall("ListKeys", Json::object())["Keys"].size(), 0u);
  const Json first = MustCall("Encrypt", {{"KeyId", "alias/aws/ebs"}, {"Plaintext", B64("volume key")}});
  const Json second = MustCall("Encrypt", {{"KeyId", "alias/aws/ebs"}, {"Plaintext", B64("volume key")}});
  EXPECT_EQ(first["KeyId"], second["KeyId"]);
  EXPECT_EQ(MustCall("ListKeys", Json::object())["Keys"].size(), 1u);

  const Json metadata = Describe("alias/aws/ebs");
  EXPECT_EQ(metadata["Arn"], first["KeyId"]);
  EXPECT_EQ(metadata["KeyManager"], "AWS");
  EXPECT_EQ(metadata["KeyState"], "Enabled");
  auto decrypted = DecryptBlob(first["CiphertextBlob"].get<std::string>());
  ASSERT_TRUE(decrypted.ok());
  EXPECT_EQ(UnB64((*decrypted)["Plaintext"]), "volume key");
}

TEST_F(CryptoTest, AwsManagedKeysAreSeparatePerService) {
  const Json ebs = Describe("alias/aws/ebs");
  const Json s3 = Describe("alias/aws/s3");
  EXPECT_NE(ebs["KeyId"], s3["KeyId"]);
}

TEST_F(CryptoTest, AwsManagedKeysCannotBeChangedByTheCustomer) {
  const std::string key_id = Describe("alias/aws/ebs")["KeyId"].get<std::string>();
  EXPECT_EQ(CodeOf(Call("DisableKey", {{"KeyId", key_id}})), ErrorCode::kAccessDenied);
  EXPECT_EQ(CodeOf(Call("ScheduleKeyDeletion", {{"KeyId", key_id}, {"PendingWindowInDays", 7}})),
            ErrorCode::kAccessDenied);
  EXPECT_EQ(CodeOf(Call("PutKeyPolicy", {{"KeyId", key_id}, {"Policy", DefaultKeyPolicy(kAccount)}})),
            ErrorCode::kAccessDenied);
  EXPECT_EQ(
      CodeOf(Call("TagResource", {{"KeyId", key_id}, {"Tags", {{{"TagKey", "k"}, {"TagValue", "v"}}}}})),
      ErrorCode::kAccessDenied);
  EXPECT_EQ(CodeOf(Call("CreateAlias", {{"AliasName", "alias/mine"}, {"TargetKeyId", key_id}})),
            ErrorCode::kAccessDenied);
  EXPECT_EQ(CodeOf(Call("RotateKeyOnDemand", {{"KeyId", key_id}})), ErrorCode::kAccessDenied);
  EXPECT_EQ(Describe(key_id)["KeyState"], "Enabled");
}

TEST_F(CryptoTest, AwsManagedKeysRotateYearly) {
  const std::string key_id = Describe("alias/aws/ebs")["KeyId"].get<std::string>();
  const Json status = MustCall("GetKeyRotationStatus", {{"KeyId", key_id}});
  EXPECT_EQ(status["KeyRotationEnabled"], true);
  EXPECT_EQ(status["RotationPeriodInDays"], 365);
}

TEST_F(CryptoTest, OnlyWellFormedAwsServiceNamesCreateKeys) {
  EXPECT_EQ(CodeOf(Call("DescribeKey", {{"KeyId", "alias/aws/Not_A_Service"}})), ErrorCode::kNotFound);
  EXPECT_EQ(CodeOf(Call("DescribeKey", {{"KeyId", "alias/aws/"}})), ErrorCode::kNotFound);
  EXPECT_EQ(MustCall("ListKeys", Json::object())["Keys"].size(), 0u);
}

}  // namespace
}  // namespace coffer::kms::testing

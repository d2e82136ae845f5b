// Imported key material (Origin EXTERNAL): parameters, the four wrapping
// algorithms, re-import, deletion, expiry by the sweeper, and every import
// error. Material is wrapped here as a client would, with the public key.
#include <gtest/gtest.h>

#include "crypto/asymmetric.h"
#include "crypto/test_vectors.h"
#include "kms/kms_test_util.h"

namespace coffer::kms {
namespace {

using testing::B64;
using testing::BlobOf;
using testing::CodeOf;
using testing::kDayMs;
using testing::KmsTest;
using testing::kStartMs;
using testing::UnB64;

// What a client does with GetParametersForImport's public key.
Bytes WrapLocally(const Json& params, std::string_view algorithm, ByteView material) {
  auto pub = crypto::PublicKey::FromSpki(BlobOf(params["PublicKey"]));
  EXPECT_TRUE(pub.ok());
  const auto oaep = std::string_view(algorithm).ends_with("SHA_1") ? crypto::RsaPadding::kOaepSha1
                                                                   : crypto::RsaPadding::kOaepSha256;
  if (algorithm.starts_with("RSAES_OAEP")) return *(*pub)->Encrypt(oaep, material);
  const Bytes aes_key(32, 0x42);
  Bytes out = *(*pub)->Encrypt(oaep, aes_key);
  const Bytes wrapped = *crypto::AesKeyWrapPad(aes_key, material);
  out.insert(out.end(), wrapped.begin(), wrapped.end());
  return out;
}

class ImportTest : public KmsTest {
 protected:
  std::string CreateExternal(const Json& extra = Json::object()) {
    Json request = {{"Origin", "EXTERNAL"}};
    request.update(extra);
    return CreateKeyId(request);
  }
  Json Params(const std::string& key_id, std::string_view algorithm = "RSAES_OAEP_SHA_256") {
    return MustCall("GetParametersForImport",
                    {{"KeyId", key_id}, {"WrappingAlgorithm", algorithm}, {"WrappingKeySpec", "RSA_2048"}});
  }
  StatusOr<Json> Import(const std::string& key_id, ByteView material,
                        std::string_view algorithm = "RSAES_OAEP_SHA_256") {
    const Json params = Params(key_id, algorithm);
    return Call("ImportKeyMaterial",
                {{"KeyId", key_id},
                 {"ImportToken", params["ImportToken"]},
                 {"EncryptedKeyMaterial", Base64Encode(WrapLocally(params, algorithm, material))},
                 {"ExpirationModel", "KEY_MATERIAL_DOES_NOT_EXPIRE"}});
  }
  Bytes material_ = Bytes(32, 0x11);
};

TEST_F(ImportTest, ExternalKeysStartPendingImportAndRefuseUse) {
  const std::string key_id = CreateExternal();
  const Json m = Describe(key_id);
  EXPECT_EQ(m["Origin"], "EXTERNAL");
  EXPECT_EQ(m["KeyState"], "PendingImport");
  EXPECT_EQ(m["Enabled"], false);
  EXPECT_FALSE(m.contains("CurrentKeyMaterialId"));
  EXPECT_EQ(CodeOf(Call("Encrypt", {{"KeyId", key_id}, {"Plaintext", B64("x")}})), ErrorCode::kInvalidState);
  EXPECT_EQ(CodeOf(Call("EnableKey", {{"KeyId", key_id}})), ErrorCode::kInvalidState);
  EXPECT_EQ(CodeOf(Call("EnableKeyRotation", {{"KeyId", key_id}})), ErrorCode::kUnsupportedOperation);
}

TEST_F(ImportTest, EveryWrappingAlgorithmImportsWorkingMaterial) {
  for (const char* algorithm :
       {"RSAES_OAEP_SHA_1", "RSAES_OAEP_SHA_256", "RSA_AES_KEY_WRAP_SHA_1", "RSA_AES_KEY_WRAP_SHA_256"}) {
    const std::string key_id = CreateExternal();
    auto imported = Import(key_id, material_, algorithm);
    ASSERT_TRUE(imported.ok()) << algorithm << ": " << imported.status().ToString();
    EXPECT_TRUE(testing::IsLowerHex((*imported)["KeyMaterialId"].get<std::string>(), 64));
    const Json m = Describe(key_id);
    EXPECT_EQ(m["KeyState"], "Enabled");
    EXPECT_EQ(m["ExpirationModel"], "KEY_MATERIAL_DOES_NOT_EXPIRE");
    EXPECT_EQ(m["CurrentKeyMaterialId"], (*imported)["KeyMaterialId"]);
    auto plain = DecryptBlob(EncryptText(key_id, "byok"));
    ASSERT_TRUE(plain.ok());
    EXPECT_EQ(UnB64((*plain)["Plaintext"]), "byok");
  }
}

TEST_F(ImportTest, ParametersAreFreshPerCallAndValidForADay) {
  const std::string key_id = CreateExternal();
  const Json a = Params(key_id);
  const Json b = Params(key_id);
  EXPECT_NE(a["PublicKey"], b["PublicKey"]);
  EXPECT_NE(a["ImportToken"], b["ImportToken"]);
  EXPECT_EQ(a["KeyId"], ArnOf(key_id));
  EXPECT_DOUBLE_EQ(a["ParametersValidTo"].get<double>(), static_cast<double>(kStartMs + kDayMs) / 1000.0);
  const Json p3072 = MustCall("GetParametersForImport", {{"KeyId", key_id},
                                                         {"WrappingAlgorithm", "RSA_AES_KEY_WRAP_SHA_256"},
                                                         {"WrappingKeySpec", "RSA_3072"}});
  EXPECT_EQ((*crypto::PublicKey::FromSpki(BlobOf(p3072["PublicKey"])))->spec(), crypto::AsymSpec::kRsa3072);
  EXPECT_EQ(CodeOf(Call("GetParametersForImport", {{"KeyId", CreateKeyId()},
                                                   {"WrappingAlgorithm", "RSAES_OAEP_SHA_256"},
                                                   {"WrappingKeySpec", "RSA_2048"}})),
            ErrorCode::kUnsupportedOperation);
  EXPECT_EQ(CodeOf(Call("GetParametersForImport", {{"KeyId", key_id},
                                                   {"WrappingAlgorithm", "RSAES_PKCS1_V1_5"},
                                                   {"WrappingKeySpec", "RSA_2048"}})),
            ErrorCode::kValidation);
  EXPECT_EQ(CodeOf(Call("GetParametersForImport", {{"KeyId", key_id},
                                                   {"WrappingAlgorithm", "RSAES_OAEP_SHA_256"},
                                                   {"WrappingKeySpec", "SM2"}})),
            ErrorCode::kValidation);
}

TEST_F(ImportTest, TokenErrors) {
  const std::string key_id = CreateExternal();
  const Json old_params = Params(key_id);
  const Json params = Params(key_id);
  const Json other_params = Params(CreateExternal());
  auto import_with = [&](const Json& token_from, const Json& key_from) {
    return Call("ImportKeyMaterial", {{"KeyId", key_id},
                                      {"ImportToken", token_from["ImportToken"]},
                                      {"EncryptedKeyMaterial",
                                       Base64Encode(WrapLocally(key_from, "RSAES_OAEP_SHA_256", material_))},
                                      {"ExpirationModel", "KEY_MATERIAL_DOES_NOT_EXPIRE"}});
  };
  EXPECT_EQ(CodeOf(import_with(other_params, params)), ErrorCode::kInvalidImportToken);
  EXPECT_EQ(CodeOf(import_with(old_params, old_params)), ErrorCode::kInvalidImportToken);
  auto garbage = Call("ImportKeyMaterial", {{"KeyId", key_id},
                                            {"ImportToken", params["ImportToken"]},
                                            {"EncryptedKeyMaterial", B64("not wrapped")},
                                            {"ExpirationModel", "KEY_MATERIAL_DOES_NOT_EXPIRE"}});
  EXPECT_EQ(CodeOf(garbage), ErrorCode::kInvalidCiphertext);
  // Wrapped for another key's public key: does not decrypt with ours.
  EXPECT_EQ(CodeOf(import_with(params, other_params)), ErrorCode::kInvalidCiphertext);
  AdvanceMs(kDayMs);
  EXPECT_EQ(CodeOf(import_with(params, params)), ErrorCode::kExpiredImportToken);
  EXPECT_EQ(CodeOf(Call("ImportKeyMaterial", {{"KeyId", CreateExternal()},
                                              {"ImportToken", params["ImportToken"]},
                                              {"EncryptedKeyMaterial", B64("x")},
                                              {"ExpirationModel", "KEY_MATERIAL_DOES_NOT_EXPIRE"}})),
            ErrorCode::kInvalidImportToken);
}

TEST_F(ImportTest, ExpirationModelAndValidToChecks) {
  const std::string key_id = CreateExternal();
  const Json params = Params(key_id);
  auto import = [&](const Json& extra) {
    Json request = {
        {"KeyId", key_id},
        {"ImportToken", params["ImportToken"]},
        {"EncryptedKeyMaterial", Base64Encode(WrapLocally(params, "RSAES_OAEP_SHA_256", material_))}};
    request.update(extra);
    return Call("ImportKeyMaterial", request);
  };
  const double now_s = static_cast<double>(kStartMs) / 1000.0;
  EXPECT_EQ(CodeOf(import(Json::object())),
            ErrorCode::kValidation);  // EXPIRES is the default: ValidTo needed
  EXPECT_EQ(CodeOf(import({{"ExpirationModel", "KEY_MATERIAL_DOES_NOT_EXPIRE"}, {"ValidTo", now_s + 86400}})),
            ErrorCode::kValidation);
  EXPECT_EQ(CodeOf(import({{"ValidTo", now_s + 60}})), ErrorCode::kValidation);
  EXPECT_EQ(CodeOf(import({{"ValidTo", now_s + 366 * 86400.0}})), ErrorCode::kValidation);
  EXPECT_EQ(CodeOf(import(
                {{"ExpirationModel", "KEY_MATERIAL_DOES_NOT_EXPIRE"}, {"ImportType", "NEW_KEY_MATERIAL"}})),
            ErrorCode::kUnsupportedOperation);
  auto ok = import({{"ValidTo", now_s + 86400}});
  ASSERT_TRUE(ok.ok()) << ok.status().ToString();
  const Json m = Describe(key_id);
  EXPECT_EQ(m["ExpirationModel"], "KEY_MATERIAL_EXPIRES");
  EXPECT_DOUBLE_EQ(m["ValidTo"].get<double>(), now_s + 86400);
}

TEST_F(ImportTest, SweeperExpiresMaterialAndReimportRestoresOldCiphertexts) {
  const std::string key_id = CreateExternal();
  const Json params = Params(key_id);
  const double now_s = static_cast<double>(kStartMs) / 1000.0;
  MustCall("ImportKeyMaterial",
           {{"KeyId", key_id},
            {"ImportToken", params["ImportToken"]},
            {"EncryptedKeyMaterial", Base64Encode(WrapLocally(params, "RSAES_OAEP_SHA_256", material_))},
            {"ValidTo", now_s + 86400}});
  const std::string blob = EncryptText(key_id, "kept");
  AdvanceMs(kDayMs - 1);
  EXPECT_EQ(Sweep(), 0);
  AdvanceMs(1);
  EXPECT_EQ(Sweep(), 1);
  EXPECT_EQ(Describe(key_id)["KeyState"], "PendingImport");
  EXPECT_EQ(CodeOf(DecryptBlob(blob)), ErrorCode::kInvalidState);
  ASSERT_TRUE(Import(key_id, material_).ok());
  auto plain = DecryptBlob(blob);
  ASSERT_TRUE(plain.ok()) << plain.status().ToString();
  EXPECT_EQ(UnB64((*plain)["Plaintext"]), "kept");
}

TEST_F(ImportTest, DeleteAndReimportOnlyTheSameMaterial) {
  const std::string key_id = CreateExternal();
  ASSERT_TRUE(Import(key_id, material_).ok());
  const std::string blob = EncryptText(key_id, "before delete");
  const Json deleted = MustCall("DeleteImportedKeyMaterial", {{"KeyId", key_id}});
  EXPECT_EQ(deleted["KeyId"], ArnOf(key_id));
  EXPECT_EQ(Describe(key_id)["KeyState"], "PendingImport");
  EXPECT_EQ(CodeOf(DecryptBlob(blob)), ErrorCode::kInvalidState);
  EXPECT_EQ(CodeOf(Import(key_id, Bytes(32, 0x22))), ErrorCode::kIncorrectKeyMaterial);
  ASSERT_TRUE(Import(key_id, material_).ok());
  EXPECT_EQ(UnB64((*DecryptBlob(blob))["Plaintext"]), "before delete");
  // Importing again while material is present is allowed only for the same material.
  EXPECT_TRUE(Import(key_id, material_).ok());
  EXPECT_EQ(CodeOf(Import(key_id, Bytes(32, 0x33))), ErrorCode::kIncorrectKeyMaterial);
  EXPECT_EQ(CodeOf(Import(key_id, Bytes(16, 0x11))), ErrorCode::kIncorrectKeyMaterial);  // wrong size
  EXPECT_EQ(CodeOf(Call("DeleteImportedKeyMaterial", {{"KeyId", CreateKeyId()}})),
            ErrorCode::kUnsupportedOperation);
  MustCall("ScheduleKeyDeletion", {{"KeyId", key_id}, {"PendingWindowInDays", 7}});
  EXPECT_EQ(CodeOf(Call("DeleteImportedKeyMaterial", {{"KeyId", key_id}})), ErrorCode::kInvalidState);
}

TEST_F(ImportTest, RejectsAMismatchedKeyMaterialIdAndAShortKeyWrapBlob) {
  const std::string key_id = CreateExternal();
  Json params = Params(key_id);
  const std::string wrapped = Base64Encode(WrapLocally(params, "RSAES_OAEP_SHA_256", material_));
  auto wrong_id = Call("ImportKeyMaterial", {{"KeyId", key_id},
                                             {"ImportToken", params["ImportToken"]},
                                             {"EncryptedKeyMaterial", wrapped},
                                             {"ExpirationModel", "KEY_MATERIAL_DOES_NOT_EXPIRE"},
                                             {"KeyMaterialId", std::string(64, 'a')}});
  EXPECT_EQ(CodeOf(wrong_id), ErrorCode::kIncorrectKeyMaterial);
  params = Params(key_id, "RSA_AES_KEY_WRAP_SHA_256");
  // Only the RSA part, no AES-KWP part after it.
  auto short_blob = Call("ImportKeyMaterial", {{"KeyId", key_id},
                                               {"ImportToken", params["ImportToken"]},
                                               {"EncryptedKeyMaterial", Base64Encode(Bytes(256, 1))},
                                               {"ExpirationModel", "KEY_MATERIAL_DOES_NOT_EXPIRE"}});
  EXPECT_EQ(CodeOf(short_blob), ErrorCode::kInvalidCiphertext);
}

TEST_F(ImportTest, PendingImportKeysStayPendingThroughDisableAndCancelledDeletion) {
  const std::string key_id = CreateExternal();
  EXPECT_EQ(CodeOf(Call("DisableKey", {{"KeyId", key_id}})), ErrorCode::kInvalidState);
  MustCall("ScheduleKeyDeletion", {{"KeyId", key_id}, {"PendingWindowInDays", 7}});
  MustCall("CancelKeyDeletion", {{"KeyId", key_id}});
  EXPECT_EQ(Describe(key_id)["KeyState"], "PendingImport");
}

TEST_F(ImportTest, ImportedHmacKeyMatchesWycheproof) {
  const auto doc = crypto::testing::LoadJson(
      crypto::testing::OracleFile("wycheproof/testvectors_v1/hmac_sha256_test.json"));
  for (const auto& group : doc.at("testGroups")) {
    if (group.at("keySize") != 256 || group.at("tagSize") != 256) continue;
    for (const auto& test : group.at("tests")) {
      if (test.at("result") != "valid" || test.at("msg").get<std::string>().empty()) continue;
      const std::string key_id =
          CreateExternal({{"KeySpec", "HMAC_256"}, {"KeyUsage", "GENERATE_VERIFY_MAC"}});
      ASSERT_TRUE(Import(key_id, crypto::testing::HexField(test, "key"), "RSA_AES_KEY_WRAP_SHA_256").ok());
      const Json mac =
          MustCall("GenerateMac", {{"KeyId", key_id},
                                   {"Message", Base64Encode(crypto::testing::HexField(test, "msg"))},
                                   {"MacAlgorithm", "HMAC_SHA_256"}});
      EXPECT_EQ(BlobOf(mac["Mac"]), crypto::testing::HexField(test, "tag"));
      return;
    }
  }
  FAIL() << "no HMAC-SHA-256 vector with a message found";
}

TEST_F(ImportTest, ImportedAsymmetricKeySignsWithTheImportedKey) {
  auto pkcs8 = crypto::GeneratePrivateKey(crypto::AsymSpec::kP256);
  ASSERT_TRUE(pkcs8.ok());
  auto local = crypto::PrivateKey::FromPkcs8(pkcs8->view());
  ASSERT_TRUE(local.ok());
  const std::string key_id = CreateExternal({{"KeySpec", "ECC_NIST_P256"}, {"KeyUsage", "SIGN_VERIFY"}});
  auto wrong_curve = crypto::GeneratePrivateKey(crypto::AsymSpec::kP384);
  EXPECT_EQ(CodeOf(Import(key_id, wrong_curve->view(), "RSA_AES_KEY_WRAP_SHA_256")),
            ErrorCode::kIncorrectKeyMaterial);
  ASSERT_TRUE(Import(key_id, pkcs8->view(), "RSA_AES_KEY_WRAP_SHA_256").ok());
  const Json pub = MustCall("GetPublicKey", {{"KeyId", key_id}});
  EXPECT_EQ(BlobOf(pub["PublicKey"]), (*local)->PublicKeyDer());
  const Json sig =
      MustCall("Sign", {{"KeyId", key_id}, {"Message", B64("m")}, {"SigningAlgorithm", "ECDSA_SHA_256"}});
  const crypto::SignatureAlg alg{crypto::SigScheme::kEcdsa, crypto::HashAlg::kSha256};
  EXPECT_TRUE((*local)
                  ->public_key()
                  .VerifyDigest(alg, crypto::Digest(alg.hash, ToBytes("m")), BlobOf(sig["Signature"]))
                  .ok());
}

}  // namespace
}  // namespace coffer::kms

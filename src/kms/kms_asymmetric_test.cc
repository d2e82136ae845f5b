// Asymmetric and HMAC keys through the operation table: CreateKey for every
// KeySpec/KeyUsage pair, DescribeKey algorithm lists, GetPublicKey, Sign and
// Verify, GenerateMac and VerifyMac, RSA Encrypt/Decrypt/ReEncrypt.
// Signatures and ciphertexts are checked with the public key outside KMS.
#include <gtest/gtest.h>

#include "crypto/asymmetric.h"
#include "kms/kms_test_util.h"

namespace coffer::kms {
namespace {

using testing::B64;
using testing::BlobOf;
using testing::CodeOf;
using testing::KmsTest;
using testing::UnB64;

class AsymmetricTest : public KmsTest {
 protected:
  std::string CreateAsym(std::string_view spec, std::string_view usage) {
    return CreateKeyId({{"KeySpec", spec}, {"KeyUsage", usage}});
  }
  std::unique_ptr<crypto::PublicKey> PublicKeyOf(const std::string& key_id) {
    const Json out = MustCall("GetPublicKey", {{"KeyId", key_id}});
    auto key = crypto::PublicKey::FromSpki(BlobOf(out["PublicKey"]));
    EXPECT_TRUE(key.ok()) << key.status().ToString();
    return key.ok() ? std::move(*key) : nullptr;
  }
  StatusOr<Json> SignRaw(const std::string& key_id, std::string_view alg, std::string_view message) {
    return Call("Sign", {{"KeyId", key_id}, {"Message", B64(message)}, {"SigningAlgorithm", alg}});
  }
};

TEST_F(AsymmetricTest, CreateKeyAcceptsEveryAwsSpecAndUsagePairAndDescribesItsAlgorithms) {
  const struct {
    const char* spec;
    const char* usage;
    const char* member;
    Json algorithms;
  } kCases[] = {
      {"RSA_2048", "ENCRYPT_DECRYPT", "EncryptionAlgorithms", {"RSAES_OAEP_SHA_1", "RSAES_OAEP_SHA_256"}},
      {"RSA_3072",
       "SIGN_VERIFY",
       "SigningAlgorithms",
       {"RSASSA_PSS_SHA_256", "RSASSA_PSS_SHA_384", "RSASSA_PSS_SHA_512", "RSASSA_PKCS1_V1_5_SHA_256",
        "RSASSA_PKCS1_V1_5_SHA_384", "RSASSA_PKCS1_V1_5_SHA_512"}},
      {"RSA_4096", "ENCRYPT_DECRYPT", "EncryptionAlgorithms", {"RSAES_OAEP_SHA_1", "RSAES_OAEP_SHA_256"}},
      {"ECC_NIST_P256", "SIGN_VERIFY", "SigningAlgorithms", {"ECDSA_SHA_256"}},
      {"ECC_NIST_P384", "SIGN_VERIFY", "SigningAlgorithms", {"ECDSA_SHA_384"}},
      {"ECC_NIST_P521", "SIGN_VERIFY", "SigningAlgorithms", {"ECDSA_SHA_512"}},
      {"ECC_SECG_P256K1", "SIGN_VERIFY", "SigningAlgorithms", {"ECDSA_SHA_256"}},
      {"ECC_NIST_P256", "KEY_AGREEMENT", "KeyAgreementAlgorithms", {"ECDH"}},
      {"ECC_NIST_P384", "KEY_AGREEMENT", "KeyAgreementAlgorithms", {"ECDH"}},
      {"ECC_NIST_P521", "KEY_AGREEMENT", "KeyAgreementAlgorithms", {"ECDH"}},
      {"HMAC_224", "GENERATE_VERIFY_MAC", "MacAlgorithms", {"HMAC_SHA_224"}},
      {"HMAC_256", "GENERATE_VERIFY_MAC", "MacAlgorithms", {"HMAC_SHA_256"}},
      {"HMAC_384", "GENERATE_VERIFY_MAC", "MacAlgorithms", {"HMAC_SHA_384"}},
      {"HMAC_512", "GENERATE_VERIFY_MAC", "MacAlgorithms", {"HMAC_SHA_512"}},
  };
  for (const auto& c : kCases) {
    const Json created = MustCall("CreateKey", {{"KeySpec", c.spec}, {"KeyUsage", c.usage}})["KeyMetadata"];
    const Json m = Describe(created["KeyId"].get<std::string>());
    EXPECT_EQ(m["KeySpec"], c.spec);
    EXPECT_EQ(m["CustomerMasterKeySpec"], c.spec);
    EXPECT_EQ(m["KeyUsage"], c.usage);
    EXPECT_EQ(m[c.member], c.algorithms) << c.spec << " " << c.usage;
    for (const char* other :
         {"EncryptionAlgorithms", "SigningAlgorithms", "KeyAgreementAlgorithms", "MacAlgorithms"}) {
      if (std::string_view(other) != c.member) {
        EXPECT_FALSE(m.contains(other)) << c.spec << " " << other;
      }
    }
  }
  // RSA defaults to ENCRYPT_DECRYPT when KeyUsage is absent, as on AWS.
  EXPECT_EQ(Describe(CreateKeyId({{"KeySpec", "RSA_2048"}}))["KeyUsage"], "ENCRYPT_DECRYPT");
}

TEST_F(AsymmetricTest, CreateKeyRejectsSpecUsagePairsAwsRejects) {
  const std::pair<const char*, const char*> kBad[] = {
      {"ECC_NIST_P256", "ENCRYPT_DECRYPT"},
      {"ECC_SECG_P256K1", "KEY_AGREEMENT"},
      {"RSA_2048", "KEY_AGREEMENT"},
      {"RSA_2048", "GENERATE_VERIFY_MAC"},
      {"HMAC_256", "SIGN_VERIFY"},
      {"SYMMETRIC_DEFAULT", "SIGN_VERIFY"},
      {"SYMMETRIC_DEFAULT", "KEY_AGREEMENT"},
      {"ECC_NIST_P384", "GENERATE_VERIFY_MAC"},
  };
  for (const auto& [spec, usage] : kBad) {
    auto result = Call("CreateKey", {{"KeySpec", spec}, {"KeyUsage", usage}});
    EXPECT_EQ(CodeOf(result), ErrorCode::kValidation) << spec << " " << usage;
  }
  // HMAC and ECC keys have no default usage: KeyUsage must be given.
  EXPECT_EQ(CodeOf(Call("CreateKey", {{"KeySpec", "HMAC_256"}})), ErrorCode::kValidation);
  EXPECT_EQ(CodeOf(Call("CreateKey", {{"KeySpec", "ECC_NIST_P256"}})), ErrorCode::kValidation);
  EXPECT_EQ(CodeOf(Call("CreateKey", {{"KeySpec", "SM2"}, {"KeyUsage", "SIGN_VERIFY"}})),
            ErrorCode::kUnsupportedOperation);
  EXPECT_EQ(CodeOf(Call("CreateKey", {{"KeySpec", "RSA_2048"}, {"Origin", "AWS_CLOUDHSM"}})),
            ErrorCode::kUnsupportedOperation);
}

TEST_F(AsymmetricTest, SignsEveryAlgorithmRawAndDigestVerifiableOutsideKms) {
  const struct {
    const char* spec;
    std::vector<std::pair<const char*, crypto::SignatureAlg>> algs;
  } kCases[] = {
      {"RSA_2048",
       {{"RSASSA_PSS_SHA_256", {crypto::SigScheme::kRsaPss, crypto::HashAlg::kSha256}},
        {"RSASSA_PSS_SHA_384", {crypto::SigScheme::kRsaPss, crypto::HashAlg::kSha384}},
        {"RSASSA_PSS_SHA_512", {crypto::SigScheme::kRsaPss, crypto::HashAlg::kSha512}},
        {"RSASSA_PKCS1_V1_5_SHA_256", {crypto::SigScheme::kRsaPkcs1, crypto::HashAlg::kSha256}},
        {"RSASSA_PKCS1_V1_5_SHA_384", {crypto::SigScheme::kRsaPkcs1, crypto::HashAlg::kSha384}},
        {"RSASSA_PKCS1_V1_5_SHA_512", {crypto::SigScheme::kRsaPkcs1, crypto::HashAlg::kSha512}}}},
      {"ECC_NIST_P256", {{"ECDSA_SHA_256", {crypto::SigScheme::kEcdsa, crypto::HashAlg::kSha256}}}},
      {"ECC_NIST_P384", {{"ECDSA_SHA_384", {crypto::SigScheme::kEcdsa, crypto::HashAlg::kSha384}}}},
      {"ECC_NIST_P521", {{"ECDSA_SHA_512", {crypto::SigScheme::kEcdsa, crypto::HashAlg::kSha512}}}},
      {"ECC_SECG_P256K1", {{"ECDSA_SHA_256", {crypto::SigScheme::kEcdsa, crypto::HashAlg::kSha256}}}},
  };
  const std::string message = "release-2.4.1.tar.gz contents";
  for (const auto& c : kCases) {
    const std::string key_id = CreateAsym(c.spec, "SIGN_VERIFY");
    auto pub = PublicKeyOf(key_id);
    ASSERT_NE(pub, nullptr);
    for (const auto& [name, alg] : c.algs) {
      const Bytes digest = crypto::Digest(alg.hash, ToBytes(message));
      const Json raw =
          MustCall("Sign", {{"KeyId", key_id}, {"Message", B64(message)}, {"SigningAlgorithm", name}});
      EXPECT_EQ(raw["SigningAlgorithm"], name);
      EXPECT_EQ(raw["KeyId"], ArnOf(key_id));
      EXPECT_TRUE(pub->VerifyDigest(alg, digest, BlobOf(raw["Signature"])).ok()) << c.spec << " " << name;
      const Json dig = MustCall("Sign", {{"KeyId", key_id},
                                         {"Message", Base64Encode(digest)},
                                         {"MessageType", "DIGEST"},
                                         {"SigningAlgorithm", name}});
      EXPECT_TRUE(pub->VerifyDigest(alg, digest, BlobOf(dig["Signature"])).ok()) << c.spec << " " << name;
      // KMS verifies both: a RAW message and its digest are the same statement.
      const Json ok = MustCall("Verify", {{"KeyId", key_id},
                                          {"Message", Base64Encode(digest)},
                                          {"MessageType", "DIGEST"},
                                          {"Signature", raw["Signature"]},
                                          {"SigningAlgorithm", name}});
      EXPECT_EQ(ok["SignatureValid"], true);
      auto bad = Call("Verify", {{"KeyId", key_id},
                                 {"Message", B64(message + "!")},
                                 {"Signature", raw["Signature"]},
                                 {"SigningAlgorithm", name}});
      EXPECT_EQ(CodeOf(bad), ErrorCode::kKmsInvalidSignature) << c.spec << " " << name;
    }
  }
}

TEST_F(AsymmetricTest, SignRejectsWrongDigestLengthAlgorithmUsageAndState) {
  const std::string key_id = CreateAsym("ECC_NIST_P256", "SIGN_VERIFY");
  auto short_digest = Call("Sign", {{"KeyId", key_id},
                                    {"Message", Base64Encode(Bytes(31, 1))},
                                    {"MessageType", "DIGEST"},
                                    {"SigningAlgorithm", "ECDSA_SHA_256"}});
  EXPECT_EQ(CodeOf(short_digest), ErrorCode::kValidation);
  EXPECT_EQ(CodeOf(SignRaw(key_id, "ECDSA_SHA_384", "m")), ErrorCode::kInvalidKeyUsage);
  EXPECT_EQ(CodeOf(SignRaw(key_id, "RSASSA_PSS_SHA_256", "m")), ErrorCode::kInvalidKeyUsage);
  auto external_mu = Call("Sign", {{"KeyId", key_id},
                                   {"Message", B64("m")},
                                   {"MessageType", "EXTERNAL_MU"},
                                   {"SigningAlgorithm", "ECDSA_SHA_256"}});
  EXPECT_EQ(CodeOf(external_mu), ErrorCode::kValidation);
  const std::string rsa_encrypt = CreateAsym("RSA_2048", "ENCRYPT_DECRYPT");
  EXPECT_EQ(CodeOf(SignRaw(rsa_encrypt, "RSASSA_PSS_SHA_256", "m")), ErrorCode::kInvalidKeyUsage);
  EXPECT_EQ(CodeOf(SignRaw(CreateKeyId(), "RSASSA_PSS_SHA_256", "m")), ErrorCode::kInvalidKeyUsage);
  MustCall("DisableKey", {{"KeyId", key_id}});
  EXPECT_EQ(CodeOf(SignRaw(key_id, "ECDSA_SHA_256", "m")), ErrorCode::kDisabled);
  MustCall("EnableKey", {{"KeyId", key_id}});
  auto dry = Call(
      "Sign",
      {{"KeyId", key_id}, {"Message", B64("m")}, {"SigningAlgorithm", "ECDSA_SHA_256"}, {"DryRun", true}});
  EXPECT_EQ(CodeOf(dry), ErrorCode::kDryRunOperation);
}

TEST_F(AsymmetricTest, VerifyRejectsEmptyAndForeignSignatures) {
  const std::string a = CreateAsym("ECC_NIST_P256", "SIGN_VERIFY");
  const std::string b = CreateAsym("ECC_NIST_P256", "SIGN_VERIFY");
  const Json sig = *SignRaw(a, "ECDSA_SHA_256", "m");
  auto foreign = Call("Verify", {{"KeyId", b},
                                 {"Message", B64("m")},
                                 {"Signature", sig["Signature"]},
                                 {"SigningAlgorithm", "ECDSA_SHA_256"}});
  EXPECT_EQ(CodeOf(foreign), ErrorCode::kKmsInvalidSignature);
  auto garbage = Call("Verify", {{"KeyId", a},
                                 {"Message", B64("m")},
                                 {"Signature", B64("xyz")},
                                 {"SigningAlgorithm", "ECDSA_SHA_256"}});
  EXPECT_EQ(CodeOf(garbage), ErrorCode::kKmsInvalidSignature);
}

TEST_F(AsymmetricTest, GetPublicKeyOnlyForAsymmetricKeys) {
  const std::string key_id = CreateAsym("RSA_3072", "SIGN_VERIFY");
  const Json out = MustCall("GetPublicKey", {{"KeyId", key_id}});
  EXPECT_EQ(out["KeySpec"], "RSA_3072");
  EXPECT_EQ(out["KeyUsage"], "SIGN_VERIFY");
  EXPECT_EQ(out["SigningAlgorithms"].size(), 6u);
  auto pub = crypto::PublicKey::FromSpki(BlobOf(out["PublicKey"]));
  ASSERT_TRUE(pub.ok());
  EXPECT_EQ((*pub)->spec(), crypto::AsymSpec::kRsa3072);
  EXPECT_EQ(CodeOf(Call("GetPublicKey", {{"KeyId", CreateKeyId()}})), ErrorCode::kUnsupportedOperation);
  MustCall("DisableKey", {{"KeyId", key_id}});
  EXPECT_EQ(CodeOf(Call("GetPublicKey", {{"KeyId", key_id}})), ErrorCode::kDisabled);
  const std::string hmac = CreateAsym("HMAC_256", "GENERATE_VERIFY_MAC");
  EXPECT_EQ(CodeOf(Call("GetPublicKey", {{"KeyId", hmac}})), ErrorCode::kUnsupportedOperation);
}

TEST_F(AsymmetricTest, MacsVerifyAndMismatchesFail) {
  for (const auto& [spec, alg, len] :
       {std::tuple{"HMAC_224", "HMAC_SHA_224", 28u}, std::tuple{"HMAC_256", "HMAC_SHA_256", 32u},
        std::tuple{"HMAC_384", "HMAC_SHA_384", 48u}, std::tuple{"HMAC_512", "HMAC_SHA_512", 64u}}) {
    const std::string key_id = CreateAsym(spec, "GENERATE_VERIFY_MAC");
    const Json mac =
        MustCall("GenerateMac", {{"KeyId", key_id}, {"Message", B64("hello")}, {"MacAlgorithm", alg}});
    EXPECT_EQ(BlobOf(mac["Mac"]).size(), len);
    EXPECT_EQ(mac["MacAlgorithm"], alg);
    const Json again =
        MustCall("GenerateMac", {{"KeyId", key_id}, {"Message", B64("hello")}, {"MacAlgorithm", alg}});
    EXPECT_EQ(again["Mac"], mac["Mac"]);  // HMAC is deterministic
    const Json ok =
        MustCall("VerifyMac",
                 {{"KeyId", key_id}, {"Message", B64("hello")}, {"MacAlgorithm", alg}, {"Mac", mac["Mac"]}});
    EXPECT_EQ(ok["MacValid"], true);
    auto other_message =
        Call("VerifyMac",
             {{"KeyId", key_id}, {"Message", B64("hellO")}, {"MacAlgorithm", alg}, {"Mac", mac["Mac"]}});
    EXPECT_EQ(CodeOf(other_message), ErrorCode::kKmsInvalidMac);
    Bytes truncated = BlobOf(mac["Mac"]);
    truncated.pop_back();
    auto short_mac = Call("VerifyMac", {{"KeyId", key_id},
                                        {"Message", B64("hello")},
                                        {"MacAlgorithm", alg},
                                        {"Mac", Base64Encode(truncated)}});
    EXPECT_EQ(CodeOf(short_mac), ErrorCode::kKmsInvalidMac);
  }
  const std::string key_id = CreateAsym("HMAC_256", "GENERATE_VERIFY_MAC");
  EXPECT_EQ(CodeOf(Call("GenerateMac",
                        {{"KeyId", key_id}, {"Message", B64("m")}, {"MacAlgorithm", "HMAC_SHA_512"}})),
            ErrorCode::kInvalidKeyUsage);
  EXPECT_EQ(CodeOf(Call("GenerateMac",
                        {{"KeyId", CreateKeyId()}, {"Message", B64("m")}, {"MacAlgorithm", "HMAC_SHA_256"}})),
            ErrorCode::kInvalidKeyUsage);
  // HMAC keys do not encrypt.
  EXPECT_EQ(CodeOf(Call("Encrypt", {{"KeyId", key_id}, {"Plaintext", B64("x")}})),
            ErrorCode::kInvalidKeyUsage);
}

TEST_F(AsymmetricTest, RsaEncryptionWithAwsLimitsAndLocalEncryption) {
  const std::string key_id = CreateAsym("RSA_2048", "ENCRYPT_DECRYPT");
  auto pub = PublicKeyOf(key_id);
  ASSERT_NE(pub, nullptr);
  // Encrypted outside KMS with the public key, decrypted by KMS.
  auto local = pub->Encrypt(crypto::RsaPadding::kOaepSha256, ToBytes("for a party without KMS"));
  ASSERT_TRUE(local.ok());
  const Json plain = MustCall("Decrypt", {{"KeyId", key_id},
                                          {"CiphertextBlob", Base64Encode(*local)},
                                          {"EncryptionAlgorithm", "RSAES_OAEP_SHA_256"}});
  EXPECT_EQ(UnB64(plain["Plaintext"]), "for a party without KMS");
  EXPECT_EQ(plain["EncryptionAlgorithm"], "RSAES_OAEP_SHA_256");
  // AWS's limits: 214 bytes with SHA-1, 190 with SHA-256 for RSA_2048.
  for (const auto& [alg, limit] :
       {std::pair{"RSAES_OAEP_SHA_1", 214u}, std::pair{"RSAES_OAEP_SHA_256", 190u}}) {
    const std::string at_limit(limit, 'a');
    const Json ct =
        MustCall("Encrypt", {{"KeyId", key_id}, {"Plaintext", B64(at_limit)}, {"EncryptionAlgorithm", alg}});
    EXPECT_EQ(ct["EncryptionAlgorithm"], alg);
    const Json pt =
        MustCall("Decrypt",
                 {{"KeyId", key_id}, {"CiphertextBlob", ct["CiphertextBlob"]}, {"EncryptionAlgorithm", alg}});
    EXPECT_EQ(UnB64(pt["Plaintext"]), at_limit);
    auto over = Call("Encrypt",
                     {{"KeyId", key_id}, {"Plaintext", B64(at_limit + "a")}, {"EncryptionAlgorithm", alg}});
    EXPECT_EQ(CodeOf(over), ErrorCode::kValidation) << alg;
  }
  const std::string blob = Base64Encode(*local);
  // No KeyId: the blob is read as a symmetric ciphertext and is not one.
  EXPECT_EQ(CodeOf(Call("Decrypt", {{"CiphertextBlob", blob}})), ErrorCode::kInvalidCiphertext);
  EXPECT_EQ(CodeOf(Call("Decrypt", {{"KeyId", key_id}, {"CiphertextBlob", blob}})),
            ErrorCode::kInvalidKeyUsage);
  EXPECT_EQ(CodeOf(Call(
                "Decrypt",
                {{"KeyId", key_id}, {"CiphertextBlob", blob}, {"EncryptionAlgorithm", "RSAES_OAEP_SHA_1"}})),
            ErrorCode::kInvalidCiphertext);
  EXPECT_EQ(CodeOf(Call("Encrypt", {{"KeyId", key_id}, {"Plaintext", B64("x")}})),
            ErrorCode::kInvalidKeyUsage);
  EXPECT_EQ(CodeOf(Call("Encrypt", {{"KeyId", key_id},
                                    {"Plaintext", B64("x")},
                                    {"EncryptionAlgorithm", "RSAES_OAEP_SHA_1"},
                                    {"EncryptionContext", {{"a", "b"}}}})),
            ErrorCode::kValidation);
  EXPECT_EQ(CodeOf(Call("GenerateDataKey", {{"KeyId", key_id}, {"KeySpec", "AES_256"}})),
            ErrorCode::kInvalidKeyUsage);
  const std::string sign_key = CreateAsym("RSA_2048", "SIGN_VERIFY");
  EXPECT_EQ(CodeOf(Call(
                "Encrypt",
                {{"KeyId", sign_key}, {"Plaintext", B64("x")}, {"EncryptionAlgorithm", "RSAES_OAEP_SHA_1"}})),
            ErrorCode::kInvalidKeyUsage);
}

TEST_F(AsymmetricTest, ReEncryptBetweenRsaAndSymmetricKeys) {
  const std::string rsa = CreateAsym("RSA_2048", "ENCRYPT_DECRYPT");
  const std::string sym = CreateKeyId();
  const std::string blob = EncryptText(sym, "moving secret", {{"purpose", "test"}});
  const Json to_rsa = MustCall("ReEncrypt", {{"CiphertextBlob", blob},
                                             {"SourceEncryptionContext", {{"purpose", "test"}}},
                                             {"DestinationKeyId", rsa},
                                             {"DestinationEncryptionAlgorithm", "RSAES_OAEP_SHA_256"}});
  EXPECT_EQ(to_rsa["DestinationEncryptionAlgorithm"], "RSAES_OAEP_SHA_256");
  EXPECT_EQ(to_rsa["SourceEncryptionAlgorithm"], "SYMMETRIC_DEFAULT");
  const Json back = MustCall("ReEncrypt", {{"CiphertextBlob", to_rsa["CiphertextBlob"]},
                                           {"SourceKeyId", rsa},
                                           {"SourceEncryptionAlgorithm", "RSAES_OAEP_SHA_256"},
                                           {"DestinationKeyId", sym}});
  EXPECT_EQ(back["SourceKeyId"], ArnOf(rsa));
  auto plain = DecryptBlob(back["CiphertextBlob"].get<std::string>());
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ(UnB64((*plain)["Plaintext"]), "moving secret");
  auto no_alg = Call("ReEncrypt", {{"CiphertextBlob", blob},
                                   {"SourceEncryptionContext", {{"purpose", "test"}}},
                                   {"DestinationKeyId", rsa}});
  EXPECT_EQ(CodeOf(no_alg), ErrorCode::kInvalidKeyUsage);
}

TEST_F(AsymmetricTest, AsymmetricAndHmacKeysDoNotRotate) {
  for (const std::string& key_id :
       {CreateAsym("RSA_2048", "SIGN_VERIFY"), CreateAsym("HMAC_256", "GENERATE_VERIFY_MAC"),
        CreateAsym("ECC_NIST_P256", "KEY_AGREEMENT")}) {
    EXPECT_EQ(CodeOf(Call("EnableKeyRotation", {{"KeyId", key_id}})), ErrorCode::kUnsupportedOperation);
    EXPECT_EQ(CodeOf(Call("RotateKeyOnDemand", {{"KeyId", key_id}})), ErrorCode::kUnsupportedOperation);
  }
}

}  // namespace
}  // namespace coffer::kms

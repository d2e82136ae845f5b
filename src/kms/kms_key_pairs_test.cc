// GenerateDataKeyPair(WithoutPlaintext) and DeriveSharedSecret.
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

class KeyPairsTest : public KmsTest {};

TEST_F(KeyPairsTest, EverySpecRoundTripsItsPkcs8UnderTheContext) {
  const std::string key_id = CreateKeyId();
  const Json context = {{"app", "signer"}};
  const struct {
    const char* spec;
    crypto::AsymSpec asym;
  } kSpecs[] = {{"RSA_2048", crypto::AsymSpec::kRsa2048},         {"RSA_3072", crypto::AsymSpec::kRsa3072},
                {"RSA_4096", crypto::AsymSpec::kRsa4096},         {"ECC_NIST_P256", crypto::AsymSpec::kP256},
                {"ECC_NIST_P384", crypto::AsymSpec::kP384},       {"ECC_NIST_P521", crypto::AsymSpec::kP521},
                {"ECC_SECG_P256K1", crypto::AsymSpec::kSecp256k1}};
  for (const auto& [spec, asym] : kSpecs) {
    const Json out = MustCall("GenerateDataKeyPair",
                              {{"KeyId", key_id}, {"KeyPairSpec", spec}, {"EncryptionContext", context}});
    EXPECT_EQ(out["KeyPairSpec"], spec);
    EXPECT_EQ(out["KeyId"], ArnOf(key_id));
    auto private_key = crypto::PrivateKey::FromPkcs8(BlobOf(out["PrivateKeyPlaintext"]));
    ASSERT_TRUE(private_key.ok()) << spec << ": " << private_key.status().ToString();
    EXPECT_EQ((*private_key)->spec(), asym);
    EXPECT_EQ((*private_key)->PublicKeyDer(), BlobOf(out["PublicKey"]));
    auto opened = DecryptBlob(out["PrivateKeyCiphertextBlob"].get<std::string>(), context);
    ASSERT_TRUE(opened.ok()) << opened.status().ToString();
    EXPECT_EQ((*opened)["Plaintext"], out["PrivateKeyPlaintext"]);
    EXPECT_EQ(CodeOf(DecryptBlob(out["PrivateKeyCiphertextBlob"].get<std::string>())),
              ErrorCode::kInvalidCiphertext);
  }
}

TEST_F(KeyPairsTest, WithoutPlaintextOmitsThePrivateKey) {
  const std::string key_id = CreateKeyId();
  const Json out =
      MustCall("GenerateDataKeyPairWithoutPlaintext", {{"KeyId", key_id}, {"KeyPairSpec", "ECC_NIST_P256"}});
  EXPECT_FALSE(out.contains("PrivateKeyPlaintext"));
  auto opened = DecryptBlob(out["PrivateKeyCiphertextBlob"].get<std::string>());
  ASSERT_TRUE(opened.ok());
  auto private_key = crypto::PrivateKey::FromPkcs8(BlobOf((*opened)["Plaintext"]));
  ASSERT_TRUE(private_key.ok());
  EXPECT_EQ((*private_key)->PublicKeyDer(), BlobOf(out["PublicKey"]));
}

TEST_F(KeyPairsTest, RejectsAsymmetricWrappingKeysAndUnsupportedSpecs) {
  const std::string rsa = CreateKeyId({{"KeySpec", "RSA_2048"}, {"KeyUsage", "ENCRYPT_DECRYPT"}});
  EXPECT_EQ(CodeOf(Call("GenerateDataKeyPair", {{"KeyId", rsa}, {"KeyPairSpec", "ECC_NIST_P256"}})),
            ErrorCode::kInvalidKeyUsage);
  const std::string hmac = CreateKeyId({{"KeySpec", "HMAC_256"}, {"KeyUsage", "GENERATE_VERIFY_MAC"}});
  EXPECT_EQ(CodeOf(Call("GenerateDataKeyPair", {{"KeyId", hmac}, {"KeyPairSpec", "ECC_NIST_P256"}})),
            ErrorCode::kInvalidKeyUsage);
  const std::string sym = CreateKeyId();
  EXPECT_EQ(CodeOf(Call("GenerateDataKeyPair", {{"KeyId", sym}, {"KeyPairSpec", "SM2"}})),
            ErrorCode::kUnsupportedOperation);
  EXPECT_EQ(CodeOf(Call("GenerateDataKeyPair",
                        {{"KeyId", sym}, {"KeyPairSpec", "RSA_2048"}, {"Recipient", Json::object()}})),
            ErrorCode::kUnsupportedOperation);
  MustCall("DisableKey", {{"KeyId", sym}});
  EXPECT_EQ(CodeOf(Call("GenerateDataKeyPair", {{"KeyId", sym}, {"KeyPairSpec", "RSA_2048"}})),
            ErrorCode::kDisabled);
}

TEST_F(KeyPairsTest, DeriveSharedSecretMatchesTheLocalComputation) {
  for (const auto& [spec, asym] : {std::pair{"ECC_NIST_P256", crypto::AsymSpec::kP256},
                                   std::pair{"ECC_NIST_P384", crypto::AsymSpec::kP384},
                                   std::pair{"ECC_NIST_P521", crypto::AsymSpec::kP521}}) {
    const std::string key_id = CreateKeyId({{"KeySpec", spec}, {"KeyUsage", "KEY_AGREEMENT"}});
    auto peer = crypto::PrivateKey::FromPkcs8(crypto::GeneratePrivateKey(asym)->view());
    ASSERT_TRUE(peer.ok());
    const Json out = MustCall("DeriveSharedSecret", {{"KeyId", key_id},
                                                     {"KeyAgreementAlgorithm", "ECDH"},
                                                     {"PublicKey", Base64Encode((*peer)->PublicKeyDer())}});
    EXPECT_EQ(out["KeyAgreementAlgorithm"], "ECDH");
    EXPECT_EQ(out["KeyOrigin"], "AWS_KMS");
    const Json pub = MustCall("GetPublicKey", {{"KeyId", key_id}});
    EXPECT_EQ(pub["KeyAgreementAlgorithms"], Json::array({"ECDH"}));
    auto kms_public = crypto::PublicKey::FromSpki(BlobOf(pub["PublicKey"]));
    ASSERT_TRUE(kms_public.ok());
    auto local = (*peer)->DeriveSharedSecret(**kms_public);
    ASSERT_TRUE(local.ok());
    EXPECT_EQ(BlobOf(out["SharedSecret"]), Bytes(local->view().begin(), local->view().end()));
  }
}

TEST_F(KeyPairsTest, DeriveSharedSecretRejectsBadPeersAndKeys) {
  const std::string key_id = CreateKeyId({{"KeySpec", "ECC_NIST_P256"}, {"KeyUsage", "KEY_AGREEMENT"}});
  auto other_curve =
      crypto::PrivateKey::FromPkcs8(crypto::GeneratePrivateKey(crypto::AsymSpec::kP384)->view());
  ASSERT_TRUE(other_curve.ok());
  auto derive = [&](const std::string& id, const Bytes& public_key) {
    return Call("DeriveSharedSecret",
                {{"KeyId", id}, {"KeyAgreementAlgorithm", "ECDH"}, {"PublicKey", Base64Encode(public_key)}});
  };
  EXPECT_EQ(CodeOf(derive(key_id, (*other_curve)->PublicKeyDer())), ErrorCode::kValidation);
  EXPECT_EQ(CodeOf(derive(key_id, ToBytes("not a key"))), ErrorCode::kValidation);
  const std::string signer = CreateKeyId({{"KeySpec", "ECC_NIST_P256"}, {"KeyUsage", "SIGN_VERIFY"}});
  auto peer = crypto::PrivateKey::FromPkcs8(crypto::GeneratePrivateKey(crypto::AsymSpec::kP256)->view());
  ASSERT_TRUE(peer.ok());
  EXPECT_EQ(CodeOf(derive(signer, (*peer)->PublicKeyDer())), ErrorCode::kInvalidKeyUsage);
  auto recipient =
      Call("DeriveSharedSecret", {{"KeyId", key_id},
                                  {"KeyAgreementAlgorithm", "ECDH"},
                                  {"PublicKey", Base64Encode((*peer)->PublicKeyDer())},
                                  {"Recipient", {{"KeyEncryptionAlgorithm", "RSAES_OAEP_SHA_256"}}}});
  EXPECT_EQ(CodeOf(recipient), ErrorCode::kUnsupportedOperation);
}

}  // namespace
}  // namespace coffer::kms

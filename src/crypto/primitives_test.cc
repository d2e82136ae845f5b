// Envelope primitives against Wycheproof: HKDF-SHA384/512, ECDSA P-256/P-384
// verification, RSA-OAEP decryption; plus round trips for what Wycheproof
// does not cover (signing, encryption, compressed points).
#include "crypto/primitives.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <string>

#include "crypto/test_vectors.h"

namespace coffer::crypto {
namespace {

using testing::Hex;
using testing::HexField;
using testing::LoadJson;
using testing::OracleFile;

struct Tally {
  int passed = 0;
  int failed = 0;
  int skipped = 0;
};

void Report(const char* file, const Tally& t) {
  std::printf("[ wycheproof ] %s: %d passed, %d failed, %d skipped\n", file, t.passed, t.failed, t.skipped);
}

Bytes ToVector(const SecretBytes& secret) { return {secret.view().begin(), secret.view().end()}; }

void RunHkdf(const char* file, HashAlg hash) {
  const auto doc = LoadJson(OracleFile(std::string("wycheproof/testvectors_v1/") + file));
  Tally tally;
  for (const auto& group : doc.at("testGroups")) {
    for (const auto& test : group.at("tests")) {
      const std::string result = test.at("result");
      auto okm = Hkdf(hash, HexField(test, "ikm"), HexField(test, "salt"), HexField(test, "info"),
                      test.at("size").get<std::size_t>());
      const bool ok = okm.ok() && ToVector(*okm) == HexField(test, "okm");
      const bool pass = result == "valid" ? ok : (result == "invalid" ? !ok : true);
      EXPECT_TRUE(pass) << file << " tcId " << test.at("tcId");
      ++(pass ? tally.passed : tally.failed);
    }
  }
  Report(file, tally);
  EXPECT_GT(tally.passed, 50);
  EXPECT_EQ(tally.failed, 0);
}

TEST(HkdfTest, WycheproofSha256) { RunHkdf("hkdf_sha256_test.json", HashAlg::kSha256); }
TEST(HkdfTest, WycheproofSha384) { RunHkdf("hkdf_sha384_test.json", HashAlg::kSha384); }
TEST(HkdfTest, WycheproofSha512) { RunHkdf("hkdf_sha512_test.json", HashAlg::kSha512); }

TEST(HkdfTest, RejectsZeroAndOversizedOutput) {
  EXPECT_FALSE(Hkdf(HashAlg::kSha512, Hex("00"), {}, {}, 0).ok());
  EXPECT_FALSE(Hkdf(HashAlg::kSha384, Hex("00"), {}, {}, 255 * 48 + 1).ok());
  EXPECT_TRUE(Hkdf(HashAlg::kSha384, Hex("00"), {}, {}, 255 * 48).ok());
}

TEST(HasherTest, IncrementalEqualsOneShot) {
  Hasher whole(HashAlg::kSha384);
  whole.Update(ToBytes("abcdef"));
  Hasher pieces(HashAlg::kSha384);
  pieces.Update(ToBytes("abc"));
  pieces.Update({});
  pieces.Update(ToBytes("def"));
  EXPECT_EQ(whole.Final(), pieces.Final());
  Hasher abc(HashAlg::kSha256);
  abc.Update(ToBytes("abc"));
  EXPECT_EQ(HexEncode(abc.Final()), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

void RunEcdsa(const char* file, EcCurve curve, HashAlg hash) {
  const auto doc = LoadJson(OracleFile(std::string("wycheproof/testvectors_v1/") + file));
  Tally tally;
  for (const auto& group : doc.at("testGroups")) {
    auto verifier = EcdsaVerifier::FromPoint(curve, HexField(group.at("publicKey"), "uncompressed"));
    for (const auto& test : group.at("tests")) {
      const std::string result = test.at("result");
      bool ok = false;
      if (verifier.ok()) {
        Hasher hasher(hash);
        hasher.Update(HexField(test, "msg"));
        ok = (*verifier)->VerifyDigest(hasher.Final(), HexField(test, "sig")).ok();
      }
      const bool pass = result == "valid" ? ok : (result == "invalid" ? !ok : true);
      EXPECT_TRUE(pass) << file << " tcId " << test.at("tcId") << " " << test.at("comment");
      ++(pass ? tally.passed : tally.failed);
    }
  }
  Report(file, tally);
  EXPECT_GT(tally.passed, 300);
  EXPECT_EQ(tally.failed, 0);
}

TEST(EcdsaTest, WycheproofP256Sha256) {
  RunEcdsa("ecdsa_secp256r1_sha256_test.json", EcCurve::kP256, HashAlg::kSha256);
}
TEST(EcdsaTest, WycheproofP384Sha384) {
  RunEcdsa("ecdsa_secp384r1_sha384_test.json", EcCurve::kP384, HashAlg::kSha384);
}

TEST(EcdsaTest, SignVerifyRoundTripWithCompressedPointAndFixedLength) {
  for (auto [curve, hash] :
       {std::pair{EcCurve::kP256, HashAlg::kSha256}, std::pair{EcCurve::kP384, HashAlg::kSha384}}) {
    auto signer = EcdsaSigner::Generate(curve);
    ASSERT_TRUE(signer.ok()) << signer.status().ToString();
    const Bytes& point = (*signer)->CompressedPublicKey();
    ASSERT_EQ(point.size(), curve == EcCurve::kP256 ? 33u : 49u);
    EXPECT_TRUE(point[0] == 2 || point[0] == 3);
    Hasher hasher(hash);
    hasher.Update(ToBytes("message"));
    const Bytes digest = hasher.Final();
    auto sig = (*signer)->SignDigest(digest);
    ASSERT_TRUE(sig.ok()) << sig.status().ToString();
    EXPECT_EQ(sig->size(), EcdsaSignatureLen(curve));
    auto verifier = EcdsaVerifier::FromPoint(curve, point);
    ASSERT_TRUE(verifier.ok()) << verifier.status().ToString();
    EXPECT_TRUE((*verifier)->VerifyDigest(digest, *sig).ok());
    Bytes other = digest;
    other[0] ^= 1;
    EXPECT_EQ((*verifier)->VerifyDigest(other, *sig).code(), ErrorCode::kInvalidSignature);
    EXPECT_EQ((*verifier)->VerifyDigest(digest, {}).code(), ErrorCode::kInvalidSignature);
  }
}

TEST(EcdsaTest, RejectsPointsOffTheCurveOrOfTheWrongSize) {
  EXPECT_EQ(EcdsaVerifier::FromPoint(EcCurve::kP256, {}).status().code(), ErrorCode::kValidation);
  Bytes bad(33, 0xff);
  bad[0] = 2;
  EXPECT_EQ(EcdsaVerifier::FromPoint(EcCurve::kP256, bad).status().code(), ErrorCode::kValidation);
  auto signer = EcdsaSigner::Generate(EcCurve::kP384);
  ASSERT_TRUE(signer.ok());
  EXPECT_FALSE(EcdsaVerifier::FromPoint(EcCurve::kP256, (*signer)->CompressedPublicKey()).ok());
}

RsaPadding OaepPadding(const std::string& sha) {
  if (sha == "SHA-1") return RsaPadding::kOaepSha1;
  if (sha == "SHA-256") return RsaPadding::kOaepSha256;
  if (sha == "SHA-384") return RsaPadding::kOaepSha384;
  return RsaPadding::kOaepSha512;
}

void RunOaep(const char* file) {
  const auto doc = LoadJson(OracleFile(std::string("wycheproof/testvectors_v1/") + file));
  Tally tally;
  for (const auto& group : doc.at("testGroups")) {
    auto key = RsaKey::FromPem(group.at("privateKeyPem").get<std::string>());
    ASSERT_TRUE(key.ok()) << key.status().ToString();
    const RsaPadding padding = OaepPadding(group.at("sha"));
    ASSERT_EQ(group.at("mgfSha"), group.at("sha"));
    for (const auto& test : group.at("tests")) {
      if (!test.at("label").get<std::string>().empty()) {
        ++tally.skipped;  // the ESDK never uses an OAEP label, so the API has none
        continue;
      }
      const std::string result = test.at("result");
      auto msg = (*key)->Decrypt(padding, HexField(test, "ct"));
      const bool ok = msg.ok() && ToVector(*msg) == HexField(test, "msg");
      const bool pass = result == "valid" ? ok : (result == "invalid" ? !ok : true);
      EXPECT_TRUE(pass) << file << " tcId " << test.at("tcId");
      ++(pass ? tally.passed : tally.failed);
    }
  }
  Report(file, tally);
  EXPECT_GT(tally.passed, 10);
  EXPECT_EQ(tally.failed, 0);
}

TEST(RsaTest, WycheproofOaep) {
  for (const char* file :
       {"rsa_oaep_2048_sha1_mgf1sha1_test.json", "rsa_oaep_2048_sha256_mgf1sha256_test.json",
        "rsa_oaep_2048_sha384_mgf1sha384_test.json", "rsa_oaep_2048_sha512_mgf1sha512_test.json",
        "rsa_oaep_3072_sha256_mgf1sha256_test.json", "rsa_oaep_4096_sha256_mgf1sha256_test.json",
        "rsa_oaep_4096_sha512_mgf1sha512_test.json"}) {
    RunOaep(file);
  }
}

TEST(RsaTest, WycheproofPkcs1Decrypt) {
  for (const char* file :
       {"rsa_pkcs1_2048_test.json", "rsa_pkcs1_3072_test.json", "rsa_pkcs1_4096_test.json"}) {
    const auto doc = LoadJson(OracleFile(std::string("wycheproof/testvectors_v1/") + file));
    Tally tally;
    for (const auto& group : doc.at("testGroups")) {
      auto key = RsaKey::FromPem(group.at("privateKeyPem").get<std::string>());
      ASSERT_TRUE(key.ok()) << file << ": " << key.status().ToString();
      for (const auto& test : group.at("tests")) {
        const std::string result = test.at("result");
        auto msg = (*key)->Decrypt(RsaPadding::kPkcs1, HexField(test, "ct"));
        const bool ok = msg.ok() && ToVector(*msg) == HexField(test, "msg");
        const bool pass = result == "valid" ? ok : (result == "invalid" ? !ok : true);
        EXPECT_TRUE(pass) << file << " tcId " << test.at("tcId");
        ++(pass ? tally.passed : tally.failed);
      }
    }
    Report(file, tally);
    EXPECT_GT(tally.passed, 10) << file;
    EXPECT_EQ(tally.failed, 0) << file;
  }
}

TEST(RsaTest, EncryptDecryptRoundTripEveryPadding) {
  const auto doc =
      LoadJson(OracleFile("wycheproof/testvectors_v1/rsa_oaep_2048_sha256_mgf1sha256_test.json"));
  auto key = RsaKey::FromPem(doc.at("testGroups")[0].at("privateKeyPem").get<std::string>());
  ASSERT_TRUE(key.ok());
  EXPECT_TRUE((*key)->has_private_key());
  const Bytes data_key(32, 0x5a);
  for (RsaPadding padding : {RsaPadding::kPkcs1, RsaPadding::kOaepSha1, RsaPadding::kOaepSha256,
                             RsaPadding::kOaepSha384, RsaPadding::kOaepSha512}) {
    auto ct = (*key)->Encrypt(padding, data_key);
    ASSERT_TRUE(ct.ok()) << ct.status().ToString();
    auto pt = (*key)->Decrypt(padding, *ct);
    ASSERT_TRUE(pt.ok()) << pt.status().ToString();
    EXPECT_EQ(ToVector(*pt), data_key);
    Bytes tampered = *ct;
    tampered[10] ^= 1;
    EXPECT_FALSE((*key)->Decrypt(padding, tampered).ok());
  }
}

TEST(RsaTest, RejectsNonRsaAndGarbagePem) {
  EXPECT_EQ(RsaKey::FromPem("not a key").status().code(), ErrorCode::kValidation);
  const auto doc = LoadJson(OracleFile("wycheproof/testvectors_v1/ecdsa_secp256r1_sha256_test.json"));
  EXPECT_EQ(RsaKey::FromPem(doc.at("testGroups")[0].at("publicKeyPem").get<std::string>()).status().code(),
            ErrorCode::kValidation);
}

}  // namespace
}  // namespace coffer::crypto

// The KMS asymmetric wrappers (asymmetric.h) against Wycheproof: RSA-OAEP
// decryption, RSA-PSS and RSA PKCS#1 v1.5 verification, ECDSA (DER) on P-256,
// P-384, P-521 and secp256k1, ECDH on P-256/P-384/P-521, HMAC-SHA-224..512.
// "acceptable" vectors (legacy encodings Wycheproof lets either way) count as
// passing whatever the wrapper decides; the tally prints how many there were.
#include "crypto/asymmetric.h"

#include <gtest/gtest.h>

#include <atomic>
#include <cstdio>
#include <string>
#include <thread>
#include <vector>

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
  int acceptable = 0;
  int skipped = 0;
};

class VectorRun {
 public:
  explicit VectorRun(std::string file) : file_(std::move(file)) {
    doc_ = LoadJson(OracleFile("wycheproof/testvectors_v1/" + file_));
  }
  ~VectorRun() {
    std::printf("[ wycheproof ] %s: %d passed (%d acceptable), %d failed, %d skipped\n", file_.c_str(),
                tally_.passed, tally_.acceptable, tally_.failed, tally_.skipped);
    EXPECT_EQ(tally_.failed, 0) << file_;
    EXPECT_GT(tally_.passed, 20) << file_;
  }
  VectorRun(const VectorRun&) = delete;
  VectorRun& operator=(const VectorRun&) = delete;

  const nlohmann::json& groups() const { return doc_.at("testGroups"); }
  void Record(const nlohmann::json& test, bool ok) {
    const std::string result = test.at("result");
    if (result == "acceptable") ++tally_.acceptable;
    const bool pass = result == "valid" ? ok : (result == "invalid" ? !ok : true);
    EXPECT_TRUE(pass) << file_ << " tcId " << test.at("tcId") << " " << test.at("comment");
    ++(pass ? tally_.passed : tally_.failed);
  }
  void Skip() { ++tally_.skipped; }

 private:
  std::string file_;
  nlohmann::json doc_;
  Tally tally_;
};

HashAlg HashNamed(const std::string& name) {
  if (name == "SHA-1") return HashAlg::kSha1;
  if (name == "SHA-256") return HashAlg::kSha256;
  if (name == "SHA-384") return HashAlg::kSha384;
  return HashAlg::kSha512;
}

Bytes ToVector(const SecretBytes& secret) { return {secret.view().begin(), secret.view().end()}; }

void RunSignatures(const std::string& file, SigScheme scheme) {
  VectorRun run(file);
  for (const auto& group : run.groups()) {
    auto key = PublicKey::FromSpki(HexField(group, "publicKeyDer"));
    ASSERT_TRUE(key.ok()) << file << ": " << key.status().ToString();
    const HashAlg hash = HashNamed(group.at("sha"));
    if (scheme == SigScheme::kRsaPss &&
        (group.at("mgfSha") != group.at("sha") || group.at("sLen").get<std::size_t>() != HashLen(hash))) {
      for (std::size_t i = 0; i < group.at("tests").size(); ++i) run.Skip();  // KMS: salt = digest length
      continue;
    }
    for (const auto& test : group.at("tests")) {
      const Bytes digest = Digest(hash, HexField(test, "msg"));
      run.Record(test, (*key)->VerifyDigest({scheme, hash}, digest, HexField(test, "sig")).ok());
    }
  }
}

TEST(AsymmetricWycheproof, EcdsaDer) {
  for (const char* file : {"ecdsa_secp256r1_sha256_test.json", "ecdsa_secp384r1_sha384_test.json",
                           "ecdsa_secp521r1_sha512_test.json", "ecdsa_secp256k1_sha256_test.json"}) {
    RunSignatures(file, SigScheme::kEcdsa);
  }
}

TEST(AsymmetricWycheproof, RsaPss) {
  for (const char* file :
       {"rsa_pss_2048_sha256_mgf1_32_test.json", "rsa_pss_2048_sha384_mgf1_48_test.json",
        "rsa_pss_3072_sha256_mgf1_32_test.json", "rsa_pss_4096_sha256_mgf1_32_test.json",
        "rsa_pss_4096_sha384_mgf1_48_test.json", "rsa_pss_4096_sha512_mgf1_64_test.json"}) {
    RunSignatures(file, SigScheme::kRsaPss);
  }
}

TEST(AsymmetricWycheproof, RsaPkcs1Signatures) {
  for (const char* size : {"2048", "3072", "4096"}) {
    for (const char* sha : {"sha256", "sha384", "sha512"}) {
      RunSignatures(std::string("rsa_signature_") + size + "_" + sha + "_test.json", SigScheme::kRsaPkcs1);
    }
  }
}

// PKCS#1 v1.5 signing is deterministic: the signature must equal
// Wycheproof's byte for byte. KMS signs with SHA-256/384/512 only; the SHA-1
// and SHA-224 groups are skipped.
TEST(AsymmetricWycheproof, RsaPkcs1SignatureGeneration) {
  for (const char* size : {"2048", "3072", "4096"}) {
    VectorRun run(std::string("rsa_pkcs1_") + size + "_sig_gen_test.json");
    for (const auto& group : run.groups()) {
      const std::string sha = group.at("sha");
      if (sha != "SHA-256" && sha != "SHA-384" && sha != "SHA-512") {
        for (std::size_t i = 0; i < group.at("tests").size(); ++i) run.Skip();
        continue;
      }
      auto key = PrivateKey::FromPkcs8(HexField(group, "privateKeyPkcs8"));
      ASSERT_TRUE(key.ok()) << size << ": " << key.status().ToString();
      const HashAlg hash = HashNamed(sha);
      for (const auto& test : group.at("tests")) {
        auto sig = (*key)->SignDigest({SigScheme::kRsaPkcs1, hash}, Digest(hash, HexField(test, "msg")));
        run.Record(test, sig.ok() && *sig == HexField(test, "sig"));
      }
    }
  }
}

// AES key wrap with padding (RFC 5649): ImportKeyMaterial unwraps
// caller-supplied EncryptedKeyMaterial with it. Valid vectors must unwrap to
// the message and wrap back to the ciphertext; invalid ones must not unwrap.
TEST(AsymmetricWycheproof, AesKeyWrapWithPadding) {
  VectorRun run("aes_kwp_test.json");
  for (const auto& group : run.groups()) {
    for (const auto& test : group.at("tests")) {
      const Bytes key = HexField(test, "key");
      auto unwrapped = AesKeyUnwrapPad(key, HexField(test, "ct"));
      bool ok = unwrapped.ok() && ToVector(*unwrapped) == HexField(test, "msg");
      if (ok) {
        auto wrapped = AesKeyWrapPad(key, HexField(test, "msg"));
        ok = wrapped.ok() && *wrapped == HexField(test, "ct");
      }
      run.Record(test, ok);
    }
  }
}

// Wycheproof files deliberately not run: aes_gcm_siv_test.json (Coffer has
// no AES-GCM-SIV), aes_wrap_test.json (RFC 3394 without padding: KMS import
// wraps with RFC 5649 only), ecdh_*_ecpoint_test.json (DeriveSharedSecret
// takes the peer key as SubjectPublicKeyInfo DER, which ecdh_*_test.json
// covers, never as a bare point).

TEST(AsymmetricWycheproof, RsaOaepDecrypt) {
  for (const char* file :
       {"rsa_oaep_2048_sha1_mgf1sha1_test.json", "rsa_oaep_2048_sha256_mgf1sha256_test.json",
        "rsa_oaep_3072_sha256_mgf1sha256_test.json", "rsa_oaep_4096_sha256_mgf1sha256_test.json"}) {
    VectorRun run(file);
    for (const auto& group : run.groups()) {
      auto key = PrivateKey::FromPkcs8(HexField(group, "privateKeyPkcs8"));
      ASSERT_TRUE(key.ok()) << file << ": " << key.status().ToString();
      const RsaPadding padding = group.at("sha") == "SHA-1" ? RsaPadding::kOaepSha1 : RsaPadding::kOaepSha256;
      for (const auto& test : group.at("tests")) {
        if (!test.at("label").get<std::string>().empty()) {
          run.Skip();  // KMS's RSAES_OAEP has no label
          continue;
        }
        auto msg = (*key)->Decrypt(padding, HexField(test, "ct"));
        run.Record(test, msg.ok() && ToVector(*msg) == HexField(test, "msg"));
      }
    }
  }
}

TEST(AsymmetricWycheproof, Ecdh) {
  const struct {
    const char* file;
    AsymSpec spec;
  } kFiles[] = {{"ecdh_secp256r1_test.json", AsymSpec::kP256},
                {"ecdh_secp384r1_test.json", AsymSpec::kP384},
                {"ecdh_secp521r1_test.json", AsymSpec::kP521}};
  for (const auto& [file, spec] : kFiles) {
    VectorRun run(file);
    for (const auto& group : run.groups()) {
      for (const auto& test : group.at("tests")) {
        auto pkcs8 = EcPrivateKeyFromScalar(spec, HexField(test, "private"));
        ASSERT_TRUE(pkcs8.ok()) << pkcs8.status().ToString();
        auto key = PrivateKey::FromPkcs8(pkcs8->view());
        ASSERT_TRUE(key.ok()) << file << " tcId " << test.at("tcId") << ": " << key.status().ToString();
        auto peer = PublicKey::FromSpki(HexField(test, "public"));
        bool ok = false;
        if (peer.ok()) {
          auto shared = (*key)->DeriveSharedSecret(**peer);
          ok = shared.ok() && ToVector(*shared) == HexField(test, "shared");
        }
        run.Record(test, ok);
      }
    }
  }
}

TEST(AsymmetricWycheproof, Hmac) {
  const struct {
    const char* file;
    MacAlg alg;
  } kFiles[] = {{"hmac_sha224_test.json", MacAlg::kSha224},
                {"hmac_sha256_test.json", MacAlg::kSha256},
                {"hmac_sha384_test.json", MacAlg::kSha384},
                {"hmac_sha512_test.json", MacAlg::kSha512}};
  for (const auto& [file, alg] : kFiles) {
    VectorRun run(file);
    for (const auto& group : run.groups()) {
      const std::size_t tag_len = group.at("tagSize").get<std::size_t>() / 8;
      for (const auto& test : group.at("tests")) {
        auto mac = Hmac(alg, HexField(test, "key"), HexField(test, "msg"));
        ASSERT_TRUE(mac.ok()) << mac.status().ToString();
        ASSERT_EQ(mac->size(), MacLen(alg));
        run.Record(test, SecretsEqual(ByteView(*mac).first(tag_len), HexField(test, "tag")));
      }
    }
  }
}

// ---- round trips and rejections Wycheproof does not cover ----

TEST(AsymmetricKeys, EverySpecGeneratesSignsAndVerifies) {
  const struct {
    AsymSpec spec;
    SignatureAlg alg;
  } kCases[] = {{AsymSpec::kRsa2048, {SigScheme::kRsaPss, HashAlg::kSha256}},
                {AsymSpec::kRsa3072, {SigScheme::kRsaPkcs1, HashAlg::kSha384}},
                {AsymSpec::kP256, {SigScheme::kEcdsa, HashAlg::kSha256}},
                {AsymSpec::kP384, {SigScheme::kEcdsa, HashAlg::kSha384}},
                {AsymSpec::kP521, {SigScheme::kEcdsa, HashAlg::kSha512}},
                {AsymSpec::kSecp256k1, {SigScheme::kEcdsa, HashAlg::kSha256}}};
  for (const auto& [spec, alg] : kCases) {
    auto pkcs8 = GeneratePrivateKey(spec);
    ASSERT_TRUE(pkcs8.ok()) << pkcs8.status().ToString();
    auto key = PrivateKey::FromPkcs8(pkcs8->view());
    ASSERT_TRUE(key.ok()) << key.status().ToString();
    EXPECT_EQ((*key)->spec(), spec);
    auto pub = PublicKey::FromSpki((*key)->PublicKeyDer());
    ASSERT_TRUE(pub.ok()) << pub.status().ToString();
    EXPECT_EQ((*pub)->spec(), spec);
    const Bytes digest = Digest(alg.hash, ToBytes("release-1.0.tar.gz"));
    auto sig = (*key)->SignDigest(alg, digest);
    ASSERT_TRUE(sig.ok()) << sig.status().ToString();
    EXPECT_TRUE((*pub)->VerifyDigest(alg, digest, *sig).ok());
    Bytes other = digest;
    other[0] ^= 1;
    EXPECT_EQ((*pub)->VerifyDigest(alg, other, *sig).code(), ErrorCode::kInvalidSignature);
    EXPECT_EQ((*pub)->VerifyDigest(alg, digest, {}).code(), ErrorCode::kInvalidSignature);
    // A digest of the wrong length is a caller bug, never a signature.
    EXPECT_EQ((*key)->SignDigest(alg, ByteView(digest).first(10)).status().code(), ErrorCode::kInternal);
  }
}

// FIPS 180-4's published "abc" examples (NIST CSRC example values).
TEST(Digests, MatchThePublishedAbcExamples) {
  EXPECT_EQ(Digest(HashAlg::kSha1, ToBytes("abc")), Hex("a9993e364706816aba3e25717850c26c9cd0d89d"));
  EXPECT_EQ(Digest(HashAlg::kSha256, ToBytes("abc")),
            Hex("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"));
  EXPECT_EQ(Digest(HashAlg::kSha384, ToBytes("abc")),
            Hex("cb00753f45a35e8bb5a03d699ac65007272c32ab0eded1631a8b605a43ff5bed"
                "8086072ba1e7cc2358baeca134c825a7"));
  EXPECT_EQ(Digest(HashAlg::kSha512, ToBytes("abc")),
            Hex("ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a"
                "2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f"));
  EXPECT_EQ(Digest(HashAlg::kSha256, {}),
            Hex("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"));
}

// Signing contexts are reused per key: alternating algorithms on one key,
// and several threads signing at once, must still give signatures that
// verify (and PKCS#1 v1.5, being deterministic, the same bytes each time).
TEST(AsymmetricKeys, ReusedSigningContextsKeepEachAlgorithmApart) {
  auto key = PrivateKey::FromPkcs8(GeneratePrivateKey(AsymSpec::kRsa2048)->view());
  ASSERT_TRUE(key.ok());
  const SignatureAlg pss{SigScheme::kRsaPss, HashAlg::kSha256};
  const SignatureAlg pkcs1{SigScheme::kRsaPkcs1, HashAlg::kSha384};
  const Bytes d256 = Digest(HashAlg::kSha256, ToBytes("m"));
  const Bytes d384 = Digest(HashAlg::kSha384, ToBytes("m"));
  auto first = (*key)->SignDigest(pkcs1, d384);
  ASSERT_TRUE(first.ok());
  for (int i = 0; i < 3; ++i) {
    auto a = (*key)->SignDigest(pss, d256);
    auto b = (*key)->SignDigest(pkcs1, d384);
    ASSERT_TRUE(a.ok() && b.ok());
    EXPECT_TRUE((*key)->public_key().VerifyDigest(pss, d256, *a).ok());
    EXPECT_EQ(*b, *first);
  }
  auto ec = PrivateKey::FromPkcs8(GeneratePrivateKey(AsymSpec::kP256)->view());
  ASSERT_TRUE(ec.ok());
  const SignatureAlg ecdsa{SigScheme::kEcdsa, HashAlg::kSha256};
  std::vector<std::thread> threads;
  std::atomic<int> verified{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 25; ++i) {
        auto sig = (*ec)->SignDigest(ecdsa, d256);
        if (sig.ok() && (*ec)->public_key().VerifyDigest(ecdsa, d256, *sig).ok()) ++verified;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(verified.load(), 100);
}

// Verifying contexts are reused per key too: the answer for each signature
// must not depend on what the context verified before (another algorithm, a
// signature that failed, a good one).
TEST(AsymmetricKeys, ReusedVerifyingContextsAnswerEachSignatureOnItsOwn) {
  auto key = PrivateKey::FromPkcs8(GeneratePrivateKey(AsymSpec::kRsa2048)->view());
  ASSERT_TRUE(key.ok());
  const PublicKey& pub = (*key)->public_key();
  const SignatureAlg pss{SigScheme::kRsaPss, HashAlg::kSha256};
  const SignatureAlg pkcs1{SigScheme::kRsaPkcs1, HashAlg::kSha256};
  const Bytes digest = Digest(HashAlg::kSha256, ToBytes("m"));
  auto pss_sig = (*key)->SignDigest(pss, digest);
  auto pkcs1_sig = (*key)->SignDigest(pkcs1, digest);
  ASSERT_TRUE(pss_sig.ok() && pkcs1_sig.ok());
  Bytes bad = *pkcs1_sig;
  bad[7] ^= 1;
  for (int i = 0; i < 3; ++i) {
    EXPECT_TRUE(pub.VerifyDigest(pss, digest, *pss_sig).ok());
    EXPECT_TRUE(pub.VerifyDigest(pkcs1, digest, *pkcs1_sig).ok());
    EXPECT_EQ(pub.VerifyDigest(pkcs1, digest, bad).code(), ErrorCode::kInvalidSignature);
    EXPECT_EQ(pub.VerifyDigest(pss, digest, *pkcs1_sig).code(), ErrorCode::kInvalidSignature);
    EXPECT_TRUE(pub.VerifyDigest(pkcs1, digest, *pkcs1_sig).ok());
  }
  auto ec = PrivateKey::FromPkcs8(GeneratePrivateKey(AsymSpec::kP256)->view());
  ASSERT_TRUE(ec.ok());
  const SignatureAlg ecdsa{SigScheme::kEcdsa, HashAlg::kSha256};
  auto ec_sig = (*ec)->SignDigest(ecdsa, digest);
  ASSERT_TRUE(ec_sig.ok());
  const Bytes other_digest = Digest(HashAlg::kSha256, ToBytes("n"));
  for (int i = 0; i < 3; ++i) {
    EXPECT_TRUE((*ec)->public_key().VerifyDigest(ecdsa, digest, *ec_sig).ok());
    EXPECT_EQ((*ec)->public_key().VerifyDigest(ecdsa, other_digest, *ec_sig).code(),
              ErrorCode::kInvalidSignature);
  }
}

TEST(AsymmetricKeys, RsaOaepRoundTripAndTamper) {
  auto pkcs8 = GeneratePrivateKey(AsymSpec::kRsa2048);
  ASSERT_TRUE(pkcs8.ok());
  auto key = PrivateKey::FromPkcs8(pkcs8->view());
  ASSERT_TRUE(key.ok());
  for (RsaPadding padding : {RsaPadding::kOaepSha1, RsaPadding::kOaepSha256}) {
    auto ct = (*key)->public_key().Encrypt(padding, ToBytes("secret"));
    ASSERT_TRUE(ct.ok()) << ct.status().ToString();
    auto pt = (*key)->Decrypt(padding, *ct);
    ASSERT_TRUE(pt.ok());
    EXPECT_EQ(ToVector(*pt), ToBytes("secret"));
    Bytes tampered = *ct;
    tampered[5] ^= 1;
    EXPECT_EQ((*key)->Decrypt(padding, tampered).status().code(), ErrorCode::kInvalidCiphertext);
  }
}

TEST(AsymmetricKeys, RejectsGarbageTrailingBytesAndUnsupportedKeys) {
  EXPECT_EQ(PrivateKey::FromPkcs8({}).status().code(), ErrorCode::kValidation);
  EXPECT_EQ(PrivateKey::FromPkcs8(ToBytes("not der")).status().code(), ErrorCode::kValidation);
  EXPECT_EQ(PublicKey::FromSpki({}).status().code(), ErrorCode::kValidation);
  auto pkcs8 = GeneratePrivateKey(AsymSpec::kP256);
  ASSERT_TRUE(pkcs8.ok());
  Bytes trailing(pkcs8->view().begin(), pkcs8->view().end());
  trailing.push_back(0);
  EXPECT_EQ(PrivateKey::FromPkcs8(trailing).status().code(), ErrorCode::kValidation);
  auto key = PrivateKey::FromPkcs8(pkcs8->view());
  ASSERT_TRUE(key.ok());
  Bytes spki = (*key)->PublicKeyDer();
  spki.push_back(0);
  EXPECT_EQ(PublicKey::FromSpki(spki).status().code(), ErrorCode::kValidation);
  Bytes broken = (*key)->PublicKeyDer();
  broken[broken.size() - 5] ^= 0xff;  // moves the point off the curve
  EXPECT_EQ(PublicKey::FromSpki(broken).status().code(), ErrorCode::kValidation);
}

TEST(AsymmetricKeys, EcdhAgreesAndRefusesOtherCurves) {
  auto a = PrivateKey::FromPkcs8(GeneratePrivateKey(AsymSpec::kP384)->view());
  auto b = PrivateKey::FromPkcs8(GeneratePrivateKey(AsymSpec::kP384)->view());
  auto c = PrivateKey::FromPkcs8(GeneratePrivateKey(AsymSpec::kP256)->view());
  ASSERT_TRUE(a.ok() && b.ok() && c.ok());
  auto ab = (*a)->DeriveSharedSecret((*b)->public_key());
  auto ba = (*b)->DeriveSharedSecret((*a)->public_key());
  ASSERT_TRUE(ab.ok() && ba.ok());
  EXPECT_EQ(ab->size(), 48u);
  EXPECT_EQ(ToVector(*ab), ToVector(*ba));
  EXPECT_EQ((*a)->DeriveSharedSecret((*c)->public_key()).status().code(), ErrorCode::kValidation);
}

TEST(AsymmetricKeys, EcScalarOutOfRange) {
  EXPECT_EQ(EcPrivateKeyFromScalar(AsymSpec::kP256, Bytes(33, 0xff)).status().code(), ErrorCode::kValidation);
  EXPECT_EQ(EcPrivateKeyFromScalar(AsymSpec::kP256, Bytes(4, 0)).status().code(), ErrorCode::kValidation);
}

// RFC 5649 section 6, the 20-octet example.
TEST(AesKeyWrapPad, Rfc5649VectorAndTamper) {
  const Bytes kek = Hex("5840df6e29b02af1ab493b705bf16ea1ae8338f4dcc176a8");
  const Bytes key = Hex("c37b7e6492584340bed12207808941155068f738");
  auto wrapped = AesKeyWrapPad(kek, key);
  ASSERT_TRUE(wrapped.ok()) << wrapped.status().ToString();
  EXPECT_EQ(*wrapped, Hex("138bdeaa9b8fa7fc61f97742e72248ee5ae6ae5360d1ae6a5f54f373fa543b6a"));
  auto unwrapped = AesKeyUnwrapPad(kek, *wrapped);
  ASSERT_TRUE(unwrapped.ok());
  EXPECT_EQ(ToVector(*unwrapped), key);
  Bytes tampered = *wrapped;
  tampered[3] ^= 1;
  EXPECT_EQ(AesKeyUnwrapPad(kek, tampered).status().code(), ErrorCode::kInvalidCiphertext);
  EXPECT_EQ(AesKeyUnwrapPad(kek, ByteView(*wrapped).first(12)).status().code(),
            ErrorCode::kInvalidCiphertext);
}

TEST(SecretsEqualTest, ComparesContentAndLength) {
  EXPECT_TRUE(SecretsEqual(ToBytes("abc"), ToBytes("abc")));
  EXPECT_FALSE(SecretsEqual(ToBytes("abc"), ToBytes("abd")));
  EXPECT_FALSE(SecretsEqual(ToBytes("abc"), ToBytes("ab")));
  EXPECT_TRUE(SecretsEqual({}, {}));
}

}  // namespace
}  // namespace coffer::crypto

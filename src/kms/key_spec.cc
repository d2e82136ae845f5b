#include "kms/key_spec.h"

#include <algorithm>
#include <array>

#include "crypto/crypto.h"

namespace coffer::kms {
namespace {

using crypto::AsymSpec;
using crypto::MacAlg;

const std::vector<std::string_view> kRsaSigning = {"RSASSA_PSS_SHA_256",        "RSASSA_PSS_SHA_384",
                                                   "RSASSA_PSS_SHA_512",        "RSASSA_PKCS1_V1_5_SHA_256",
                                                   "RSASSA_PKCS1_V1_5_SHA_384", "RSASSA_PKCS1_V1_5_SHA_512"};
constexpr std::string_view kEncrypt = "ENCRYPT_DECRYPT";
constexpr std::string_view kSign = "SIGN_VERIFY";
constexpr std::string_view kAgree = "KEY_AGREEMENT";
constexpr std::string_view kMac = "GENERATE_VERIFY_MAC";

const std::vector<KeySpecInfo>& Table() {
  static const std::vector<KeySpecInfo> kTable = {
      {"SYMMETRIC_DEFAULT", KeyFamily::kSymmetric, std::nullopt, std::nullopt, 0, {kEncrypt}, {}},
      {"RSA_2048", KeyFamily::kRsa, AsymSpec::kRsa2048, std::nullopt, 0, {kEncrypt, kSign}, kRsaSigning},
      {"RSA_3072", KeyFamily::kRsa, AsymSpec::kRsa3072, std::nullopt, 0, {kEncrypt, kSign}, kRsaSigning},
      {"RSA_4096", KeyFamily::kRsa, AsymSpec::kRsa4096, std::nullopt, 0, {kEncrypt, kSign}, kRsaSigning},
      {"ECC_NIST_P256",
       KeyFamily::kEcc,
       AsymSpec::kP256,
       std::nullopt,
       0,
       {kSign, kAgree},
       {"ECDSA_SHA_256"}},
      {"ECC_NIST_P384",
       KeyFamily::kEcc,
       AsymSpec::kP384,
       std::nullopt,
       0,
       {kSign, kAgree},
       {"ECDSA_SHA_384"}},
      {"ECC_NIST_P521",
       KeyFamily::kEcc,
       AsymSpec::kP521,
       std::nullopt,
       0,
       {kSign, kAgree},
       {"ECDSA_SHA_512"}},
      {"ECC_SECG_P256K1", KeyFamily::kEcc, AsymSpec::kSecp256k1, std::nullopt, 0, {kSign}, {"ECDSA_SHA_256"}},
      {"HMAC_224", KeyFamily::kHmac, std::nullopt, MacAlg::kSha224, 28, {kMac}, {}},
      {"HMAC_256", KeyFamily::kHmac, std::nullopt, MacAlg::kSha256, 32, {kMac}, {}},
      {"HMAC_384", KeyFamily::kHmac, std::nullopt, MacAlg::kSha384, 48, {kMac}, {}},
      {"HMAC_512", KeyFamily::kHmac, std::nullopt, MacAlg::kSha512, 64, {kMac}, {}},
  };
  return kTable;
}

constexpr std::array<std::string_view, 4> kMacNames = {"HMAC_SHA_224", "HMAC_SHA_256", "HMAC_SHA_384",
                                                       "HMAC_SHA_512"};

}  // namespace

const KeySpecInfo* FindKeySpec(std::string_view name) {
  for (const auto& info : Table()) {
    if (info.name == name) return &info;
  }
  return nullptr;
}

const KeySpecInfo& SpecInfo(std::string_view name) {
  const KeySpecInfo* info = FindKeySpec(name);
  return info != nullptr ? *info : Table().front();
}

std::vector<AlgorithmList> AlgorithmsFor(const KeySpecInfo& spec, std::string_view usage) {
  switch (spec.family) {
    case KeyFamily::kSymmetric:
      return {{"EncryptionAlgorithms", {"SYMMETRIC_DEFAULT"}}};
    case KeyFamily::kHmac:
      return {{"MacAlgorithms", {kMacNames[static_cast<std::size_t>(*spec.mac)]}}};
    case KeyFamily::kRsa:
    case KeyFamily::kEcc:
      break;
  }
  if (usage == kEncrypt) return {{"EncryptionAlgorithms", {"RSAES_OAEP_SHA_1", "RSAES_OAEP_SHA_256"}}};
  if (usage == kAgree) return {{"KeyAgreementAlgorithms", {"ECDH"}}};
  return {{"SigningAlgorithms", spec.signing_algorithms}};
}

StatusOr<SecretBytes> GenerateMaterial(const KeySpecInfo& spec, RandomSource& random) {
  switch (spec.family) {
    case KeyFamily::kSymmetric:
      return crypto::RandomSecret(random, 32);
    case KeyFamily::kHmac:
      return crypto::RandomSecret(random, spec.hmac_key_len);
    case KeyFamily::kRsa:
    case KeyFamily::kEcc:
      break;
  }
  return crypto::GeneratePrivateKey(*spec.asym);
}

bool MaterialFits(const KeySpecInfo& spec, ByteView material) {
  switch (spec.family) {
    case KeyFamily::kSymmetric:
      return material.size() == 32;
    case KeyFamily::kHmac:
      // AWS: imported HMAC material is between the digest length and 64 bytes.
      return material.size() >= crypto::MacLen(*spec.mac) && material.size() <= 64;
    case KeyFamily::kRsa:
    case KeyFamily::kEcc:
      break;
  }
  auto key = crypto::PrivateKey::FromPkcs8(material);
  return key.ok() && (*key)->spec() == *spec.asym;
}

std::string_view MacAlgorithmName(crypto::MacAlg alg) { return kMacNames[static_cast<std::size_t>(alg)]; }

std::optional<crypto::SignatureAlg> ParseSigningAlgorithm(std::string_view name) {
  using crypto::HashAlg;
  using crypto::SigScheme;
  struct Row {
    std::string_view name;
    crypto::SignatureAlg alg;
  };
  static constexpr std::array<Row, 9> kRows = {{
      {"RSASSA_PSS_SHA_256", {SigScheme::kRsaPss, HashAlg::kSha256}},
      {"RSASSA_PSS_SHA_384", {SigScheme::kRsaPss, HashAlg::kSha384}},
      {"RSASSA_PSS_SHA_512", {SigScheme::kRsaPss, HashAlg::kSha512}},
      {"RSASSA_PKCS1_V1_5_SHA_256", {SigScheme::kRsaPkcs1, HashAlg::kSha256}},
      {"RSASSA_PKCS1_V1_5_SHA_384", {SigScheme::kRsaPkcs1, HashAlg::kSha384}},
      {"RSASSA_PKCS1_V1_5_SHA_512", {SigScheme::kRsaPkcs1, HashAlg::kSha512}},
      {"ECDSA_SHA_256", {SigScheme::kEcdsa, HashAlg::kSha256}},
      {"ECDSA_SHA_384", {SigScheme::kEcdsa, HashAlg::kSha384}},
      {"ECDSA_SHA_512", {SigScheme::kEcdsa, HashAlg::kSha512}},
  }};
  for (const auto& row : kRows) {
    if (row.name == name) return row.alg;
  }
  return std::nullopt;
}

}  // namespace coffer::kms

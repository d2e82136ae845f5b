// What each KMS KeySpec is: its family, the KeyUsage values AWS allows for
// it, its algorithms, and how its material is made and checked. One table
// (key_spec.cc) answers every per-spec question the operations ask.
#pragma once

#include <cstddef>
#include <optional>
#include <string_view>
#include <vector>

#include "common/random.h"
#include "common/secret_bytes.h"
#include "common/status_or.h"
#include "crypto/asymmetric.h"

namespace coffer::kms {

enum class KeyFamily : std::uint8_t { kSymmetric, kRsa, kEcc, kHmac };

struct KeySpecInfo {
  std::string_view name;
  KeyFamily family;
  std::optional<crypto::AsymSpec> asym;  // RSA and ECC
  std::optional<crypto::MacAlg> mac;     // HMAC
  std::size_t hmac_key_len = 0;          // HMAC: bytes of generated material
  std::vector<std::string_view> usages;  // allowed KeyUsage values, default first
  std::vector<std::string_view> signing_algorithms;
};

// nullptr for a spec this server does not implement (SM2, ML-DSA, Ed25519).
const KeySpecInfo* FindKeySpec(std::string_view name);
// The spec info of a stored record (always found: records are only made from the table).
const KeySpecInfo& SpecInfo(std::string_view name);

// The algorithm lists DescribeKey and GetPublicKey report for a spec and usage,
// as {member name, values}; empty members are omitted.
struct AlgorithmList {
  std::string_view member;
  std::vector<std::string_view> values;
};
std::vector<AlgorithmList> AlgorithmsFor(const KeySpecInfo& spec, std::string_view usage);

// New material for a key of `spec`: 32 random bytes (symmetric), random bytes
// of the HMAC length, or a PKCS#8 DER private key.
StatusOr<SecretBytes> GenerateMaterial(const KeySpecInfo& spec, RandomSource& random);

// Checks imported material fits `spec` (kValidation-free: the caller maps the
// failure to the AWS error). Returns false when it does not.
bool MaterialFits(const KeySpecInfo& spec, ByteView material);

// "HMAC_SHA_256" etc. for a MAC algorithm.
std::string_view MacAlgorithmName(crypto::MacAlg alg);

// Signing algorithm names -> scheme and hash; nullopt for unknown names.
std::optional<crypto::SignatureAlg> ParseSigningAlgorithm(std::string_view name);

}  // namespace coffer::kms

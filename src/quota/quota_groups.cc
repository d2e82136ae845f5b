#include "quota/quota_groups.h"

#include <array>

namespace coffer::quota {
namespace {

using nlohmann::json;

constexpr std::array<std::string_view, 12> kCryptoOps = {"Encrypt",
                                                         "Decrypt",
                                                         "ReEncrypt",
                                                         "GenerateDataKey",
                                                         "GenerateDataKeyWithoutPlaintext",
                                                         "GenerateDataKeyPair",
                                                         "GenerateDataKeyPairWithoutPlaintext",
                                                         "GenerateRandom",
                                                         "GenerateMac",
                                                         "VerifyMac",
                                                         "Sign",
                                                         "Verify"};

bool IsCrypto(std::string_view op) {
  for (auto name : kCryptoOps) {
    if (name == op) return true;
  }
  return false;
}

std::string_view AlgorithmGroup(JsonView body) {
  for (const char* member : {"EncryptionAlgorithm", "SigningAlgorithm", "KeyAgreementAlgorithm",
                             "SourceEncryptionAlgorithm", "DestinationEncryptionAlgorithm"}) {
    const JsonView value = body.find(member);
    if (!value.is_string()) continue;
    const std::string_view alg = value.str();
    if (alg.starts_with("RSAES_") || alg.starts_with("RSASSA_")) return kRsa;
    if (alg.starts_with("ECDSA_") || alg.starts_with("SM2") || alg == "ECDH") return kEcc;
  }
  return kSymmetric;
}

std::string SsmGroup(std::string_view operation, bool higher) {
  if (operation == "GetParameter" || operation == "GetParameters") {
    return higher ? "ssm:GetParameter:higher" : "ssm:GetParameter";
  }
  if (operation == "GetParametersByPath")
    return higher ? "ssm:GetParametersByPath:higher" : "ssm:GetParameter";
  return {};
}

}  // namespace

std::string GroupFor(std::string_view service, std::string_view operation, JsonView body,
                     bool higher_throughput) {
  if (service == "cloudtrail") return "cloudtrail:" + std::string(operation);
  if (service == "ssm") return SsmGroup(operation, higher_throughput);
  if (service != "kms") return {};
  if (operation == "DeriveSharedSecret") return std::string(kEcc);
  if (IsCrypto(operation)) return std::string(body.is_object() ? AlgorithmGroup(body) : kSymmetric);
  const auto& rates = DefaultRates();
  return rates.contains(operation) ? std::string(operation) : std::string();
}

const std::map<std::string, double, std::less<>>& DefaultRates() {
  static const auto* rates = new std::map<std::string, double, std::less<>>{
      {"symmetric", 5500},
      {"rsa", 500},
      {"ecc", 300},
      {"CancelKeyDeletion", 5},
      {"CreateAlias", 5},
      {"CreateGrant", 50},
      {"CreateKey", 50},
      {"DeleteAlias", 5},
      {"DeleteImportedKeyMaterial", 5},
      {"DescribeKey", 2000},
      {"DisableKey", 5},
      {"DisableKeyRotation", 5},
      {"EnableKey", 5},
      {"EnableKeyRotation", 5},
      {"GetKeyPolicy", 1000},
      {"GetKeyRotationStatus", 1000},
      {"GetParametersForImport", 5},
      {"GetPublicKey", 2000},
      {"ImportKeyMaterial", 5},
      {"ListAliases", 100},
      {"ListGrants", 100},
      {"ListKeyPolicies", 100},
      {"ListKeyRotations", 100},
      {"ListKeys", 100},
      {"ListResourceTags", 100},
      {"ListRetirableGrants", 100},
      {"PutKeyPolicy", 5},
      {"ReplicateKey", 5},
      {"RetireGrant", 30},
      {"RevokeGrant", 30},
      {"RotateKeyOnDemand", 5},
      {"ScheduleKeyDeletion", 5},
      {"TagResource", 10},
      {"UntagResource", 10},
      {"UpdateAlias", 5},
      {"UpdateKeyDescription", 5},
      {"UpdatePrimaryRegion", 5},
      {"cloudtrail:LookupEvents", 2},
      {"ssm:GetParameter", 40},
      {"ssm:GetParameter:higher", 10000},
      {"ssm:GetParametersByPath:higher", 100},
  };
  return *rates;
}

}  // namespace coffer::quota

// HMAC keys: GenerateMac, VerifyMac.
#include "common/encoding.h"
#include "kms/ops/asym_util.h"
#include "kms/ops/ops.h"

namespace coffer::kms::ops {
namespace {

struct MacResult {
  std::shared_ptr<const LoadedKey> key;
  std::string alg_name;
  Bytes mac;
};

// The MAC of the request's Message under the key's current material.
StatusOr<MacResult> ComputeMac(KmsService& kms, const RequestContext& ctx, const Json& req,
                               std::string_view op) {
  ASSIGN_OR_RETURN(auto key,
                   ResolveForUse(kms, ctx, req.at("KeyId").get<std::string>(), "GENERATE_VERIFY_MAC", op));
  const KeySpecInfo& spec = SpecInfo(key->record.key_spec);
  const std::string alg_name = req.at("MacAlgorithm").get<std::string>();
  if (alg_name != MacAlgorithmName(*spec.mac)) {
    return Status(ErrorCode::kInvalidKeyUsage, "MAC algorithm " + alg_name +
                                                   " is not compatible with the KMS key " +
                                                   key->record.Arn() + " (" + key->record.key_spec + ")");
  }
  ASSIGN_OR_RETURN(Bytes message, ReadBlob(req, "Message"));
  RETURN_IF_ERROR(CheckDryRun(req));
  ASSIGN_OR_RETURN(const SecretBytes* material, CurrentMaterial(*key));
  ASSIGN_OR_RETURN(Bytes mac, crypto::Hmac(*spec.mac, material->view(), message));
  return MacResult{std::move(key), alg_name, std::move(mac)};
}

}  // namespace

StatusOr<Json> GenerateMac(KmsService& kms, const RequestContext& ctx, const Json& req) {
  ASSIGN_OR_RETURN(MacResult result, ComputeMac(kms, ctx, req, "GenerateMac"));
  return Json{{"KeyId", result.key->record.Arn()},
              {"Mac", Base64Encode(result.mac)},
              {"MacAlgorithm", result.alg_name}};
}

StatusOr<Json> VerifyMac(KmsService& kms, const RequestContext& ctx, const Json& req) {
  ASSIGN_OR_RETURN(Bytes given, ReadBlob(req, "Mac"));
  ASSIGN_OR_RETURN(MacResult result, ComputeMac(kms, ctx, req, "VerifyMac"));
  // Constant time: the comparison must not tell a caller how many bytes matched.
  if (!crypto::SecretsEqual(given, result.mac)) {
    return Status(ErrorCode::kKmsInvalidMac, "The MAC is not valid for this message and key");
  }
  return Json{{"KeyId", result.key->record.Arn()}, {"MacValid", true}, {"MacAlgorithm", result.alg_name}};
}

}  // namespace coffer::kms::ops

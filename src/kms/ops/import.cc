// Imported key material (Origin EXTERNAL): GetParametersForImport,
// ImportKeyMaterial, DeleteImportedKeyMaterial. Expiry of material whose
// ValidTo passed is done by the sweeper (KmsService::RunSweeper).
#include "common/encoding.h"
#include "crypto/crypto.h"
#include "kms/ops/asym_util.h"
#include "kms/ops/import_material.h"
#include "kms/ops/ops.h"

namespace coffer::kms::ops {
namespace {

constexpr std::int64_t kDayMs = 24LL * 3600 * 1000;
constexpr std::int64_t kMinuteMs = 60LL * 1000;
constexpr std::size_t kTokenLen = 48;

Status CheckExternal(const KeyRecord& r) {
  if (r.origin != "EXTERNAL") {
    return {ErrorCode::kUnsupportedOperation,
            r.Arn() + " does not have Origin EXTERNAL; only such keys take imported key material"};
  }
  return CheckNotPendingDeletion(r);
}

StatusOr<crypto::AsymSpec> WrappingSpec(const Json& req) {
  const std::string spec = req.at("WrappingKeySpec").get<std::string>();
  if (spec == "RSA_2048") return crypto::AsymSpec::kRsa2048;
  if (spec == "RSA_3072") return crypto::AsymSpec::kRsa3072;
  if (spec == "RSA_4096") return crypto::AsymSpec::kRsa4096;
  return ValidationError("WrappingKeySpec " + spec +
                         " is not supported (use RSA_2048, RSA_3072 or RSA_4096)");
}

Status CheckWrappingAlgorithm(const std::string& alg) {
  if (alg == "RSAES_OAEP_SHA_1" || alg == "RSAES_OAEP_SHA_256" || alg == "RSA_AES_KEY_WRAP_SHA_1" ||
      alg == "RSA_AES_KEY_WRAP_SHA_256") {
    return Status::Ok();
  }
  return ValidationError("WrappingAlgorithm " + alg + " is not supported (AWS no longer accepts " +
                         "RSAES_PKCS1_V1_5; SM2PKE is for China Regions)");
}

// ValidTo as epoch ms for the chosen ExpirationModel (nullopt: never expires).
StatusOr<std::optional<std::int64_t>> ReadValidTo(const Json& req, std::int64_t now) {
  const std::string model = StringOr(req, "ExpirationModel", "KEY_MATERIAL_EXPIRES");
  auto it = req.find("ValidTo");
  const bool has_valid_to = it != req.end() && it->is_number();
  if (model == "KEY_MATERIAL_DOES_NOT_EXPIRE") {
    if (has_valid_to) {
      return ValidationError("ValidTo must not be set when ExpirationModel is KEY_MATERIAL_DOES_NOT_EXPIRE");
    }
    return std::optional<std::int64_t>();
  }
  if (!has_valid_to)
    return ValidationError("ValidTo is required when ExpirationModel is KEY_MATERIAL_EXPIRES");
  const auto valid_to = static_cast<std::int64_t>(it->get<double>() * 1000.0);
  if (valid_to < now + 15 * kMinuteMs || valid_to > now + 365 * kDayMs) {
    return ValidationError("ValidTo must be between 15 minutes and 365 days from now");
  }
  return std::optional<std::int64_t>(valid_to);
}

std::string TokenDigest(ByteView token) { return HexEncode(crypto::Digest(crypto::HashAlg::kSha256, token)); }

// The import token must be the latest one issued for this key and not expired.
Status CheckImportToken(const KeyRecord& r, ByteView token, std::int64_t now) {
  if (!r.import || !crypto::SecretsEqual(AsBytes(TokenDigest(token)), AsBytes(r.import->token_sha256))) {
    return {ErrorCode::kInvalidImportToken,
            "The import token is not valid for " + r.Arn() + "; call GetParametersForImport"};
  }
  if (r.import->expires_ms <= now) {
    return {ErrorCode::kExpiredImportToken,
            "The import token for " + r.Arn() + " has expired; call GetParametersForImport again"};
  }
  return Status::Ok();
}

}  // namespace

StatusOr<Json> GetParametersForImport(KmsService& kms, const RequestContext& ctx, const Json& req) {
  const std::string algorithm = req.at("WrappingAlgorithm").get<std::string>();
  RETURN_IF_ERROR(CheckWrappingAlgorithm(algorithm));
  ASSIGN_OR_RETURN(crypto::AsymSpec spec, WrappingSpec(req));
  ASSIGN_OR_RETURN(std::string id, kms.ResolveIdForWrite(ctx, req.at("KeyId").get<std::string>()));
  {
    // Authorized before anything about the key is said or any work is done.
    ASSIGN_OR_RETURN(auto existing, kms.LoadForCaller(ctx, id));
    RETURN_IF_ERROR(CheckExternal(existing->record));
  }
  // A fresh wrapping key per call, made outside the write transaction.
  ASSIGN_OR_RETURN(SecretBytes wrapping_key, crypto::GeneratePrivateKey(spec));
  ASSIGN_OR_RETURN(auto parsed, crypto::PrivateKey::FromPkcs8(wrapping_key.view()));
  ASSIGN_OR_RETURN(SecretBytes token, crypto::RandomSecret(kms.random(), kTokenLen));
  const std::string arn = KeyArn(ctx.region, ctx.account, id);
  ImportParameters params{TokenDigest(token.view()), algorithm, {}, kms.NowMs() + kDayMs};
  ASSIGN_OR_RETURN(params.wrapped_private_key,
                   kms.keys().WrapSecret(wrapping_key.view(), ImportWrappingAad(arn)));
  RETURN_IF_ERROR(MutateKey(kms, ctx, id, [&](KeyRecord& r) {
                    RETURN_IF_ERROR(CheckExternal(r));
                    r.import = params;
                    return Status::Ok();
                  }).status());
  return Json{{"KeyId", arn},
              {"ImportToken", Base64Encode(token.view())},
              {"PublicKey", Base64Encode(parsed->PublicKeyDer())},
              {"ParametersValidTo", static_cast<double>(params.expires_ms) / 1000.0}};
}

StatusOr<Json> ImportKeyMaterial(KmsService& kms, const RequestContext& ctx, const Json& req) {
  if (StringOr(req, "ImportType", "EXISTING_KEY_MATERIAL") != "EXISTING_KEY_MATERIAL") {
    return Status(ErrorCode::kUnsupportedOperation,
                  "ImportType NEW_KEY_MATERIAL (on-demand rotation of imported keys) is not supported yet");
  }
  const std::int64_t now = kms.NowMs();
  ASSIGN_OR_RETURN(std::optional<std::int64_t> valid_to, ReadValidTo(req, now));
  ASSIGN_OR_RETURN(Bytes token, ReadBlob(req, "ImportToken"));
  ASSIGN_OR_RETURN(Bytes encrypted, ReadBlob(req, "EncryptedKeyMaterial"));
  const std::string wanted_id = StringOr(req, "KeyMaterialId");
  std::string material_id;
  ASSIGN_OR_RETURN(
      KeyRecord record, MutateKey(kms, ctx, req.at("KeyId").get<std::string>(), [&](KeyRecord& r) {
        RETURN_IF_ERROR(CheckExternal(r));
        RETURN_IF_ERROR(CheckImportToken(r, token, now));
        ASSIGN_OR_RETURN(SecretBytes material, UnwrapImportedMaterial(kms, r, encrypted));
        ASSIGN_OR_RETURN(material_id, AcceptMaterial(r, material.view(), wanted_id));
        ASSIGN_OR_RETURN(KeyVersion version, kms.keys().WrapVersion(r, material_id, material.view(), now));
        r.versions = {std::move(version)};
        r.expiration_model = valid_to ? "KEY_MATERIAL_EXPIRES" : "KEY_MATERIAL_DOES_NOT_EXPIRE";
        r.valid_to_ms = valid_to;
        if (r.state == kStatePendingImport) r.state = std::string(kStateEnabled);
        return Status::Ok();
      }));
  return Json{{"KeyId", record.Arn()}, {"KeyMaterialId", material_id}};
}

StatusOr<Json> DeleteImportedKeyMaterial(KmsService& kms, const RequestContext& ctx, const Json& req) {
  ASSIGN_OR_RETURN(KeyRecord record,
                   MutateKey(kms, ctx, req.at("KeyId").get<std::string>(), [&](KeyRecord& r) {
                     RETURN_IF_ERROR(CheckExternal(r));
                     DropImportedMaterial(r);
                     return Status::Ok();
                   }));
  Json out = {{"KeyId", record.Arn()}};
  if (!record.imported_material_id.empty()) out["KeyMaterialId"] = record.imported_material_id;
  return out;
}

}  // namespace coffer::kms::ops

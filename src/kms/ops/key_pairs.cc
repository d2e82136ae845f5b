// Data key pairs and key agreement: GenerateDataKeyPair,
// GenerateDataKeyPairWithoutPlaintext, DeriveSharedSecret.
#include "common/encoding.h"
#include "kms/ops/asym_util.h"
#include "kms/ops/ops.h"

namespace coffer::kms::ops {
namespace {

StatusOr<Json> GenerateDataKeyPairImpl(KmsService& kms, const RequestContext& ctx, const Json& req,
                                       bool with_plaintext) {
  if (req.contains("Recipient")) {
    return Status(ErrorCode::kUnsupportedOperation,
                  "Nitro Enclaves attestation (Recipient) is not supported");
  }
  const std::string pair_spec = req.at("KeyPairSpec").get<std::string>();
  const KeySpecInfo* info = FindKeySpec(pair_spec);
  if (info == nullptr || !info->asym) {
    return Status(ErrorCode::kUnsupportedOperation,
                  "KeyPairSpec " + pair_spec + " is not supported by this server");
  }
  ASSIGN_OR_RETURN(auto key,
                   kms.Resolve(ctx, req.at("KeyId").get<std::string>(), KeyRefs::kAnyIncludingAlias));
  RETURN_IF_ERROR(CheckUsableForCrypto(key->record));
  RETURN_IF_ERROR(CheckKeyUsage(key->record, "ENCRYPT_DECRYPT", "GenerateDataKeyPair"));
  RETURN_IF_ERROR(CheckDryRun(req));
  ASSIGN_OR_RETURN(SecretBytes pkcs8, crypto::GeneratePrivateKey(*info->asym));
  ASSIGN_OR_RETURN(auto pair, crypto::PrivateKey::FromPkcs8(pkcs8.view()));
  ASSIGN_OR_RETURN(SymmetricSeal sealed,
                   SealSymmetric(kms, ctx, *key, ReadContext(req, "EncryptionContext"), pkcs8.view()));
  Json out = {{"PrivateKeyCiphertextBlob", Base64Encode(sealed.blob)},
              {"PublicKey", Base64Encode(pair->PublicKeyDer())},
              {"KeyId", key->record.Arn()},
              {"KeyPairSpec", pair_spec},
              {"KeyMaterialId", sealed.version_id}};
  if (with_plaintext) out["PrivateKeyPlaintext"] = Base64Encode(pkcs8.view());
  return out;
}

}  // namespace

StatusOr<Json> GenerateDataKeyPair(KmsService& kms, const RequestContext& ctx, const Json& req) {
  return GenerateDataKeyPairImpl(kms, ctx, req, /*with_plaintext=*/true);
}

StatusOr<Json> GenerateDataKeyPairWithoutPlaintext(KmsService& kms, const RequestContext& ctx,
                                                   const Json& req) {
  return GenerateDataKeyPairImpl(kms, ctx, req, /*with_plaintext=*/false);
}

StatusOr<Json> DeriveSharedSecret(KmsService& kms, const RequestContext& ctx, const Json& req) {
  if (req.contains("Recipient")) {
    return Status(ErrorCode::kUnsupportedOperation,
                  "Nitro Enclaves attestation (Recipient) is not supported");
  }
  ASSIGN_OR_RETURN(auto key, ResolveForUse(kms, ctx, req.at("KeyId").get<std::string>(), "KEY_AGREEMENT",
                                           "DeriveSharedSecret"));
  ASSIGN_OR_RETURN(Bytes peer_der, ReadBlob(req, "PublicKey"));
  auto peer = crypto::PublicKey::FromSpki(peer_der);
  if (!peer.ok()) {
    return ValidationError("The PublicKey is not a valid DER-encoded X.509 SubjectPublicKeyInfo EC key");
  }
  RETURN_IF_ERROR(CheckDryRun(req));
  ASSIGN_OR_RETURN(const crypto::PrivateKey* private_key, CurrentPrivateKey(*key));
  auto secret = private_key->DeriveSharedSecret(**peer);
  if (!secret.ok()) {
    return ValidationError("The PublicKey must be a valid point on the curve of KeySpec " +
                           key->record.key_spec);
  }
  return Json{{"KeyId", key->record.Arn()},
              {"SharedSecret", Base64Encode(secret->view())},
              {"KeyAgreementAlgorithm", "ECDH"},
              {"KeyOrigin", key->record.origin}};
}

}  // namespace coffer::kms::ops

#include "kms/ops/asym_util.h"

#include "common/encoding.h"

namespace coffer::kms::ops {

Status CheckKeyUsage(const KeyRecord& r, std::string_view usage, std::string_view op) {
  if (r.key_usage == usage) return Status::Ok();
  return {ErrorCode::kInvalidKeyUsage, "You cannot use the KMS key " + r.Arn() + " for " + std::string(op) +
                                           ". Its KeyUsage is " + r.key_usage + " and its KeySpec is " +
                                           r.key_spec + "."};
}

StatusOr<std::shared_ptr<const LoadedKey>> ResolveForUse(KmsService& kms, const RequestContext& ctx,
                                                         std::string_view key_id, std::string_view usage,
                                                         std::string_view op) {
  ASSIGN_OR_RETURN(auto key, kms.Resolve(ctx, key_id, KeyRefs::kAnyIncludingAlias));
  RETURN_IF_ERROR(CheckUsableForCrypto(key->record));
  RETURN_IF_ERROR(CheckKeyUsage(key->record, usage, op));
  return key;
}

StatusOr<const crypto::PrivateKey*> CurrentPrivateKey(const LoadedKey& key) {
  if (key.record.versions.empty()) return InternalError("key has no material");
  const crypto::PrivateKey* private_key = key.PrivateKeyOf(key.record.Current().id);
  if (private_key == nullptr) return InternalError("private key missing");
  return private_key;
}

StatusOr<const SecretBytes*> CurrentMaterial(const LoadedKey& key) {
  if (key.record.versions.empty()) return InternalError("key has no material");
  const SecretBytes* material = key.Material(key.record.Current().id);
  if (material == nullptr) return InternalError("key material missing");
  return material;
}

std::string StringOr(JsonView req, std::string_view member, std::string_view fallback) {
  return std::string(req.string_member(member, fallback));
}

bool IsRsaEncryptionKey(const KeyRecord& r) {
  return SpecInfo(r.key_spec).family == KeyFamily::kRsa && r.key_usage == "ENCRYPT_DECRYPT";
}

StatusOr<crypto::RsaPadding> RsaPaddingFor(const KeyRecord& r, JsonView req, std::string_view member) {
  const std::string alg = StringOr(req, member, "SYMMETRIC_DEFAULT");
  if (alg == "RSAES_OAEP_SHA_1") return crypto::RsaPadding::kOaepSha1;
  if (alg == "RSAES_OAEP_SHA_256") return crypto::RsaPadding::kOaepSha256;
  return Status(ErrorCode::kInvalidKeyUsage, "The encryption algorithm " + alg +
                                                 " is not compatible with the asymmetric KMS key " + r.Arn() +
                                                 " (use RSAES_OAEP_SHA_1 or RSAES_OAEP_SHA_256)");
}

std::string_view RsaAlgorithmName(crypto::RsaPadding padding) {
  return padding == crypto::RsaPadding::kOaepSha1 ? "RSAES_OAEP_SHA_1" : "RSAES_OAEP_SHA_256";
}

StatusOr<Bytes> RsaSeal(const LoadedKey& key, crypto::RsaPadding padding, ByteView plaintext) {
  ASSIGN_OR_RETURN(const crypto::PrivateKey* private_key, CurrentPrivateKey(key));
  const std::size_t hash_len = padding == crypto::RsaPadding::kOaepSha1 ? 20 : 32;
  // OAEP's bound: modulus bytes - 2 * hash length - 2 (214/190 bytes for RSA_2048).
  const std::size_t limit =
      static_cast<std::size_t>(crypto::KeyBits(private_key->spec())) / 8 - 2 * hash_len - 2;
  if (plaintext.size() > limit) {
    return ValidationError(
        "1 validation error detected: Value at 'plaintext' failed to satisfy constraint: "
        "Member must have length less than or equal to " +
        std::to_string(limit) + " for " + key.record.key_spec + " with " +
        std::string(RsaAlgorithmName(padding)));
  }
  return private_key->public_key().Encrypt(padding, plaintext);
}

StatusOr<SecretBytes> RsaOpen(const LoadedKey& key, crypto::RsaPadding padding, ByteView blob) {
  ASSIGN_OR_RETURN(const crypto::PrivateKey* private_key, CurrentPrivateKey(key));
  auto plaintext = private_key->Decrypt(padding, blob);
  if (!plaintext.ok()) {
    return Status(ErrorCode::kInvalidCiphertext,
                  "The ciphertext is invalid for this KMS key and encryption algorithm");
  }
  return std::move(*plaintext);
}

}  // namespace coffer::kms::ops

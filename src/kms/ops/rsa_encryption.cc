// Encrypt and Decrypt with RSA keys (KeyUsage ENCRYPT_DECRYPT): OAEP with
// SHA-1 or SHA-256. The ciphertext is the bare RSA output, as on AWS, so
// Decrypt must name the key (KeyId) and the algorithm.
#include "kms/ops/rsa_encryption.h"

#include "common/encoding.h"
#include "kms/ops/asym_util.h"

namespace coffer::kms::ops {

Status CheckNoContextForRsa(JsonView req, std::string_view member) {
  const JsonView context = req.find(member);
  if (context.is_null() || context.size() == 0) return Status::Ok();
  return ValidationError("EncryptionContext is supported only with symmetric encryption KMS keys");
}

StatusOr<Json> EncryptRsa(const LoadedKey& key, JsonView req) {
  ASSIGN_OR_RETURN(crypto::RsaPadding padding, RsaPaddingFor(key.record, req, "EncryptionAlgorithm"));
  RETURN_IF_ERROR(CheckNoContextForRsa(req, "EncryptionContext"));
  RETURN_IF_ERROR(CheckDryRun(req));
  ASSIGN_OR_RETURN(Bytes plaintext, ReadBlob(req, "Plaintext"));
  auto blob = RsaSeal(key, padding, plaintext);
  SecureWipe(plaintext.data(), plaintext.size());
  if (!blob.ok()) return blob.status();
  return Json{{"CiphertextBlob", Base64Encode(*blob)},
              {"KeyId", key.record.Arn()},
              {"EncryptionAlgorithm", RsaAlgorithmName(padding)}};
}

StatusOr<Json> DecryptRsa(const LoadedKey& key, JsonView req, ByteView blob) {
  RETURN_IF_ERROR(CheckUsableForCrypto(key.record));
  ASSIGN_OR_RETURN(crypto::RsaPadding padding, RsaPaddingFor(key.record, req, "EncryptionAlgorithm"));
  RETURN_IF_ERROR(CheckNoContextForRsa(req, "EncryptionContext"));
  ASSIGN_OR_RETURN(SecretBytes plaintext, RsaOpen(key, padding, blob));
  RETURN_IF_ERROR(CheckDryRun(req));
  return Json{{"KeyId", key.record.Arn()},
              {"Plaintext", Base64Encode(plaintext.view())},
              {"EncryptionAlgorithm", RsaAlgorithmName(padding)},
              {"KeyMaterialId", key.record.Current().id}};
}

}  // namespace coffer::kms::ops

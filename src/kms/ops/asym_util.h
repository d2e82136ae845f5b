// Helpers shared by the operation files for asymmetric and HMAC keys.
#pragma once

#include <memory>
#include <string_view>

#include "crypto/asymmetric.h"
#include "kms/key_spec.h"
#include "kms/service.h"

namespace coffer::kms::ops {

// The key a KeyId member names (aliases accepted), Enabled, with KeyUsage
// `usage`; InvalidKeyUsageException naming `op` otherwise.
StatusOr<std::shared_ptr<const LoadedKey>> ResolveForUse(KmsService& kms, const RequestContext& ctx,
                                                         std::string_view key_id, std::string_view usage,
                                                         std::string_view op);
// InvalidKeyUsageException unless the record has KeyUsage `usage`.
Status CheckKeyUsage(const KeyRecord& record, std::string_view usage, std::string_view op);
// The current version's parsed private key (RSA and ECC keys).
StatusOr<const crypto::PrivateKey*> CurrentPrivateKey(const LoadedKey& key);
// Current version's raw material (HMAC keys).
StatusOr<const SecretBytes*> CurrentMaterial(const LoadedKey& key);
// A string member, or "" when absent.
std::string StringOr(JsonView req, std::string_view member, std::string_view fallback = "");

// RSA keys with KeyUsage ENCRYPT_DECRYPT (Encrypt, Decrypt, ReEncrypt).
bool IsRsaEncryptionKey(const KeyRecord& record);
// The algorithm member for an RSA key: RSAES_OAEP_SHA_1 or RSAES_OAEP_SHA_256.
StatusOr<crypto::RsaPadding> RsaPaddingFor(const KeyRecord& record, JsonView req, std::string_view member);
std::string_view RsaAlgorithmName(crypto::RsaPadding padding);
// OAEP encryption under the key's current public key, with AWS's plaintext
// limit for the key size and hash.
StatusOr<Bytes> RsaSeal(const LoadedKey& key, crypto::RsaPadding padding, ByteView plaintext);
// InvalidCiphertextException when the blob does not decrypt.
StatusOr<SecretBytes> RsaOpen(const LoadedKey& key, crypto::RsaPadding padding, ByteView blob);

// A symmetric ciphertext blob under an Enabled symmetric key (crypto.cc).
struct SymmetricSeal {
  Bytes blob;
  std::string version_id;
};
StatusOr<SymmetricSeal> SealSymmetric(KmsService& kms, const RequestContext& ctx, const LoadedKey& key,
                                      const EncryptionContext& context, ByteView plaintext);

}  // namespace coffer::kms::ops

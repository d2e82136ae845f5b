// The XKS proxy's keys from Coffer's own KMS: externalKeyId = the key id of
// a symmetric (SYMMETRIC_DEFAULT) KMS key in one configured account and
// region of this server.
//
// Key per call: AES-256 key = HKDF-SHA256(version material, salt = none,
// info = "coffer xks proxy v1" || key ARN), so the material is never used
// raw and never under the same derived key as Coffer's own ciphertexts
// (kms/ciphertext.h). ciphertextMetadata (17 bytes) = 0x01 || the first 16
// bytes of the key version's KeyMaterialId, so ciphertexts made before a
// rotation still decrypt. IV: 12 random bytes. AAD: xks::GcmAad.
//
// The KMS key's state is the external key's status: Enabled -> ENABLED,
// anything else -> DISABLED and InvalidStateException for Encrypt/Decrypt.
#pragma once

#include <string>

#include "common/random.h"
#include "kms/key_store.h"
#include "xks/proxy.h"

namespace coffer::xks {

class KmsKeyBackend final : public KeyBackend {
 public:
  KmsKeyBackend(kms::KeyStore& keys, RandomSource& random, std::string region, std::string account);

  StatusOr<KeyMetadata> Describe(std::string_view external_key_id) override;
  StatusOr<EncryptResponse> Encrypt(std::string_view external_key_id, const std::optional<Bytes>& aad,
                                    ByteView plaintext) override;
  StatusOr<SecretBytes> Decrypt(std::string_view external_key_id, const DecryptRequest& request) override;
  StatusOr<HealthStatus> Health() override;

 private:
  StatusOr<std::shared_ptr<const kms::LoadedKey>> UsableKey(std::string_view external_key_id);

  kms::KeyStore& keys_;
  RandomSource& random_;
  std::string region_;
  std::string account_;
};

}  // namespace coffer::xks

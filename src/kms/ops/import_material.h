// Unwrapping and identifying imported key material (import.cc).
#pragma once

#include <string>

#include "kms/service.h"

namespace coffer::kms::ops {

// Decrypts EncryptedKeyMaterial with the key's pending wrapping key and
// algorithm: RSAES_OAEP_SHA_* wraps the material directly; RSA_AES_KEY_WRAP_*
// is RSA-OAEP(ephemeral AES key) || AES-KWP(material), as AWS defines it.
// InvalidCiphertextException when it does not decrypt.
StatusOr<SecretBytes> UnwrapImportedMaterial(KmsService& kms, const KeyRecord& record, ByteView encrypted);

// Checks material fits the key spec and is the material imported before (if
// any); returns its KeyMaterialId, a digest of the key ARN and the material,
// so the same material always gets the same id and old ciphertexts decrypt.
// IncorrectKeyMaterialException otherwise.
StatusOr<std::string> AcceptMaterial(KeyRecord& record, ByteView material, const std::string& wanted_id);

}  // namespace coffer::kms::ops

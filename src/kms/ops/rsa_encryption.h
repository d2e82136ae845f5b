// RSA paths of Encrypt / Decrypt / ReEncrypt (crypto.cc dispatches to them).
#pragma once

#include "kms/service.h"

namespace coffer::kms::ops {

// Encrypt with an Enabled RSA ENCRYPT_DECRYPT key.
StatusOr<Json> EncryptRsa(const LoadedKey& key, JsonView req);
// Decrypt of `blob` with an RSA ENCRYPT_DECRYPT key named by KeyId.
StatusOr<Json> DecryptRsa(const LoadedKey& key, JsonView req, ByteView blob);
// ValidationException when `member` holds a non-empty encryption context.
Status CheckNoContextForRsa(JsonView req, std::string_view member);

}  // namespace coffer::kms::ops

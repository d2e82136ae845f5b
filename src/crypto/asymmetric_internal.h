// Internal to src/crypto/: what asymmetric.cc and asymmetric_ops.cc share.
#pragma once

#include "crypto/asymmetric.h"
#include "crypto/pkey_util.h"

namespace coffer::crypto::internal {

// The KMS spec of a key; kValidation for unsupported types and sizes.
StatusOr<AsymSpec> SpecOf(EVP_PKEY* key);
// DER SubjectPublicKeyInfo of a key.
StatusOr<Bytes> EncodeSpki(EVP_PKEY* key);

}  // namespace coffer::crypto::internal

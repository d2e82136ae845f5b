// The AWS_CLOUDHSM custom key store backend: a "cluster" is a PKCS#11 token
// the operator configured (--cloudhsm-cluster ID=MODULE:TOKEN_LABEL), the key
// store password is the token's user PIN, and each KMS key of the store is an
// AES-256 key generated inside the token (CKA_TOKEN, CKA_SENSITIVE, not
// CKA_EXTRACTABLE; CKA_LABEL = the KMS key id, CKA_ID = its KeyMaterialId).
//
// Ciphertexts keep Coffer's symmetric layout (kms/ciphertext.h) with the
// token's CKM_AES_GCM under the token key directly: header | 32 random bytes
// (the salt field, in the AAD) | IV | ciphertext | tag, AAD = header | salt |
// IV | canonical encryption context. No HKDF step, so as with any random-IV
// GCM key a CloudHSM key should stay under 2^32 encryptions.
#pragma once

#include <memory>

#include "common/random.h"
#include "kms/custom_key_store.h"

namespace coffer::kms {

// A backend for one store on `cluster`, logging in with `pin`; `sessions` is
// the most token sessions open at once (calls wait beyond that).
std::unique_ptr<KeyStoreBackend> NewCloudHsmBackend(const CloudHsmCluster& cluster, SecretBytes pin,
                                                    RandomSource& random, std::size_t sessions);

}  // namespace coffer::kms

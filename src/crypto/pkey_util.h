// Internal to src/crypto/: ownership types for asymmetric keys (EVP_PKEY).
#pragma once

#include <openssl/bio.h>
#include <openssl/evp.h>

#include <memory>

#include "common/bytes.h"
#include "common/secret_bytes.h"
#include "common/status_or.h"
#include "crypto/primitives.h"

namespace coffer::crypto::internal {

struct EvpPkeyDeleter {
  void operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
};
struct EvpPkeyCtxDeleter {
  void operator()(EVP_PKEY_CTX* ctx) const { EVP_PKEY_CTX_free(ctx); }
};
struct BioDeleter {
  void operator()(BIO* bio) const { BIO_free(bio); }
};

using EvpPkeyPtr = std::unique_ptr<EVP_PKEY, EvpPkeyDeleter>;
using EvpPkeyCtxPtr = std::unique_ptr<EVP_PKEY_CTX, EvpPkeyCtxDeleter>;
using BioPtr = std::unique_ptr<BIO, BioDeleter>;

// The OpenSSL digest name ("SHA256") for a hash.
const char* DigestName(int hash_alg);

// RSA encryption and decryption with OAEP (MGF1 over the same hash) or
// PKCS#1 v1.5; shared by the envelope keyring and KMS keys. Decryption
// failures are kInvalidCiphertext.
StatusOr<Bytes> RsaEncrypt(EVP_PKEY* key, RsaPadding padding, ByteView plaintext);
StatusOr<SecretBytes> RsaDecrypt(EVP_PKEY* key, RsaPadding padding, ByteView ciphertext);

}  // namespace coffer::crypto::internal

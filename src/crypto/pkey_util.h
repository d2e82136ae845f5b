// Internal to src/crypto/: ownership types for asymmetric keys (EVP_PKEY).
#pragma once

#include <openssl/bio.h>
#include <openssl/evp.h>

#include <memory>

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

}  // namespace coffer::crypto::internal

// Internal to src/crypto/: OpenSSL ownership types and the few helpers every
// wrapper needs. Nothing outside this directory may include it.
#pragma once

#include <openssl/evp.h>
#include <openssl/kdf.h>

#include <cstdint>
#include <memory>
#include <string_view>

#include "common/bytes.h"
#include "common/status.h"

namespace coffer::crypto::internal {

struct EvpCipherCtxDeleter {
  void operator()(EVP_CIPHER_CTX* ctx) const { EVP_CIPHER_CTX_free(ctx); }
};
struct EvpMdCtxDeleter {
  void operator()(EVP_MD_CTX* ctx) const { EVP_MD_CTX_free(ctx); }
};
struct EvpMacCtxDeleter {
  void operator()(EVP_MAC_CTX* ctx) const { EVP_MAC_CTX_free(ctx); }
};
struct EvpKdfCtxDeleter {
  void operator()(EVP_KDF_CTX* ctx) const { EVP_KDF_CTX_free(ctx); }
};

using EvpCipherCtxPtr = std::unique_ptr<EVP_CIPHER_CTX, EvpCipherCtxDeleter>;
using EvpMdCtxPtr = std::unique_ptr<EVP_MD_CTX, EvpMdCtxDeleter>;
using EvpMacCtxPtr = std::unique_ptr<EVP_MAC_CTX, EvpMacCtxDeleter>;
using EvpKdfCtxPtr = std::unique_ptr<EVP_KDF_CTX, EvpKdfCtxDeleter>;

// For failures a signature cannot report (Sha256 returns a digest, a missing
// provider at start-up): log and abort rather than hand back a wrong value.
[[noreturn]] void Fatal(std::string_view what);

// kInternal naming the failed call and OpenSSL's reason; clears the thread's
// OpenSSL error queue so a stale error never leaks into a later call.
Status OpenSslError(std::string_view what);

// Clears the thread's OpenSSL error queue (after an expected failure).
void ClearOpenSslErrors();

// OpenSSL treats a null pointer as "parameter absent" even with length 0; an
// empty span may carry a null data(). This gives empty inputs a real address.
const std::uint8_t* NonNullData(ByteView bytes);

// Fetched once for the life of the process: an implicit fetch on every call
// costs a lock and a method-store lookup on the request path. The objects are
// deliberately never freed (they must outlive every thread that uses them).
const EVP_MD* Sha256Md();

}  // namespace coffer::crypto::internal

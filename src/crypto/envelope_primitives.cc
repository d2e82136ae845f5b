// HKDF over any SHA-2 (and SHA-1) digest, and an incremental hasher. These run
// once per message (HKDF) or stream large inputs (Hasher), so the generic EVP
// interfaces are fast enough; HkdfSha256 in hkdf.cc stays the KMS hot path.
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>

#include "crypto/openssl_util.h"
#include "crypto/pkey_util.h"
#include "crypto/primitives.h"

namespace coffer::crypto {
namespace {

using internal::EvpKdfCtxPtr;
using internal::EvpMdCtxPtr;

const EVP_MD* FetchMd(HashAlg hash) {
  static const EVP_MD* const mds[] = {
      EVP_MD_fetch(nullptr, "SHA1", nullptr), EVP_MD_fetch(nullptr, "SHA256", nullptr),
      EVP_MD_fetch(nullptr, "SHA384", nullptr), EVP_MD_fetch(nullptr, "SHA512", nullptr)};
  const EVP_MD* md = mds[static_cast<int>(hash)];
  if (md == nullptr) {
    internal::Fatal("EVP_MD_fetch");
  }
  return md;
}

}  // namespace

namespace internal {
const char* DigestName(int hash_alg) {
  static const char* const names[] = {"SHA1", "SHA256", "SHA384", "SHA512"};
  return names[hash_alg];
}
}  // namespace internal

std::size_t HashLen(HashAlg hash) {
  switch (hash) {
    case HashAlg::kSha1:
      return 20;
    case HashAlg::kSha256:
      return 32;
    case HashAlg::kSha384:
      return 48;
    case HashAlg::kSha512:
      return 64;
  }
  return 0;
}

StatusOr<SecretBytes> Hkdf(HashAlg hash, ByteView ikm, ByteView salt, ByteView info, std::size_t out_len) {
  if (out_len == 0 || out_len > 255 * HashLen(hash)) {
    return InternalError("HKDF output length out of range");
  }
  EVP_KDF* kdf = EVP_KDF_fetch(nullptr, "HKDF", nullptr);
  if (kdf == nullptr) {
    return internal::OpenSslError("EVP_KDF_fetch(HKDF)");
  }
  EvpKdfCtxPtr ctx(EVP_KDF_CTX_new(kdf));
  EVP_KDF_free(kdf);
  if (ctx == nullptr) {
    return internal::OpenSslError("EVP_KDF_CTX_new");
  }
  OSSL_PARAM params[5];
  OSSL_PARAM* p = params;
  *p++ = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST,
                                          const_cast<char*>(internal::DigestName(static_cast<int>(hash))), 0);
  *p++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY,
                                           const_cast<std::uint8_t*>(internal::NonNullData(ikm)), ikm.size());
  // HMAC pads a short key with zeros, so an absent salt is the RFC's HashLen zeros.
  if (!salt.empty()) {
    *p++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, const_cast<std::uint8_t*>(salt.data()),
                                             salt.size());
  }
  *p++ = OSSL_PARAM_construct_octet_string(
      OSSL_KDF_PARAM_INFO, const_cast<std::uint8_t*>(internal::NonNullData(info)), info.size());
  *p = OSSL_PARAM_construct_end();
  SecretBytes out(out_len);
  if (EVP_KDF_derive(ctx.get(), out.data(), out.size(), params) != 1) {
    return internal::OpenSslError("HKDF derive");
  }
  return out;
}

struct Hasher::Impl {
  HashAlg hash;
  EvpMdCtxPtr ctx;
};

Hasher::Hasher(HashAlg hash) : impl_(std::make_unique<Impl>()) {
  impl_->hash = hash;
  impl_->ctx.reset(EVP_MD_CTX_new());
  if (impl_->ctx == nullptr || EVP_DigestInit_ex2(impl_->ctx.get(), FetchMd(hash), nullptr) != 1) {
    internal::Fatal("digest init");
  }
}

Hasher::~Hasher() = default;

void Hasher::Update(ByteView data) {
  if (!data.empty() && EVP_DigestUpdate(impl_->ctx.get(), data.data(), data.size()) != 1) {
    internal::Fatal("digest update");
  }
}

Bytes Hasher::Final() {
  Bytes digest(HashLen(impl_->hash));
  unsigned int len = 0;
  if (EVP_DigestFinal_ex(impl_->ctx.get(), digest.data(), &len) != 1 || len != digest.size() ||
      EVP_DigestInit_ex2(impl_->ctx.get(), FetchMd(impl_->hash), nullptr) != 1) {
    internal::Fatal("digest final");
  }
  return digest;
}

}  // namespace coffer::crypto

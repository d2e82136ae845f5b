// SHA-256 and HMAC-SHA256. These cannot fail for valid inputs, so their
// signatures return digests; an OpenSSL failure here (allocation, a missing
// provider) is fatal rather than a silently wrong digest.
//
// The one-shot SHA-256 and HMAC-SHA256 run on OpenSSL's low-level SHA256_*
// functions: the same block implementation (SHA-NI where the CPU has it) that
// EVP dispatches to, without EVP's per-call context allocation and provider
// lookup, which cost more than the hashing itself for the short inputs of the
// request path (SigV4: five per request without the signing-key cache, two
// with it; HKDF: two per KMS ciphertext). HMAC is RFC 2104 over it.
#define OPENSSL_SUPPRESS_DEPRECATED  // SHA256_Init/Update/Final (OpenSSL 3 keeps them)
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/sha.h>

#include <algorithm>

#include "crypto/crypto.h"
#include "crypto/openssl_util.h"

namespace coffer::crypto {
namespace {

using internal::EvpMdCtxPtr;

constexpr std::size_t kSha256BlockLen = 64;

// Wipes a hash state that has seen key material.
struct ScopedShaCtx {
  SHA256_CTX ctx{};
  ~ScopedShaCtx() { OPENSSL_cleanse(&ctx, sizeof(ctx)); }
};

void ShaInitWithPad(SHA256_CTX& ctx, const std::uint8_t* key_block, std::uint8_t pad) {
  std::uint8_t padded[kSha256BlockLen];
  for (std::size_t i = 0; i < kSha256BlockLen; ++i) padded[i] = key_block[i] ^ pad;
  SHA256_Init(&ctx);
  SHA256_Update(&ctx, padded, sizeof(padded));
  OPENSSL_cleanse(padded, sizeof(padded));
}

}  // namespace

Sha256Digest Sha256(ByteView data) {
  Sha256Digest digest{};
  SHA256_CTX ctx;
  SHA256_Init(&ctx);
  SHA256_Update(&ctx, data.data(), data.size());
  SHA256_Final(digest.data(), &ctx);
  return digest;
}

Sha256Digest HmacSha256(ByteView key, ByteView data) {
  std::uint8_t key_block[kSha256BlockLen] = {};
  if (key.size() > kSha256BlockLen) {
    const Sha256Digest hashed = Sha256(key);
    std::copy(hashed.begin(), hashed.end(), key_block);
  } else if (!key.empty()) {
    std::copy(key.begin(), key.end(), key_block);
  }
  ScopedShaCtx inner;
  ScopedShaCtx outer;
  ShaInitWithPad(inner.ctx, key_block, 0x36);
  ShaInitWithPad(outer.ctx, key_block, 0x5c);
  OPENSSL_cleanse(key_block, sizeof(key_block));
  Sha256Digest inner_hash{};
  SHA256_Update(&inner.ctx, data.data(), data.size());
  SHA256_Final(inner_hash.data(), &inner.ctx);
  Sha256Digest mac{};
  SHA256_Update(&outer.ctx, inner_hash.data(), inner_hash.size());
  SHA256_Final(mac.data(), &outer.ctx);
  OPENSSL_cleanse(inner_hash.data(), inner_hash.size());
  return mac;
}

struct Sha256Hasher::Impl {
  EvpMdCtxPtr ctx;
};

Sha256Hasher::Sha256Hasher() : impl_(std::make_unique<Impl>()) {
  impl_->ctx.reset(EVP_MD_CTX_new());
  if (impl_->ctx == nullptr || EVP_DigestInit_ex2(impl_->ctx.get(), internal::Sha256Md(), nullptr) != 1) {
    internal::Fatal("SHA256 init");
  }
}

Sha256Hasher::~Sha256Hasher() = default;

void Sha256Hasher::Update(ByteView data) {
  if (data.empty()) {
    return;
  }
  if (EVP_DigestUpdate(impl_->ctx.get(), data.data(), data.size()) != 1) {
    internal::Fatal("SHA256 update");
  }
}

Sha256Digest Sha256Hasher::Final() {
  Sha256Digest digest{};
  unsigned int len = 0;
  if (EVP_DigestFinal_ex(impl_->ctx.get(), digest.data(), &len) != 1 || len != digest.size()) {
    internal::Fatal("SHA256 final");
  }
  // Ready for reuse: a second Final() without Update() is the empty-input digest.
  if (EVP_DigestInit_ex2(impl_->ctx.get(), internal::Sha256Md(), nullptr) != 1) {
    internal::Fatal("SHA256 reinit");
  };
  return digest;
}

}  // namespace coffer::crypto

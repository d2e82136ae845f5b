// SHA-256 and HMAC-SHA256. These cannot fail for valid inputs, so their
// signatures return digests; an OpenSSL failure here (allocation, a missing
// provider) is fatal rather than a silently wrong digest.
#include <openssl/core_names.h>
#include <openssl/evp.h>

#include "crypto/crypto.h"
#include "crypto/openssl_util.h"

namespace coffer::crypto {
namespace {

using internal::EvpMacCtxPtr;
using internal::EvpMdCtxPtr;

// An HMAC context with its digest already chosen. Each call duplicates it, so
// the digest is looked up once per process instead of once per MAC.
const EVP_MAC_CTX* HmacSha256Template() {
  static const EVP_MAC_CTX* const tmpl = [] {
    EVP_MAC* mac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
    if (mac == nullptr) {
      internal::Fatal("EVP_MAC_fetch(HMAC)");
    }
    EVP_MAC_CTX* ctx = EVP_MAC_CTX_new(mac);
    EVP_MAC_free(mac);  // the context holds its own reference
    char digest[] = "SHA256";
    const OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
                                 OSSL_PARAM_construct_end()};
    if (ctx == nullptr || EVP_MAC_CTX_set_params(ctx, params) != 1) {
      internal::Fatal("HMAC-SHA256 setup");
    }
    return ctx;
  }();
  return tmpl;
}

}  // namespace

Sha256Digest Sha256(ByteView data) {
  Sha256Digest digest{};
  unsigned int len = 0;
  if (EVP_Digest(data.data(), data.size(), digest.data(), &len, internal::Sha256Md(), nullptr) != 1 ||
      len != digest.size()) {
    internal::Fatal("EVP_Digest(SHA256)");
  }
  return digest;
}

Sha256Digest HmacSha256(ByteView key, ByteView data) {
  EvpMacCtxPtr ctx(EVP_MAC_CTX_dup(HmacSha256Template()));
  Sha256Digest mac{};
  std::size_t len = 0;
  if (ctx == nullptr || EVP_MAC_init(ctx.get(), internal::NonNullData(key), key.size(), nullptr) != 1 ||
      EVP_MAC_update(ctx.get(), data.data(), data.size()) != 1 ||
      EVP_MAC_final(ctx.get(), mac.data(), &len, mac.size()) != 1 || len != mac.size()) {
    internal::Fatal("HMAC-SHA256");
  }
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

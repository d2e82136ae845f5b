// HKDF-SHA256 (RFC 5869) through EVP_KDF.
#include <openssl/core_names.h>
#include <openssl/kdf.h>

#include "crypto/crypto.h"
#include "crypto/openssl_util.h"

namespace coffer::crypto {
namespace {

using internal::EvpKdfCtxPtr;

constexpr std::size_t kMaxHkdfOutLen = 255 * kSha256Len;

// Fetched once per process. OpenSSL 3.0's HKDF cannot duplicate a context,
// so each call makes a fresh one and names the digest again.
const EVP_KDF* Hkdf() {
  static const EVP_KDF* const kdf = [] {
    EVP_KDF* fetched = EVP_KDF_fetch(nullptr, "HKDF", nullptr);
    if (fetched == nullptr) {
      internal::Fatal("EVP_KDF_fetch(HKDF)");
    }
    return fetched;
  }();
  return kdf;
}

// OSSL_PARAM wants a mutable pointer; OpenSSL only reads octet-string inputs.
void* ParamData(ByteView bytes) { return const_cast<std::uint8_t*>(internal::NonNullData(bytes)); }

}  // namespace

StatusOr<SecretBytes> HkdfSha256(ByteView ikm, ByteView salt, ByteView info, std::size_t out_len) {
  if (out_len == 0 || out_len > kMaxHkdfOutLen) {
    return InternalError("HKDF-SHA256 output length must be between 1 and 8160 bytes");
  }
  // EVP_KDF_CTX_new takes a mutable pointer but only adds a reference.
  EvpKdfCtxPtr ctx(EVP_KDF_CTX_new(const_cast<EVP_KDF*>(Hkdf())));
  if (ctx == nullptr) {
    return internal::OpenSslError("EVP_KDF_CTX_new");
  }
  char digest[] = "SHA256";
  // An empty salt is left out: RFC 5869 then uses HashLen zero bytes.
  OSSL_PARAM params[5];
  std::size_t n = 0;
  params[n++] = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, digest, 0);
  params[n++] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, ParamData(ikm), ikm.size());
  if (!salt.empty()) {
    params[n++] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, ParamData(salt), salt.size());
  }
  if (!info.empty()) {
    params[n++] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, ParamData(info), info.size());
  }
  params[n] = OSSL_PARAM_construct_end();

  SecretBytes out(out_len);
  if (EVP_KDF_derive(ctx.get(), out.data(), out.size(), params) != 1) {
    return internal::OpenSslError("HKDF-SHA256 derive");  // `out` wipes itself
  }
  return out;
}

}  // namespace coffer::crypto

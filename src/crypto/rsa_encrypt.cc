// RSA encryption primitives shared by the envelope keyring (rsa.cc) and KMS
// asymmetric keys (asymmetric.cc).
#include <openssl/rsa.h>

#include "crypto/openssl_util.h"
#include "crypto/pkey_util.h"

namespace coffer::crypto::internal {
namespace {

// Sets padding (and OAEP digests) on a context after encrypt/decrypt init.
bool SetPadding(EVP_PKEY_CTX* ctx, RsaPadding padding) {
  if (padding == RsaPadding::kPkcs1) {
    return EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PADDING) == 1;
  }
  const char* md = DigestName(static_cast<int>(padding) - 1);
  return EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_OAEP_PADDING) == 1 &&
         EVP_PKEY_CTX_set_rsa_oaep_md_name(ctx, md, nullptr) == 1 &&
         EVP_PKEY_CTX_set_rsa_mgf1_md_name(ctx, md, nullptr) == 1;
}

}  // namespace

StatusOr<Bytes> RsaEncrypt(EVP_PKEY* key, RsaPadding padding, ByteView plaintext) {
  EvpPkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, key, nullptr));
  if (ctx == nullptr || EVP_PKEY_encrypt_init(ctx.get()) != 1 || !SetPadding(ctx.get(), padding)) {
    return OpenSslError("RSA encrypt init");
  }
  std::size_t len = 0;
  if (EVP_PKEY_encrypt(ctx.get(), nullptr, &len, NonNullData(plaintext), plaintext.size()) != 1) {
    return OpenSslError("RSA encrypt size");
  }
  Bytes out(len);
  if (EVP_PKEY_encrypt(ctx.get(), out.data(), &len, NonNullData(plaintext), plaintext.size()) != 1) {
    return OpenSslError("RSA encrypt");
  }
  out.resize(len);
  return out;
}

StatusOr<SecretBytes> RsaDecrypt(EVP_PKEY* key, RsaPadding padding, ByteView ciphertext) {
  EvpPkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, key, nullptr));
  if (ctx == nullptr || EVP_PKEY_decrypt_init(ctx.get()) != 1 || !SetPadding(ctx.get(), padding)) {
    return OpenSslError("RSA decrypt init");
  }
  std::size_t len = 0;
  if (EVP_PKEY_decrypt(ctx.get(), nullptr, &len, NonNullData(ciphertext), ciphertext.size()) != 1) {
    ClearOpenSslErrors();
    return Status(ErrorCode::kInvalidCiphertext, "RSA decryption failed");
  }
  SecretBytes out(len);
  if (EVP_PKEY_decrypt(ctx.get(), out.data(), &len, NonNullData(ciphertext), ciphertext.size()) != 1) {
    ClearOpenSslErrors();
    return Status(ErrorCode::kInvalidCiphertext, "RSA decryption failed");
  }
  out.resize(len);
  return out;
}

}  // namespace coffer::crypto::internal

// RSA key wrapping (OAEP with MGF1 over the same hash, and PKCS#1 v1.5) for
// the raw RSA keyring. Keys come from PEM; encrypted PEM is refused rather
// than prompting for a passphrase.
#include <openssl/bio.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include "crypto/openssl_util.h"
#include "crypto/pkey_util.h"
#include "crypto/primitives.h"

namespace coffer::crypto {
namespace {

using internal::BioPtr;
using internal::EvpPkeyCtxPtr;
using internal::EvpPkeyPtr;

int NoPassphrase(char* /*buf*/, int /*size*/, int /*rwflag*/, void* /*u*/) { return 0; }

EvpPkeyPtr ReadPem(std::string_view pem, bool private_key) {
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  if (bio == nullptr) {
    return nullptr;
  }
  EVP_PKEY* key = private_key ? PEM_read_bio_PrivateKey(bio.get(), nullptr, NoPassphrase, nullptr)
                              : PEM_read_bio_PUBKEY(bio.get(), nullptr, NoPassphrase, nullptr);
  return EvpPkeyPtr(key);
}

}  // namespace

struct RsaKey::Impl {
  EvpPkeyPtr key;
};

RsaKey::RsaKey(std::unique_ptr<Impl> impl, bool has_private)
    : impl_(std::move(impl)), has_private_(has_private) {}
RsaKey::~RsaKey() = default;

StatusOr<std::unique_ptr<RsaKey>> RsaKey::FromPem(std::string_view pem) {
  auto impl = std::make_unique<Impl>();
  bool has_private = true;
  impl->key = ReadPem(pem, /*private_key=*/true);
  if (impl->key == nullptr) {
    has_private = false;
    impl->key = ReadPem(pem, /*private_key=*/false);
  }
  internal::ClearOpenSslErrors();
  if (impl->key == nullptr) {
    return ValidationError("not a PEM RSA key");
  }
  if (EVP_PKEY_is_a(impl->key.get(), "RSA") != 1) {
    return ValidationError("PEM key is not an RSA key");
  }
  return std::unique_ptr<RsaKey>(new RsaKey(std::move(impl), has_private));
}

StatusOr<Bytes> RsaKey::Encrypt(RsaPadding padding, ByteView plaintext) const {
  return internal::RsaEncrypt(impl_->key.get(), padding, plaintext);
}

StatusOr<SecretBytes> RsaKey::Decrypt(RsaPadding padding, ByteView ciphertext) const {
  if (!has_private_) {
    return InternalError("RSA public key cannot decrypt");
  }
  return internal::RsaDecrypt(impl_->key.get(), padding, ciphertext);
}

}  // namespace coffer::crypto

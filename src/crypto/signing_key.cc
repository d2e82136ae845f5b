#include "crypto/signing_key.h"

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "crypto/openssl_util.h"
#include "crypto/pkey_util.h"

namespace coffer::crypto {
namespace {

using internal::BioPtr;
using internal::EvpMdCtxPtr;
using internal::EvpPkeyPtr;

StatusOr<Bytes> SpkiDer(EVP_PKEY* key) {
  const int len = i2d_PUBKEY(key, nullptr);
  if (len <= 0) return internal::OpenSslError("i2d_PUBKEY");
  Bytes out(static_cast<std::size_t>(len));
  unsigned char* p = out.data();
  if (i2d_PUBKEY(key, &p) != len) return internal::OpenSslError("i2d_PUBKEY");
  return out;
}

bool IsP384(EVP_PKEY* key) {
  char group[32] = {};
  std::size_t len = 0;
  return EVP_PKEY_is_a(key, "EC") == 1 &&
         EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof(group), &len) == 1 &&
         (std::string_view(group, len) == "secp384r1" || std::string_view(group, len) == "P-384");
}

}  // namespace

struct P384SigningKey::Impl {
  EvpPkeyPtr key;
};

P384SigningKey::P384SigningKey(std::unique_ptr<Impl> impl, Bytes public_der)
    : impl_(std::move(impl)), public_der_(std::move(public_der)) {}
P384SigningKey::~P384SigningKey() = default;

StatusOr<std::unique_ptr<P384SigningKey>> P384SigningKey::Generate() {
  auto impl = std::make_unique<Impl>();
  impl->key.reset(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-384"));
  if (impl->key == nullptr) return internal::OpenSslError("P-384 keygen");
  ASSIGN_OR_RETURN(Bytes spki, SpkiDer(impl->key.get()));
  return std::unique_ptr<P384SigningKey>(new P384SigningKey(std::move(impl), std::move(spki)));
}

StatusOr<std::unique_ptr<P384SigningKey>> P384SigningKey::FromPkcs8(ByteView der) {
  const unsigned char* p = der.data();
  auto impl = std::make_unique<Impl>();
  impl->key.reset(d2i_AutoPrivateKey(nullptr, &p, static_cast<long>(der.size())));
  if (impl->key == nullptr || !IsP384(impl->key.get())) {
    internal::ClearOpenSslErrors();
    return InternalError("stored audit signing key is not a P-384 private key");
  }
  ASSIGN_OR_RETURN(Bytes spki, SpkiDer(impl->key.get()));
  return std::unique_ptr<P384SigningKey>(new P384SigningKey(std::move(impl), std::move(spki)));
}

StatusOr<SecretBytes> P384SigningKey::Pkcs8() const {
  const int len = i2d_PrivateKey(impl_->key.get(), nullptr);
  if (len <= 0) return internal::OpenSslError("i2d_PrivateKey");
  SecretBytes out(static_cast<std::size_t>(len));
  unsigned char* p = out.data();
  if (i2d_PrivateKey(impl_->key.get(), &p) != len) return internal::OpenSslError("i2d_PrivateKey");
  return out;
}

StatusOr<Bytes> P384SigningKey::Sign(ByteView message) const {
  EvpMdCtxPtr ctx(EVP_MD_CTX_new());
  if (ctx == nullptr ||
      EVP_DigestSignInit_ex(ctx.get(), nullptr, "SHA384", nullptr, nullptr, impl_->key.get(), nullptr) != 1) {
    return internal::OpenSslError("ECDSA sign init");
  }
  std::size_t len = 0;
  if (EVP_DigestSign(ctx.get(), nullptr, &len, internal::NonNullData(message), message.size()) != 1) {
    return internal::OpenSslError("ECDSA sign");
  }
  Bytes sig(len);
  if (EVP_DigestSign(ctx.get(), sig.data(), &len, internal::NonNullData(message), message.size()) != 1) {
    return internal::OpenSslError("ECDSA sign");
  }
  sig.resize(len);
  return sig;
}

Status VerifyP384(ByteView public_der, ByteView message, ByteView signature) {
  const unsigned char* p = public_der.data();
  EvpPkeyPtr key(d2i_PUBKEY(nullptr, &p, static_cast<long>(public_der.size())));
  if (key == nullptr || !IsP384(key.get())) {
    internal::ClearOpenSslErrors();
    return ValidationError("the public key is not a P-384 SubjectPublicKeyInfo");
  }
  EvpMdCtxPtr ctx(EVP_MD_CTX_new());
  if (ctx == nullptr ||
      EVP_DigestVerifyInit_ex(ctx.get(), nullptr, "SHA384", nullptr, nullptr, key.get(), nullptr) != 1) {
    return internal::OpenSslError("ECDSA verify init");
  }
  if (signature.empty() || EVP_DigestVerify(ctx.get(), signature.data(), signature.size(),
                                            internal::NonNullData(message), message.size()) != 1) {
    internal::ClearOpenSslErrors();
    return {ErrorCode::kInvalidSignature, "signature does not verify"};
  }
  return Status::Ok();
}

std::string PublicKeyPem(ByteView public_der) {
  const unsigned char* p = public_der.data();
  EvpPkeyPtr key(d2i_PUBKEY(nullptr, &p, static_cast<long>(public_der.size())));
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (key == nullptr || bio == nullptr || PEM_write_bio_PUBKEY(bio.get(), key.get()) != 1) {
    internal::ClearOpenSslErrors();
    return {};
  }
  char* data = nullptr;
  const long len = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(len));
}

StatusOr<Bytes> PublicKeyFromPem(std::string_view pem) {
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  EvpPkeyPtr key(bio ? PEM_read_bio_PUBKEY(bio.get(), nullptr, nullptr, nullptr) : nullptr);
  if (key == nullptr) {
    internal::ClearOpenSslErrors();
    return ValidationError("no PUBLIC KEY PEM block");
  }
  return SpkiDer(key.get());
}

}  // namespace coffer::crypto

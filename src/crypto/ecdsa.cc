// ECDSA over P-256 and P-384 for message signatures. Digests are computed by
// the caller (the signature covers a stream), so these sign and verify digests.
#include <openssl/core_names.h>
#include <openssl/evp.h>

#include "crypto/openssl_util.h"
#include "crypto/pkey_util.h"
#include "crypto/primitives.h"

namespace coffer::crypto {
namespace {

using internal::EvpPkeyCtxPtr;
using internal::EvpPkeyPtr;

char* GroupName(EcCurve curve) {
  static char p256[] = "P-256";
  static char p384[] = "P-384";
  return curve == EcCurve::kP256 ? p256 : p384;
}

constexpr int kMaxSignAttempts = 64;

}  // namespace

std::size_t EcdsaSignatureLen(EcCurve curve) { return curve == EcCurve::kP256 ? 71 : 103; }

struct EcdsaVerifier::Impl {
  EvpPkeyPtr key;
};

EcdsaVerifier::EcdsaVerifier(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
EcdsaVerifier::~EcdsaVerifier() = default;

StatusOr<std::unique_ptr<EcdsaVerifier>> EcdsaVerifier::FromPoint(EcCurve curve, ByteView point) {
  if (point.empty()) {
    return ValidationError("empty EC public key");
  }
  EvpPkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_name(nullptr, "EC", nullptr));
  if (ctx == nullptr || EVP_PKEY_fromdata_init(ctx.get()) != 1) {
    return internal::OpenSslError("EC fromdata init");
  }
  const OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, GroupName(curve), 0),
      OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY, const_cast<std::uint8_t*>(point.data()),
                                        point.size()),
      OSSL_PARAM_construct_end()};
  EVP_PKEY* raw = nullptr;
  if (EVP_PKEY_fromdata(ctx.get(), &raw, EVP_PKEY_PUBLIC_KEY, const_cast<OSSL_PARAM*>(params)) != 1) {
    internal::ClearOpenSslErrors();
    return ValidationError("EC public key is not a point on the curve");
  }
  auto impl = std::make_unique<Impl>();
  impl->key.reset(raw);
  EvpPkeyCtxPtr check(EVP_PKEY_CTX_new_from_pkey(nullptr, raw, nullptr));
  if (check == nullptr || EVP_PKEY_public_check(check.get()) != 1) {
    internal::ClearOpenSslErrors();
    return ValidationError("EC public key is not a point on the curve");
  }
  return std::unique_ptr<EcdsaVerifier>(new EcdsaVerifier(std::move(impl)));
}

Status EcdsaVerifier::VerifyDigest(ByteView digest, ByteView der_signature) const {
  EvpPkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, impl_->key.get(), nullptr));
  if (ctx == nullptr || EVP_PKEY_verify_init(ctx.get()) != 1) {
    return internal::OpenSslError("ECDSA verify init");
  }
  if (der_signature.empty() || EVP_PKEY_verify(ctx.get(), der_signature.data(), der_signature.size(),
                                               internal::NonNullData(digest), digest.size()) != 1) {
    internal::ClearOpenSslErrors();
    return {ErrorCode::kInvalidSignature, "signature does not verify"};
  }
  return Status::Ok();
}

struct EcdsaSigner::Impl {
  EvpPkeyPtr key;
  EcCurve curve;
};

EcdsaSigner::EcdsaSigner(std::unique_ptr<Impl> impl, Bytes compressed_public_key)
    : impl_(std::move(impl)), compressed_public_key_(std::move(compressed_public_key)) {}
EcdsaSigner::~EcdsaSigner() = default;

StatusOr<std::unique_ptr<EcdsaSigner>> EcdsaSigner::Generate(EcCurve curve) {
  auto impl = std::make_unique<Impl>();
  impl->curve = curve;
  impl->key.reset(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", GroupName(curve)));
  if (impl->key == nullptr) {
    return internal::OpenSslError("EC keygen");
  }
  // The uncompressed point 0x04 || X || Y, compressed by hand: OpenSSL 3.0
  // does not apply the point-format parameter to the encoded public key.
  Bytes point(1 + 2 * 48);
  std::size_t len = 0;
  if (EVP_PKEY_get_octet_string_param(impl->key.get(), OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, point.data(),
                                      point.size(), &len) != 1 ||
      len < 3 || len % 2 != 1 || (point[0] != 4 && point[0] != 2 && point[0] != 3)) {
    return internal::OpenSslError("EC public key");
  }
  if (point[0] == 4) {
    const std::size_t coord_len = (len - 1) / 2;
    point[0] = static_cast<std::uint8_t>(2 | (point[len - 1] & 1));
    len = 1 + coord_len;
  }
  point.resize(len);
  return std::unique_ptr<EcdsaSigner>(new EcdsaSigner(std::move(impl), std::move(point)));
}

StatusOr<Bytes> EcdsaSigner::SignDigest(ByteView digest) const {
  EvpPkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, impl_->key.get(), nullptr));
  if (ctx == nullptr || EVP_PKEY_sign_init(ctx.get()) != 1) {
    return internal::OpenSslError("ECDSA sign init");
  }
  const std::size_t want = EcdsaSignatureLen(impl_->curve);
  for (int attempt = 0; attempt < kMaxSignAttempts; ++attempt) {
    Bytes sig(want + 8);
    std::size_t len = sig.size();
    if (EVP_PKEY_sign(ctx.get(), sig.data(), &len, digest.data(), digest.size()) != 1) {
      return internal::OpenSslError("ECDSA sign");
    }
    if (len == want) {
      sig.resize(len);
      return sig;
    }
  }
  return InternalError("ECDSA signature of fixed length not found");
}

}  // namespace coffer::crypto

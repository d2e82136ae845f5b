// PublicKey and PrivateKey: parsing, signatures over digests, RSA-OAEP and
// ECDH. The EVP_PKEY is shared read-only, which OpenSSL 3 allows across
// threads. OpenSSL contexts are per call, except signing and verifying
// contexts: setting one up (provider lookup, digest fetch, padding) costs
// about a tenth of a P-256 signature, so a key keeps a few initialised ones
// to reuse, each used by one thread at a time.
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include <mutex>
#include <vector>

#include "crypto/asymmetric_internal.h"
#include "crypto/openssl_util.h"

namespace coffer::crypto {
namespace {

using internal::EvpPkeyCtxPtr;
using internal::EvpPkeyPtr;

// Padding and digest for a signature context after sign/verify init.
bool SetSignatureParams(EVP_PKEY_CTX* ctx, SignatureAlg alg) {
  const EVP_MD* md = EVP_get_digestbyname(internal::DigestName(static_cast<int>(alg.hash)));
  if (md == nullptr || EVP_PKEY_CTX_set_signature_md(ctx, md) != 1) return false;
  switch (alg.scheme) {
    case SigScheme::kRsaPkcs1:
      return EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PADDING) == 1;
    case SigScheme::kRsaPss:
      return EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PSS_PADDING) == 1 &&
             EVP_PKEY_CTX_set_rsa_mgf1_md(ctx, md) == 1 &&
             EVP_PKEY_CTX_set_rsa_pss_saltlen(ctx, RSA_PSS_SALTLEN_DIGEST) == 1;
    case SigScheme::kEcdsa:
      return true;
  }
  return false;
}

bool SchemeFits(SigScheme scheme, AsymSpec spec) { return (scheme == SigScheme::kEcdsa) != IsRsa(spec); }

bool DigestFits(SignatureAlg alg, ByteView digest) { return digest.size() == HashLen(alg.hash); }

// Idle contexts are kept per algorithm; beyond this many per key (more
// threads at once), extra contexts are freed after use.
constexpr std::size_t kIdleContexts = 8;

// Initialised signature contexts of one key for one operation (sign or
// verify), reused across calls. Only a context whose last use succeeded comes
// back, so no error state is carried into the next call.
class ContextPool {
 public:
  using InitFn = int (*)(EVP_PKEY_CTX*);
  explicit ContextPool(InitFn init) : init_(init) {}

  // An initialised context for `alg`: an idle one, or a new one.
  EvpPkeyCtxPtr Take(EVP_PKEY* key, SignatureAlg alg) {
    {
      std::lock_guard lock(mu_);
      for (auto it = idle_.begin(); it != idle_.end(); ++it) {
        if (it->alg.scheme == alg.scheme && it->alg.hash == alg.hash) {
          EvpPkeyCtxPtr ctx = std::move(it->ctx);
          idle_.erase(it);
          return ctx;
        }
      }
    }
    EvpPkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, key, nullptr));
    if (ctx == nullptr || init_(ctx.get()) != 1 || !SetSignatureParams(ctx.get(), alg)) return nullptr;
    return ctx;
  }

  void Return(SignatureAlg alg, EvpPkeyCtxPtr ctx) {
    std::lock_guard lock(mu_);
    if (idle_.size() < kIdleContexts) idle_.push_back(Idle{alg, std::move(ctx)});
  }

 private:
  struct Idle {
    SignatureAlg alg;
    EvpPkeyCtxPtr ctx;
  };
  InitFn init_;
  std::mutex mu_;
  std::vector<Idle> idle_;  // under mu_
};

}  // namespace

struct PublicKey::Impl {
  EvpPkeyPtr key;
  ContextPool verify_contexts{EVP_PKEY_verify_init};
};

PublicKey::PublicKey(std::unique_ptr<Impl> impl, AsymSpec spec) : impl_(std::move(impl)), spec_(spec) {}
PublicKey::~PublicKey() = default;

StatusOr<std::unique_ptr<PublicKey>> PublicKey::FromSpki(ByteView spki) {
  const unsigned char* p = spki.data();
  EvpPkeyPtr key(spki.empty() ? nullptr : d2i_PUBKEY(nullptr, &p, static_cast<long>(spki.size())));
  if (key == nullptr || p != spki.data() + spki.size()) {
    internal::ClearOpenSslErrors();
    return ValidationError("not a DER SubjectPublicKeyInfo");
  }
  ASSIGN_OR_RETURN(AsymSpec spec, internal::SpecOf(key.get()));
  if (!IsRsa(spec)) {
    EvpPkeyCtxPtr check(EVP_PKEY_CTX_new_from_pkey(nullptr, key.get(), nullptr));
    if (check == nullptr || EVP_PKEY_public_check(check.get()) != 1) {
      internal::ClearOpenSslErrors();
      return ValidationError("EC public key is not a valid point on its curve");
    }
  }
  auto impl = std::make_unique<Impl>();
  impl->key = std::move(key);
  return std::unique_ptr<PublicKey>(new PublicKey(std::move(impl), spec));
}

Status PublicKey::VerifyDigest(SignatureAlg alg, ByteView digest, ByteView signature) const {
  if (!SchemeFits(alg.scheme, spec_) || !DigestFits(alg, digest)) {
    return InternalError("signature algorithm does not fit the key or digest");
  }
  EvpPkeyCtxPtr ctx = impl_->verify_contexts.Take(impl_->key.get(), alg);
  if (ctx == nullptr) return internal::OpenSslError("verify init");
  if (signature.empty() ||
      EVP_PKEY_verify(ctx.get(), signature.data(), signature.size(), digest.data(), digest.size()) != 1) {
    internal::ClearOpenSslErrors();
    return {ErrorCode::kInvalidSignature, "signature does not verify"};
  }
  impl_->verify_contexts.Return(alg, std::move(ctx));
  return Status::Ok();
}

StatusOr<Bytes> PublicKey::Encrypt(RsaPadding padding, ByteView plaintext) const {
  if (!IsRsa(spec_)) return InternalError("only RSA keys encrypt");
  return internal::RsaEncrypt(impl_->key.get(), padding, plaintext);
}

struct PrivateKey::Impl {
  EvpPkeyPtr key;
  ContextPool sign_contexts{EVP_PKEY_sign_init};
};

PrivateKey::PrivateKey(std::unique_ptr<Impl> impl, AsymSpec spec, Bytes public_der,
                       std::unique_ptr<PublicKey> pub)
    : impl_(std::move(impl)), spec_(spec), public_der_(std::move(public_der)), public_(std::move(pub)) {}
PrivateKey::~PrivateKey() = default;

StatusOr<std::unique_ptr<PrivateKey>> PrivateKey::FromPkcs8(ByteView pkcs8) {
  const unsigned char* p = pkcs8.data();
  PKCS8_PRIV_KEY_INFO* info =
      pkcs8.empty() ? nullptr : d2i_PKCS8_PRIV_KEY_INFO(nullptr, &p, static_cast<long>(pkcs8.size()));
  const bool whole = p == pkcs8.data() + pkcs8.size();
  EvpPkeyPtr key(info != nullptr && whole ? EVP_PKCS82PKEY(info) : nullptr);
  PKCS8_PRIV_KEY_INFO_free(info);
  if (key == nullptr) {
    internal::ClearOpenSslErrors();
    return ValidationError("not an unencrypted PKCS#8 DER private key");
  }
  ASSIGN_OR_RETURN(AsymSpec spec, internal::SpecOf(key.get()));
  EvpPkeyCtxPtr check(EVP_PKEY_CTX_new_from_pkey(nullptr, key.get(), nullptr));
  if (check == nullptr || EVP_PKEY_pairwise_check(check.get()) != 1) {
    internal::ClearOpenSslErrors();
    return ValidationError("private key is inconsistent");
  }
  ASSIGN_OR_RETURN(Bytes spki, internal::EncodeSpki(key.get()));
  ASSIGN_OR_RETURN(std::unique_ptr<PublicKey> pub, PublicKey::FromSpki(spki));
  auto impl = std::make_unique<Impl>();
  impl->key = std::move(key);
  return std::unique_ptr<PrivateKey>(new PrivateKey(std::move(impl), spec, std::move(spki), std::move(pub)));
}

StatusOr<Bytes> PrivateKey::SignDigest(SignatureAlg alg, ByteView digest) const {
  if (!SchemeFits(alg.scheme, spec_) || !DigestFits(alg, digest)) {
    return InternalError("signature algorithm does not fit the key or digest");
  }
  EvpPkeyCtxPtr ctx = impl_->sign_contexts.Take(impl_->key.get(), alg);
  if (ctx == nullptr) return internal::OpenSslError("sign init");
  std::size_t len = 0;
  if (EVP_PKEY_sign(ctx.get(), nullptr, &len, digest.data(), digest.size()) != 1) {
    return internal::OpenSslError("sign size");
  }
  Bytes sig(len);
  if (EVP_PKEY_sign(ctx.get(), sig.data(), &len, digest.data(), digest.size()) != 1) {
    return internal::OpenSslError("sign");
  }
  sig.resize(len);
  impl_->sign_contexts.Return(alg, std::move(ctx));
  return sig;
}

StatusOr<SecretBytes> PrivateKey::Decrypt(RsaPadding padding, ByteView ciphertext) const {
  if (!IsRsa(spec_)) return InternalError("only RSA keys decrypt");
  return internal::RsaDecrypt(impl_->key.get(), padding, ciphertext);
}

StatusOr<SecretBytes> PrivateKey::DeriveSharedSecret(const PublicKey& peer) const {
  if (IsRsa(spec_) || peer.spec() != spec_) {
    return ValidationError("the public key is not on the curve of the KMS key");
  }
  EvpPkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, impl_->key.get(), nullptr));
  if (ctx == nullptr || EVP_PKEY_derive_init(ctx.get()) != 1) return internal::OpenSslError("derive init");
  if (EVP_PKEY_derive_set_peer(ctx.get(), peer.impl_->key.get()) != 1) {
    internal::ClearOpenSslErrors();
    return ValidationError("the public key is not a valid point on the curve");
  }
  std::size_t len = 0;
  if (EVP_PKEY_derive(ctx.get(), nullptr, &len) != 1) return internal::OpenSslError("derive size");
  SecretBytes out(len);
  if (EVP_PKEY_derive(ctx.get(), out.data(), &len) != 1) {
    out.Wipe();
    return internal::OpenSslError("derive");
  }
  out.resize(len);
  return out;
}

}  // namespace coffer::crypto

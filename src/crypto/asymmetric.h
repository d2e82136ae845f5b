// Asymmetric keys for KMS: RSA 2048/3072/4096 and ECC P-256/P-384/P-521/
// secp256k1 private keys held as PKCS#8 DER, public keys as DER
// SubjectPublicKeyInfo. Signatures (RSA-PSS, RSA PKCS#1 v1.5, DER ECDSA) are
// over digests the caller computes; RSA encryption is OAEP; ECDH returns the
// raw shared x-coordinate. Plus HMAC over SHA-224..512 and AES key wrap with
// padding (RFC 5649) for imported key material. No OpenSSL type escapes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>

#include "common/bytes.h"
#include "common/secret_bytes.h"
#include "common/status_or.h"
#include "crypto/primitives.h"

namespace coffer::crypto {

enum class AsymSpec : std::uint8_t { kRsa2048, kRsa3072, kRsa4096, kP256, kP384, kP521, kSecp256k1 };

bool IsRsa(AsymSpec spec);
// Modulus bits for RSA specs, field bits for curves.
int KeyBits(AsymSpec spec);

enum class SigScheme : std::uint8_t { kRsaPss, kRsaPkcs1, kEcdsa };

struct SignatureAlg {
  SigScheme scheme;
  HashAlg hash;  // RSA-PSS uses MGF1 with the same hash and salt length = digest length
};

// A fresh private key of `spec` as PKCS#8 DER.
StatusOr<SecretBytes> GeneratePrivateKey(AsymSpec spec);

// An EC private key of `spec` from its big-endian scalar, as PKCS#8 DER
// (for test vectors that publish bare scalars). kValidation when out of range.
StatusOr<SecretBytes> EcPrivateKeyFromScalar(AsymSpec spec, ByteView scalar);

class PublicKey {
 public:
  // kValidation unless `spki` is a DER SubjectPublicKeyInfo of a supported
  // RSA or EC key (the point must be on the curve).
  static StatusOr<std::unique_ptr<PublicKey>> FromSpki(ByteView spki);
  ~PublicKey();
  AsymSpec spec() const { return spec_; }
  // OK only when the signature verifies; kInvalidSignature otherwise.
  Status VerifyDigest(SignatureAlg alg, ByteView digest, ByteView signature) const;
  StatusOr<Bytes> Encrypt(RsaPadding padding, ByteView plaintext) const;

 private:
  friend class PrivateKey;
  struct Impl;
  PublicKey(std::unique_ptr<Impl> impl, AsymSpec spec);
  std::unique_ptr<Impl> impl_;
  AsymSpec spec_;
};

class PrivateKey {
 public:
  // kValidation unless `pkcs8` is an unencrypted PKCS#8 DER key of a
  // supported type that passes OpenSSL's key check.
  static StatusOr<std::unique_ptr<PrivateKey>> FromPkcs8(ByteView pkcs8);
  ~PrivateKey();
  AsymSpec spec() const { return spec_; }
  const Bytes& PublicKeyDer() const { return public_der_; }
  const PublicKey& public_key() const { return *public_; }
  StatusOr<Bytes> SignDigest(SignatureAlg alg, ByteView digest) const;
  // kInvalidCiphertext when the padding does not check out.
  StatusOr<SecretBytes> Decrypt(RsaPadding padding, ByteView ciphertext) const;
  // ECDH with a peer key on the same curve; kValidation for any other key.
  StatusOr<SecretBytes> DeriveSharedSecret(const PublicKey& peer) const;

 private:
  struct Impl;
  PrivateKey(std::unique_ptr<Impl> impl, AsymSpec spec, Bytes public_der, std::unique_ptr<PublicKey> pub);
  std::unique_ptr<Impl> impl_;
  AsymSpec spec_;
  Bytes public_der_;
  std::unique_ptr<PublicKey> public_;
};

// One-shot digest (SHA-1..SHA-512).
Bytes Digest(HashAlg hash, ByteView data);

enum class MacAlg : std::uint8_t { kSha224, kSha256, kSha384, kSha512 };
std::size_t MacLen(MacAlg alg);
StatusOr<Bytes> Hmac(MacAlg alg, ByteView key, ByteView message);

// Constant-time equality (OpenSSL's CRYPTO_memcmp); lengths are not secret.
bool SecretsEqual(ByteView a, ByteView b);

// AES key wrap with padding (RFC 5649, the second step of RSA_AES_KEY_WRAP).
StatusOr<Bytes> AesKeyWrapPad(ByteView kek, ByteView plaintext);
// kInvalidCiphertext when the integrity check fails.
StatusOr<SecretBytes> AesKeyUnwrapPad(ByteView kek, ByteView wrapped);

}  // namespace coffer::crypto

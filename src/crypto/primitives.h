// Primitives for envelope encryption (the AWS Encryption SDK message format):
// HKDF over SHA-2, incremental hashing, ECDSA over P-256/P-384 with SEC1 point
// encodings, and RSA encryption (OAEP, PKCS#1 v1.5) with PEM keys. Like
// crypto.h, nothing here exposes an OpenSSL type.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>

#include "common/bytes.h"
#include "common/secret_bytes.h"
#include "common/status_or.h"

namespace coffer::crypto {

enum class HashAlg : std::uint8_t { kSha1, kSha256, kSha384, kSha512 };

std::size_t HashLen(HashAlg hash);

// HKDF (RFC 5869). An empty salt means HashLen zero bytes; out_len must be
// between 1 and 255 * HashLen (kInternal otherwise).
StatusOr<SecretBytes> Hkdf(HashAlg hash, ByteView ikm, ByteView salt, ByteView info, std::size_t out_len);

// Incremental hash for data that arrives in pieces (a message signature).
class Hasher {
 public:
  explicit Hasher(HashAlg hash);
  ~Hasher();
  Hasher(const Hasher&) = delete;
  Hasher& operator=(const Hasher&) = delete;
  void Update(ByteView data);
  // The digest of everything fed so far; the hasher is then reset.
  Bytes Final();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

enum class EcCurve : std::uint8_t { kP256, kP384 };

// An ECDSA public key that verifies DER signatures over a precomputed digest.
class EcdsaVerifier {
 public:
  // `point` is a SEC1 point, compressed (0x02/0x03 || X) or uncompressed
  // (0x04 || X || Y); a point not on the curve is kValidation.
  static StatusOr<std::unique_ptr<EcdsaVerifier>> FromPoint(EcCurve curve, ByteView point);
  ~EcdsaVerifier();
  // OK only for a strict-DER signature that verifies; kInvalidSignature otherwise.
  Status VerifyDigest(ByteView digest, ByteView der_signature) const;

 private:
  struct Impl;
  explicit EcdsaVerifier(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// A fresh ECDSA key pair that signs digests.
class EcdsaSigner {
 public:
  static StatusOr<std::unique_ptr<EcdsaSigner>> Generate(EcCurve curve);
  ~EcdsaSigner();
  // The public key as a compressed SEC1 point.
  const Bytes& CompressedPublicKey() const { return compressed_public_key_; }
  // A DER signature of the curve's fixed ESDK length (71 bytes for P-256, 103
  // for P-384): signing repeats until the encoding has that length, as the
  // official SDKs do, so message sizes are predictable.
  StatusOr<Bytes> SignDigest(ByteView digest) const;

 private:
  struct Impl;
  EcdsaSigner(std::unique_ptr<Impl> impl, Bytes compressed_public_key);
  std::unique_ptr<Impl> impl_;
  Bytes compressed_public_key_;
};

// Fixed DER signature length the ESDK writes for a curve.
std::size_t EcdsaSignatureLen(EcCurve curve);

enum class RsaPadding : std::uint8_t { kPkcs1, kOaepSha1, kOaepSha256, kOaepSha384, kOaepSha512 };

// An RSA key from PEM: a private key ("PRIVATE KEY" or "RSA PRIVATE KEY")
// can encrypt and decrypt; a public key ("PUBLIC KEY") only encrypt.
class RsaKey {
 public:
  static StatusOr<std::unique_ptr<RsaKey>> FromPem(std::string_view pem);
  ~RsaKey();
  bool has_private_key() const { return has_private_; }
  StatusOr<Bytes> Encrypt(RsaPadding padding, ByteView plaintext) const;
  // kInvalidCiphertext when the padding does not check out.
  StatusOr<SecretBytes> Decrypt(RsaPadding padding, ByteView ciphertext) const;

 private:
  struct Impl;
  RsaKey(std::unique_ptr<Impl> impl, bool has_private);
  std::unique_ptr<Impl> impl_;
  bool has_private_;
};

}  // namespace coffer::crypto

// ECDSA P-384 / SHA-384 signing keys that persist: the audit trail signs its
// digests with one whose private half is stored wrapped under the root key,
// and auditors verify with the exported public key (SubjectPublicKeyInfo).
#pragma once

#include <memory>
#include <string>

#include "common/bytes.h"
#include "common/secret_bytes.h"
#include "common/status_or.h"

namespace coffer::crypto {

class P384SigningKey {
 public:
  static StatusOr<std::unique_ptr<P384SigningKey>> Generate();
  // From PKCS#8 DER (as returned by Pkcs8()); kInternal when it is not a P-384 key.
  static StatusOr<std::unique_ptr<P384SigningKey>> FromPkcs8(ByteView der);
  ~P384SigningKey();

  // The private key as unencrypted PKCS#8 DER: wrap it before it is stored.
  StatusOr<SecretBytes> Pkcs8() const;
  // The public key as DER SubjectPublicKeyInfo.
  const Bytes& PublicKeyDer() const { return public_der_; }
  // DER ECDSA signature over SHA-384(message).
  StatusOr<Bytes> Sign(ByteView message) const;

 private:
  struct Impl;
  P384SigningKey(std::unique_ptr<Impl> impl, Bytes public_der);
  std::unique_ptr<Impl> impl_;
  Bytes public_der_;
};

// OK when `signature` is a valid ECDSA/SHA-384 signature of `message` under the
// P-384 SubjectPublicKeyInfo `public_der`; kInvalidSignature otherwise
// (kValidation when the public key does not parse).
Status VerifyP384(ByteView public_der, ByteView message, ByteView signature);

// PEM ("PUBLIC KEY") text of a DER SubjectPublicKeyInfo, for auditors.
std::string PublicKeyPem(ByteView public_der);
// The DER inside a "PUBLIC KEY" PEM block; kValidation when there is none.
StatusOr<Bytes> PublicKeyFromPem(std::string_view pem);

}  // namespace coffer::crypto

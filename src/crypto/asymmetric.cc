// Asymmetric key handling: generation, PKCS#8 and SPKI encodings, and which
// KMS spec a key is. Operations with the keys are in asymmetric_ops.cc.
#include "crypto/asymmetric.h"

#include <openssl/core_names.h>
#include <openssl/x509.h>

#include <array>
#include <string>

#include "crypto/asymmetric_internal.h"
#include "crypto/openssl_util.h"

namespace coffer::crypto {
namespace {

using internal::EvpPkeyCtxPtr;
using internal::EvpPkeyPtr;

struct CurveInfo {
  AsymSpec spec;
  const char* group;      // OpenSSL group name
  const char* nist_name;  // alias OpenSSL may report
  std::size_t field_len;
  Bytes oid;  // DER of the namedCurve OID
};

const std::array<CurveInfo, 4>& Curves() {
  static const std::array<CurveInfo, 4> kCurves = {{
      {AsymSpec::kP256,
       "prime256v1",
       "P-256",
       32,
       {0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07}},
      {AsymSpec::kP384, "secp384r1", "P-384", 48, {0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x22}},
      {AsymSpec::kP521, "secp521r1", "P-521", 66, {0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x23}},
      {AsymSpec::kSecp256k1, "secp256k1", "secp256k1", 32, {0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x0a}},
  }};
  return kCurves;
}

const CurveInfo* CurveFor(AsymSpec spec) {
  for (const auto& c : Curves()) {
    if (c.spec == spec) return &c;
  }
  return nullptr;
}

// DER TLV with a short-form length (every structure built here is < 128 bytes).
void AppendTlv(Bytes& out, std::uint8_t tag, ByteView value) {
  out.push_back(tag);
  out.push_back(static_cast<std::uint8_t>(value.size()));
  out.insert(out.end(), value.begin(), value.end());
}

StatusOr<SecretBytes> EncodePkcs8(EVP_PKEY* key) {
  PKCS8_PRIV_KEY_INFO* p8 = EVP_PKEY2PKCS8(key);
  if (p8 == nullptr) return internal::OpenSslError("EVP_PKEY2PKCS8");
  unsigned char* der = nullptr;
  const int len = i2d_PKCS8_PRIV_KEY_INFO(p8, &der);
  PKCS8_PRIV_KEY_INFO_free(p8);
  if (len <= 0) return internal::OpenSslError("i2d_PKCS8_PRIV_KEY_INFO");
  SecretBytes out(ByteView(der, static_cast<std::size_t>(len)));
  OPENSSL_clear_free(der, static_cast<std::size_t>(len));
  return out;
}

}  // namespace

namespace internal {

StatusOr<AsymSpec> SpecOf(EVP_PKEY* key) {
  if (EVP_PKEY_is_a(key, "RSA") == 1) {
    switch (EVP_PKEY_get_bits(key)) {
      case 2048:
        return AsymSpec::kRsa2048;
      case 3072:
        return AsymSpec::kRsa3072;
      case 4096:
        return AsymSpec::kRsa4096;
      default:
        return ValidationError("RSA key size must be 2048, 3072 or 4096 bits");
    }
  }
  if (EVP_PKEY_is_a(key, "EC") == 1) {
    // Named curves only: explicit parameters let a key smuggle in a curve
    // that merely looks like P-256 (Wycheproof's "UnnamedCurve" vectors).
    std::array<char, 32> encoding{};
    std::size_t encoding_len = 0;
    if (EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_EC_ENCODING, encoding.data(), encoding.size(),
                                       &encoding_len) != 1 ||
        std::string_view(encoding.data(), encoding_len) != OSSL_PKEY_EC_ENCODING_GROUP) {
      ClearOpenSslErrors();
      return ValidationError("EC key must name its curve (explicit parameters are refused)");
    }
    std::array<char, 64> group{};
    std::size_t len = 0;
    if (EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME, group.data(), group.size(), &len) ==
        1) {
      const std::string name(group.data(), len);
      for (const auto& c : Curves()) {
        if (name == c.group || name == c.nist_name) return c.spec;
      }
    }
    ClearOpenSslErrors();
    return ValidationError("EC key is not on a supported named curve");
  }
  return ValidationError("key type is not RSA or EC");
}

StatusOr<Bytes> EncodeSpki(EVP_PKEY* key) {
  unsigned char* der = nullptr;
  const int len = i2d_PUBKEY(key, &der);
  if (len <= 0) return OpenSslError("i2d_PUBKEY");
  Bytes out(der, der + len);
  OPENSSL_free(der);
  return out;
}

}  // namespace internal

bool IsRsa(AsymSpec spec) {
  return spec == AsymSpec::kRsa2048 || spec == AsymSpec::kRsa3072 || spec == AsymSpec::kRsa4096;
}

int KeyBits(AsymSpec spec) {
  switch (spec) {
    case AsymSpec::kRsa2048:
      return 2048;
    case AsymSpec::kRsa3072:
      return 3072;
    case AsymSpec::kRsa4096:
      return 4096;
    case AsymSpec::kP384:
      return 384;
    case AsymSpec::kP521:
      return 521;
    default:
      return 256;
  }
}

StatusOr<SecretBytes> GeneratePrivateKey(AsymSpec spec) {
  EvpPkeyPtr key;
  if (IsRsa(spec)) {
    key.reset(EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<std::size_t>(KeyBits(spec))));
  } else {
    key.reset(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", CurveFor(spec)->group));
  }
  if (key == nullptr) return internal::OpenSslError("key generation");
  return EncodePkcs8(key.get());
}

StatusOr<SecretBytes> EcPrivateKeyFromScalar(AsymSpec spec, ByteView scalar) {
  const CurveInfo* curve = CurveFor(spec);
  if (curve == nullptr) return InternalError("not an EC spec");
  while (!scalar.empty() && scalar.front() == 0) scalar = scalar.subspan(1);
  if (scalar.empty() || scalar.size() > curve->field_len) return ValidationError("EC scalar out of range");
  Bytes padded(curve->field_len - scalar.size(), 0);
  padded.insert(padded.end(), scalar.begin(), scalar.end());
  // ECPrivateKey { version 1, privateKey } (RFC 5915); OpenSSL computes the
  // public point when the optional publicKey field is absent.
  Bytes ec_key = {0x02, 0x01, 0x01};
  AppendTlv(ec_key, 0x04, padded);
  SecureWipe(padded.data(), padded.size());
  Bytes alg = {0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01};  // id-ecPublicKey
  alg.insert(alg.end(), curve->oid.begin(), curve->oid.end());
  Bytes ec_seq;
  AppendTlv(ec_seq, 0x30, ec_key);
  SecureWipe(ec_key.data(), ec_key.size());
  Bytes body = {0x02, 0x01, 0x00};
  AppendTlv(body, 0x30, alg);
  AppendTlv(body, 0x04, ec_seq);
  SecureWipe(ec_seq.data(), ec_seq.size());
  Bytes der;
  AppendTlv(der, 0x30, body);
  SecureWipe(body.data(), body.size());
  SecretBytes out(der);
  SecureWipe(der.data(), der.size());
  return out;
}

}  // namespace coffer::crypto

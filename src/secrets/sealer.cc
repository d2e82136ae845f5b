#include "secrets/sealer.h"

#include <openssl/crypto.h>

#include "common/encoding.h"
#include "crypto/crypto.h"
#include "secrets/errors.h"

namespace coffer::secrets {
namespace {

kms::EncryptionContext ContextFor(std::string_view arn, std::string_view version_id) {
  return {{"SecretARN", std::string(arn)}, {"SecretVersionId", std::string(version_id)}};
}

std::string Aad(std::string_view arn, std::string_view version_id) {
  return std::string(arn) + "\n" + std::string(version_id);
}

// KMS's own AccessDenied stays as it is (the caller lacks kms:* on the key);
// every other KMS refusal is the service's Encryption/DecryptionFailure.
Status KmsFailure(const Status& st, bool encrypting) {
  if (st.code() == ErrorCode::kAccessDenied) return st;
  if (encrypting) {
    return EncryptionFailure(
        "Secrets Manager can't encrypt the protected secret text using the provided KMS key. Check that the "
        "KMS key is available, enabled, and not in an invalid state. (" +
        std::string(WireName(st)) + ": " + st.message() + ")");
  }
  return DecryptionFailure(
      "Secrets Manager can't decrypt the protected secret text using the provided KMS key. (" +
      std::string(WireName(st)) + ": " + st.message() + ")");
}

}  // namespace

PlainValue::~PlainValue() { SecureWipe(bytes_.data(), bytes_.size()); }

bool PlainValue::SameAs(const PlainValue& other) const {
  if (binary_ != other.binary_ || bytes_.size() != other.bytes_.size()) return false;
  return CRYPTO_memcmp(bytes_.data(), other.bytes_.data(), bytes_.size()) == 0;
}

StatusOr<SealedValue> ValueSealer::Seal(const kms::ViaService& via, std::string_view key_id,
                                        std::string_view arn, std::string_view version_id,
                                        const PlainValue& value) {
  auto data_key = kms_.GenerateDataKey(via, key_id, ContextFor(arn, version_id));
  if (!data_key.ok()) return KmsFailure(data_key.status(), /*encrypting=*/true);
  Bytes iv(crypto::kGcmIvLen);
  RETURN_IF_ERROR(random_.Fill(iv));
  Bytes out(value.bytes().size() + crypto::kGcmTagLen);
  const std::string aad = Aad(arn, version_id);
  RETURN_IF_ERROR(crypto::AesGcmSeal(
      data_key->plaintext.view(), iv, AsBytes(aad), AsBytes(value.bytes()),
      std::span(out.data(), value.bytes().size()),
      std::span<std::uint8_t, crypto::kGcmTagLen>(out.data() + value.bytes().size(), crypto::kGcmTagLen)));
  SealedValue sealed;
  sealed.keys.push_back({data_key->key_arn, Base64Encode(data_key->ciphertext_blob)});
  sealed.iv = Base64Encode(iv);
  sealed.ciphertext = Base64Encode(out);
  sealed.binary = value.binary();
  return sealed;
}

StatusOr<SecretBytes> ValueSealer::UnwrapDataKey(const kms::ViaService& via, const SealedValue& sealed,
                                                 std::string_view arn, std::string_view version_id) {
  Status last = InternalError("a stored secret value has no data key");
  for (const WrappedKey& wrapped : sealed.keys) {
    std::optional<Bytes> blob = Base64Decode(wrapped.blob);
    if (!blob) return InternalError("a stored data key is malformed");
    auto key = kms_.Decrypt(via, *blob, ContextFor(arn, version_id), wrapped.key_arn);
    if (key.ok()) return key;
    last = key.status();
  }
  return KmsFailure(last, /*encrypting=*/false);
}

StatusOr<PlainValue> ValueSealer::Open(const kms::ViaService& via, const SealedValue& sealed,
                                       std::string_view arn, std::string_view version_id) {
  ASSIGN_OR_RETURN(SecretBytes key, UnwrapDataKey(via, sealed, arn, version_id));
  std::optional<Bytes> iv = Base64Decode(sealed.iv);
  std::optional<Bytes> ct = Base64Decode(sealed.ciphertext);
  if (!iv || !ct || ct->size() < crypto::kGcmTagLen)
    return InternalError("a stored secret value is malformed");
  const std::size_t n = ct->size() - crypto::kGcmTagLen;
  std::string plain(n, '\0');
  const std::string aad = Aad(arn, version_id);
  Status st = crypto::AesGcmOpen(key.view(), *iv, AsBytes(aad), ByteView(ct->data(), n),
                                 ByteView(ct->data() + n, crypto::kGcmTagLen),
                                 std::span(reinterpret_cast<std::uint8_t*>(plain.data()), n));
  if (!st.ok()) return DecryptionFailure("Secrets Manager can't decrypt the protected secret text.");
  return PlainValue(std::move(plain), sealed.binary);
}

Status ValueSealer::Rewrap(const kms::ViaService& via, SealedValue& sealed, std::string_view key_id,
                           std::string_view arn, std::string_view version_id) {
  ASSIGN_OR_RETURN(SecretBytes key, UnwrapDataKey(via, sealed, arn, version_id));
  auto blob = kms_.Encrypt(via, key_id, ContextFor(arn, version_id), key.view());
  if (!blob.ok()) return KmsFailure(blob.status(), /*encrypting=*/true);
  ASSIGN_OR_RETURN(std::string key_arn, kms_.DescribeKeyArn(via, key_id));
  std::erase_if(sealed.keys, [&](const WrappedKey& k) { return k.key_arn == key_arn; });
  sealed.keys.insert(sealed.keys.begin(), WrappedKey{key_arn, Base64Encode(*blob)});
  return Status::Ok();
}

}  // namespace coffer::secrets

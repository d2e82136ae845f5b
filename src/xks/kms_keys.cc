#include "xks/kms_keys.h"

#include "common/encoding.h"
#include "crypto/crypto.h"
#include "kms/service.h"

namespace coffer::xks {
namespace {

constexpr std::uint8_t kMetadataFormat = 1;
constexpr std::size_t kVersionPrefixBytes = 16;
constexpr std::string_view kInfo = "coffer xks proxy v1";

StatusOr<SecretBytes> DerivedKey(const SecretBytes& material, const kms::KeyRecord& record) {
  const std::string info = std::string(kInfo) + record.Arn();
  return crypto::HkdfSha256(material.view(), {}, AsBytes(info), 32);
}

Bytes MetadataFor(const kms::KeyVersion& version) {
  Bytes out{kMetadataFormat};
  const std::optional<Bytes> id = HexDecode(version.id);
  if (id && id->size() >= kVersionPrefixBytes)
    out.insert(out.end(), id->begin(), id->begin() + kVersionPrefixBytes);
  return out;
}

// The version a ciphertextMetadata names; kInvalidCiphertext for anything else.
StatusOr<const kms::KeyVersion*> VersionFor(const kms::KeyRecord& record, ByteView metadata) {
  if (metadata.size() != 1 + kVersionPrefixBytes || metadata[0] != kMetadataFormat) {
    return Status(ErrorCode::kInvalidCiphertext, "unknown ciphertextMetadata");
  }
  const std::string prefix = HexEncode(metadata.subspan(1));
  for (const auto& version : record.versions) {
    if (version.id.starts_with(prefix)) return &version;
  }
  return Status(ErrorCode::kInvalidCiphertext, "no key version matches the ciphertextMetadata");
}

}  // namespace

KmsKeyBackend::KmsKeyBackend(kms::KeyStore& keys, RandomSource& random, std::string region,
                             std::string account)
    : keys_(keys), random_(random), region_(std::move(region)), account_(std::move(account)) {}

StatusOr<KeyMetadata> KmsKeyBackend::Describe(std::string_view external_key_id) {
  ASSIGN_OR_RETURN(auto key, keys_.Load(region_, account_, external_key_id));
  const kms::KeyRecord& r = key->record;
  KeyMetadata out;
  if (r.key_spec == "SYMMETRIC_DEFAULT") {
    out.key_spec = "AES_256";
    out.key_usage = {"ENCRYPT", "DECRYPT"};
  } else {
    // Not usable through XKS: KMS refuses it (XksKeyInvalidConfigurationException).
    out.key_spec = r.key_spec;
    out.key_usage = {r.key_usage == "ENCRYPT_DECRYPT" ? "ENCRYPT" : "SIGN"};
  }
  out.key_status = kms::CheckUsableForCrypto(r).ok() ? "ENABLED" : "DISABLED";
  return out;
}

StatusOr<std::shared_ptr<const kms::LoadedKey>> KmsKeyBackend::UsableKey(std::string_view external_key_id) {
  ASSIGN_OR_RETURN(auto key, keys_.Load(region_, account_, external_key_id));
  RETURN_IF_ERROR(kms::CheckUsableForCrypto(key->record));
  if (key->record.key_spec != "SYMMETRIC_DEFAULT") {
    return Status(ErrorCode::kInvalidKeyUsage, "the key is not a symmetric encryption key");
  }
  return key;
}

StatusOr<EncryptResponse> KmsKeyBackend::Encrypt(std::string_view external_key_id,
                                                 const std::optional<Bytes>& aad, ByteView plaintext) {
  ASSIGN_OR_RETURN(auto key, UsableKey(external_key_id));
  const kms::KeyVersion& version = key->record.Current();
  const SecretBytes* material = key->Material(version.id);
  if (material == nullptr) return InternalError("key material missing");
  ASSIGN_OR_RETURN(SecretBytes aes_key, DerivedKey(*material, key->record));
  EncryptResponse out;
  out.ciphertext_metadata = MetadataFor(version);
  out.iv.resize(crypto::kGcmIvLen);
  RETURN_IF_ERROR(random_.Fill(out.iv));
  out.ciphertext.resize(plaintext.size());
  out.tag.resize(crypto::kGcmTagLen);
  const Bytes gcm_aad = GcmAad(aad, out.ciphertext_metadata);
  RETURN_IF_ERROR(
      crypto::AesGcmSeal(aes_key.view(), out.iv, gcm_aad, plaintext, out.ciphertext,
                         std::span<std::uint8_t, crypto::kGcmTagLen>(out.tag.data(), crypto::kGcmTagLen)));
  return out;
}

StatusOr<SecretBytes> KmsKeyBackend::Decrypt(std::string_view external_key_id,
                                             const DecryptRequest& request) {
  ASSIGN_OR_RETURN(auto key, UsableKey(external_key_id));
  ASSIGN_OR_RETURN(const kms::KeyVersion* version, VersionFor(key->record, request.ciphertext_metadata));
  const SecretBytes* material = key->Material(version->id);
  if (material == nullptr) return Status(ErrorCode::kInvalidCiphertext, "key version not available");
  ASSIGN_OR_RETURN(SecretBytes aes_key, DerivedKey(*material, key->record));
  SecretBytes plaintext(request.ciphertext.size());
  const Bytes gcm_aad = GcmAad(request.aad, request.ciphertext_metadata);
  RETURN_IF_ERROR(crypto::AesGcmOpen(aes_key.view(), request.iv, gcm_aad, request.ciphertext, request.tag,
                                     plaintext.mutable_view()));
  return plaintext;
}

// Deep check: the store answers, and AES-GCM round-trips under a throwaway key.
StatusOr<HealthStatus> KmsKeyBackend::Health() {
  ASSIGN_OR_RETURN(kms::KeyPage page, keys_.ListKeys(region_, account_, "", 1));
  (void)page;
  ASSIGN_OR_RETURN(SecretBytes key, crypto::RandomSecret(random_, 32));
  Bytes iv(crypto::kGcmIvLen);
  RETURN_IF_ERROR(random_.Fill(iv));
  const Bytes probe = ToBytes("coffer xks health");
  Bytes sealed(probe.size());
  std::array<std::uint8_t, crypto::kGcmTagLen> tag{};
  RETURN_IF_ERROR(crypto::AesGcmSeal(key.view(), iv, {}, probe, sealed, tag));
  Bytes opened(probe.size());
  RETURN_IF_ERROR(crypto::AesGcmOpen(key.view(), iv, {}, sealed, tag, opened));
  if (opened != probe) return InternalError("AES-GCM health probe failed");
  HealthStatus out;
  out.proxy_vendor = "Coffer";
  out.proxy_model = "Coffer XKS proxy (KMS keys)";
  out.ekm_vendor = "Coffer";
  out.ekm_fleet = {{"coffer-kms-" + account_, "Coffer KMS key store", "ACTIVE"}};
  return out;
}

}  // namespace coffer::xks

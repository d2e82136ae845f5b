// Raw AES keyring (framework/raw-aes-keyring.md): AES-GCM wrapping with the
// serialized encryption context as AAD; the provider info carries the key
// name, the tag and IV lengths, and the IV.
#include "common/cursor.h"
#include "crypto/crypto.h"
#include "envelope/keyring_util.h"
#include "envelope/wire.h"

namespace coffer::envelope {
namespace {

constexpr std::uint32_t kTagBits = kTagLen * 8;

class RawAesKeyring final : public Keyring {
 public:
  RawAesKeyring(std::string key_namespace, std::string key_name, SecretBytes key)
      : namespace_(std::move(key_namespace)), name_(std::move(key_name)), key_(std::move(key)) {}

  Status OnEncrypt(EncryptionMaterials& materials) override;
  Status OnDecrypt(DecryptionMaterials& materials, const std::vector<EncryptedDataKey>& edks) override;

 private:
  // The IV, when the provider info names this key with the expected lengths.
  bool ParseProviderInfo(ByteView info, ByteView* out_iv) const;

  std::string namespace_;
  std::string name_;
  SecretBytes key_;
};

Status RawAesKeyring::OnEncrypt(EncryptionMaterials& materials) {
  RETURN_IF_ERROR(EnsureDataKey(materials));
  ASSIGN_OR_RETURN(Bytes aad, SerializeContext(materials.context));
  Bytes iv(kIvLen);
  crypto::OsRandom random;
  RETURN_IF_ERROR(random.Fill(iv));
  const std::size_t len = materials.plaintext_data_key.size();
  EncryptedDataKey edk{namespace_, {}, Bytes(len + kTagLen)};
  std::span<std::uint8_t> out(edk.ciphertext);
  RETURN_IF_ERROR(crypto::AesGcmSeal(key_.view(), iv, aad, materials.plaintext_data_key.view(),
                                     out.first(len), out.subspan(len).first<kTagLen>()));
  AppendBytes(edk.provider_info, AsBytes(name_));
  AppendU32(edk.provider_info, kTagBits);
  AppendU32(edk.provider_info, kIvLen);
  AppendBytes(edk.provider_info, iv);
  materials.encrypted_data_keys.push_back(std::move(edk));
  return Status::Ok();
}

bool RawAesKeyring::ParseProviderInfo(ByteView info, ByteView* out_iv) const {
  Cursor cursor(info);
  ByteView name;
  std::uint32_t tag_bits = 0, iv_len = 0;
  return cursor.ReadBytes(name_.size(), &name) && AsChars(name) == name_ && cursor.ReadU32(&tag_bits) &&
         tag_bits == kTagBits && cursor.ReadU32(&iv_len) && iv_len == kIvLen &&
         cursor.ReadBytes(kIvLen, out_iv) && cursor.remaining() == 0;
}

Status RawAesKeyring::OnDecrypt(DecryptionMaterials& materials, const std::vector<EncryptedDataKey>& edks) {
  if (!materials.plaintext_data_key.empty()) return KeyAlreadySet();
  const std::size_t key_len = GetSuite(materials.suite).key_len;
  ASSIGN_OR_RETURN(Bytes aad, SerializeContext(materials.context));
  for (const EncryptedDataKey& edk : edks) {
    ByteView iv;
    if (edk.provider_id != namespace_ || !ParseProviderInfo(edk.provider_info, &iv) ||
        edk.ciphertext.size() != key_len + kTagLen) {
      continue;
    }
    SecretBytes data_key(key_len);
    const ByteView ct(edk.ciphertext);
    if (crypto::AesGcmOpen(key_.view(), iv, aad, ct.first(key_len), ct.subspan(key_len),
                           data_key.mutable_view())
            .ok()) {
      materials.plaintext_data_key = std::move(data_key);
      return Status::Ok();
    }
  }
  return NoMatchingKey("raw AES keyring");
}

}  // namespace

Status EnsureDataKey(EncryptionMaterials& materials) {
  if (!materials.plaintext_data_key.empty()) return Status::Ok();
  crypto::OsRandom random;
  ASSIGN_OR_RETURN(materials.plaintext_data_key,
                   crypto::RandomSecret(random, GetSuite(materials.suite).key_len));
  return Status::Ok();
}

StatusOr<std::unique_ptr<Keyring>> NewRawAesKeyring(std::string key_namespace, std::string key_name,
                                                    SecretBytes wrapping_key) {
  if (wrapping_key.size() != 16 && wrapping_key.size() != 24 && wrapping_key.size() != 32) {
    return ValidationError("raw AES wrapping key must be 16, 24 or 32 bytes");
  }
  if (key_namespace.rfind("aws-kms", 0) == 0) {
    return ValidationError("raw AES key namespace must not start with aws-kms");
  }
  return std::unique_ptr<Keyring>(
      new RawAesKeyring(std::move(key_namespace), std::move(key_name), std::move(wrapping_key)));
}

}  // namespace coffer::envelope

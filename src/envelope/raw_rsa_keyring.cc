// Raw RSA keyring (framework/raw-rsa-keyring.md): the data key encrypted with
// RSA under the configured padding; provider info is the key name.
#include "crypto/primitives.h"
#include "envelope/keyring_util.h"

namespace coffer::envelope {
namespace {

class RawRsaKeyring final : public Keyring {
 public:
  RawRsaKeyring(std::string key_namespace, std::string key_name, std::unique_ptr<crypto::RsaKey> key,
                crypto::RsaPadding padding)
      : namespace_(std::move(key_namespace)),
        name_(std::move(key_name)),
        key_(std::move(key)),
        padding_(padding) {}

  Status OnEncrypt(EncryptionMaterials& materials) override {
    RETURN_IF_ERROR(EnsureDataKey(materials));
    ASSIGN_OR_RETURN(Bytes ciphertext, key_->Encrypt(padding_, materials.plaintext_data_key.view()));
    materials.encrypted_data_keys.push_back({namespace_, ToBytes(name_), std::move(ciphertext)});
    return Status::Ok();
  }

  Status OnDecrypt(DecryptionMaterials& materials, const std::vector<EncryptedDataKey>& edks) override {
    if (!materials.plaintext_data_key.empty()) return KeyAlreadySet();
    if (!key_->has_private_key()) return NoMatchingKey("raw RSA keyring (public key only)");
    const std::size_t key_len = GetSuite(materials.suite).key_len;
    for (const EncryptedDataKey& edk : edks) {
      if (edk.provider_id != namespace_ || AsChars(edk.provider_info) != name_) continue;
      auto data_key = key_->Decrypt(padding_, edk.ciphertext);
      if (data_key.ok() && data_key->size() == key_len) {
        materials.plaintext_data_key = std::move(data_key).value();
        return Status::Ok();
      }
    }
    return NoMatchingKey("raw RSA keyring");
  }

 private:
  std::string namespace_;
  std::string name_;
  std::unique_ptr<crypto::RsaKey> key_;
  crypto::RsaPadding padding_;
};

}  // namespace

StatusOr<std::unique_ptr<Keyring>> NewRawRsaKeyring(std::string key_namespace, std::string key_name,
                                                    std::string_view pem, RsaPaddingScheme padding) {
  if (key_namespace.rfind("aws-kms", 0) == 0) {
    return ValidationError("raw RSA key namespace must not start with aws-kms");
  }
  ASSIGN_OR_RETURN(auto key, crypto::RsaKey::FromPem(pem));
  // The two enums list the same schemes in the same order.
  const auto rsa_padding = static_cast<crypto::RsaPadding>(static_cast<std::uint8_t>(padding));
  return std::unique_ptr<Keyring>(
      new RawRsaKeyring(std::move(key_namespace), std::move(key_name), std::move(key), rsa_padding));
}

}  // namespace coffer::envelope

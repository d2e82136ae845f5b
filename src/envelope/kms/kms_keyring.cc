// KMS keyrings (framework/aws-kms/aws-kms-keyring.md and
// aws-kms-discovery-keyring.md): provider id "aws-kms", provider info = the
// key ARN KMS answered with, the EDK ciphertext = the KMS ciphertext blob.
#include <algorithm>

#include "coffer/kms_client.h"
#include "envelope/keyring_util.h"
#include "envelope/kms/endpoint.h"

namespace coffer::envelope {
namespace {

constexpr std::string_view kProviderId = "aws-kms";

// The answer's KeyId must be a key ARN (it becomes the provider info).
Status CheckAnsweredArn(const std::string& key_id) {
  auto arn = ParseKmsArn(key_id);
  if (!arn || arn->resource_type != "key")
    return InternalError("KMS answered with a KeyId that is not a key ARN");
  return Status::Ok();
}

EncryptedDataKey ToEdk(const KmsDataKey& key) {
  return {std::string(kProviderId), Bytes(key.key_id.begin(), key.key_id.end()), key.ciphertext};
}

// Tries `key_id` on one EDK; sets the data key on success.
Status DecryptEdk(KmsClient& client, const std::string& key_id, const EncryptedDataKey& edk,
                  DecryptionMaterials& materials) {
  ASSIGN_OR_RETURN(KmsDecrypted decrypted, client.Decrypt(key_id, edk.ciphertext, materials.context));
  if (decrypted.key_id != key_id) return Status(ErrorCode::kIncorrectKey, "KMS decrypted with another key");
  if (decrypted.plaintext.size() != GetSuite(materials.suite).key_len) {
    return Status(ErrorCode::kInvalidCiphertext, "KMS returned a data key of the wrong length");
  }
  materials.plaintext_data_key = std::move(decrypted.plaintext);
  return Status::Ok();
}

// The first EDK `accept` names a key for that decrypts; the last error otherwise.
template <typename Accept>
Status DecryptFirst(KmsClient& client, DecryptionMaterials& materials,
                    const std::vector<EncryptedDataKey>& edks, Accept accept, const char* keyring) {
  if (!materials.plaintext_data_key.empty()) return KeyAlreadySet();
  Status last = NoMatchingKey(keyring);
  for (const EncryptedDataKey& edk : edks) {
    if (edk.provider_id != kProviderId) continue;
    const std::string info(AsChars(edk.provider_info));
    auto arn = ParseKmsArn(info);
    if (!arn || arn->resource_type != "key" || !accept(info, *arn)) continue;
    Status status = DecryptEdk(client, info, edk, materials);
    if (status.ok()) return status;
    last = Status(status.code(), std::string(keyring) + ": " + status.message());
  }
  return last;
}

class KmsKeyring final : public Keyring {
 public:
  KmsKeyring(std::shared_ptr<KmsClient> client, std::vector<std::string> key_ids)
      : client_(std::move(client)), key_ids_(std::move(key_ids)) {}

  Status OnEncrypt(EncryptionMaterials& materials) override {
    auto first = key_ids_.begin();
    if (materials.plaintext_data_key.empty()) {
      const std::size_t len = GetSuite(materials.suite).key_len;
      ASSIGN_OR_RETURN(KmsDataKey key, client_->GenerateDataKey(*first++, len, materials.context));
      RETURN_IF_ERROR(CheckAnsweredArn(key.key_id));
      if (key.plaintext.size() != len) return InternalError("KMS generated a data key of the wrong length");
      materials.encrypted_data_keys.push_back(ToEdk(key));
      materials.plaintext_data_key = std::move(key.plaintext);
    }
    for (auto it = first; it != key_ids_.end(); ++it) {
      ASSIGN_OR_RETURN(KmsDataKey key,
                       client_->Encrypt(*it, materials.plaintext_data_key.view(), materials.context));
      RETURN_IF_ERROR(CheckAnsweredArn(key.key_id));
      materials.encrypted_data_keys.push_back(ToEdk(key));
    }
    return Status::Ok();
  }

  Status OnDecrypt(DecryptionMaterials& materials, const std::vector<EncryptedDataKey>& edks) override {
    auto accept = [this](const std::string& info, const KmsArn&) {
      return std::find(key_ids_.begin(), key_ids_.end(), info) != key_ids_.end();
    };
    return DecryptFirst(*client_, materials, edks, accept, "KMS keyring");
  }

 private:
  std::shared_ptr<KmsClient> client_;
  std::vector<std::string> key_ids_;
};

class KmsDiscoveryKeyring final : public Keyring {
 public:
  KmsDiscoveryKeyring(std::shared_ptr<KmsClient> client, std::optional<DiscoveryFilter> filter)
      : client_(std::move(client)), filter_(std::move(filter)) {}

  Status OnEncrypt(EncryptionMaterials&) override {
    return ValidationError("a KMS discovery keyring cannot encrypt");
  }

  Status OnDecrypt(DecryptionMaterials& materials, const std::vector<EncryptedDataKey>& edks) override {
    auto accept = [this](const std::string&, const KmsArn& arn) {
      if (!filter_) return true;
      const auto& accounts = filter_->account_ids;
      return arn.partition == filter_->partition &&
             (accounts.empty() || std::find(accounts.begin(), accounts.end(), arn.account) != accounts.end());
    };
    return DecryptFirst(*client_, materials, edks, accept, "KMS discovery keyring");
  }

 private:
  std::shared_ptr<KmsClient> client_;
  std::optional<DiscoveryFilter> filter_;
};

}  // namespace

StatusOr<std::unique_ptr<Keyring>> NewKmsKeyring(std::shared_ptr<KmsClient> client,
                                                 std::vector<std::string> key_ids) {
  if (client == nullptr) return ValidationError("KMS keyring needs a KMS client");
  if (key_ids.empty()) return ValidationError("KMS keyring needs at least one key id");
  for (const std::string& id : key_ids) {
    if (id.empty()) return ValidationError("KMS keyring key id must not be empty");
  }
  return std::unique_ptr<Keyring>(new KmsKeyring(std::move(client), std::move(key_ids)));
}

StatusOr<std::unique_ptr<Keyring>> NewKmsDiscoveryKeyring(std::shared_ptr<KmsClient> client,
                                                          std::optional<DiscoveryFilter> filter) {
  if (client == nullptr) return ValidationError("KMS discovery keyring needs a KMS client");
  if (filter && filter->partition.empty()) return ValidationError("discovery filter needs a partition");
  if (filter && filter->account_ids.empty())
    return ValidationError("discovery filter needs at least one account id");
  return std::unique_ptr<Keyring>(new KmsDiscoveryKeyring(std::move(client), std::move(filter)));
}

}  // namespace coffer::envelope

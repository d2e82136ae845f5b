// Multi-keyring: the generator makes the data key, every child wraps it too;
// on decrypt the first keyring that recovers the data key wins.
#include "envelope/keyring_util.h"

namespace coffer::envelope {
namespace {

class MultiKeyring final : public Keyring {
 public:
  MultiKeyring(std::shared_ptr<Keyring> generator, std::vector<std::shared_ptr<Keyring>> children)
      : generator_(std::move(generator)), children_(std::move(children)) {}

  Status OnEncrypt(EncryptionMaterials& materials) override {
    if (generator_ == nullptr && materials.plaintext_data_key.empty()) {
      return ValidationError("multi-keyring without a generator cannot create a data key");
    }
    if (generator_ != nullptr) RETURN_IF_ERROR(generator_->OnEncrypt(materials));
    for (const auto& child : children_) RETURN_IF_ERROR(child->OnEncrypt(materials));
    return Status::Ok();
  }

  Status OnDecrypt(DecryptionMaterials& materials, const std::vector<EncryptedDataKey>& edks) override {
    if (!materials.plaintext_data_key.empty()) return KeyAlreadySet();
    if (generator_ != nullptr && generator_->OnDecrypt(materials, edks).ok()) return Status::Ok();
    for (const auto& child : children_) {
      if (child->OnDecrypt(materials, edks).ok()) return Status::Ok();
    }
    return NoMatchingKey("multi-keyring");
  }

 private:
  std::shared_ptr<Keyring> generator_;
  std::vector<std::shared_ptr<Keyring>> children_;
};

}  // namespace

StatusOr<std::unique_ptr<Keyring>> NewMultiKeyring(std::shared_ptr<Keyring> generator,
                                                   std::vector<std::shared_ptr<Keyring>> children) {
  if (generator == nullptr && children.empty())
    return ValidationError("multi-keyring needs at least one keyring");
  for (const auto& child : children) {
    if (child == nullptr) return ValidationError("multi-keyring child is null");
  }
  return std::unique_ptr<Keyring>(new MultiKeyring(std::move(generator), std::move(children)));
}

}  // namespace coffer::envelope

// The default CMM (framework/default-cmm.md): a fresh signing key for signed
// suites, its compressed public key in the context, then the keyring.
#include "common/encoding.h"
#include "crypto/primitives.h"
#include "envelope/suite.h"

namespace coffer::envelope {
namespace {

class DefaultCmm final : public CryptoMaterialsManager {
 public:
  DefaultCmm(Keyring& keyring, std::shared_ptr<Keyring> owned)
      : keyring_(keyring), owned_(std::move(owned)) {}

  StatusOr<EncryptionMaterials> GetEncryptionMaterials(const EncryptionMaterialsRequest& request) override {
    EncryptionMaterials materials{request.suite, request.context, {}, {}, nullptr};
    const SuiteInfo& suite = GetSuite(request.suite);
    if (suite.signature_curve) {
      ASSIGN_OR_RETURN(std::unique_ptr<crypto::EcdsaSigner> signer,
                       crypto::EcdsaSigner::Generate(*suite.signature_curve));
      materials.context.insert_or_assign(std::string(kPublicKeyContextKey),
                                         Base64Encode(signer->CompressedPublicKey()));
      materials.signing_key = std::move(signer);
    }
    RETURN_IF_ERROR(keyring_.OnEncrypt(materials));
    return materials;
  }

  StatusOr<DecryptionMaterials> DecryptMaterials(const DecryptMaterialsRequest& request) override {
    DecryptionMaterials materials{request.suite, request.context, {}};
    RETURN_IF_ERROR(keyring_.OnDecrypt(materials, request.encrypted_data_keys));
    return materials;
  }

 private:
  Keyring& keyring_;
  std::shared_ptr<Keyring> owned_;
};

}  // namespace

std::unique_ptr<CryptoMaterialsManager> NewDefaultCmm(Keyring& keyring) {
  return std::make_unique<DefaultCmm>(keyring, nullptr);
}

std::unique_ptr<CryptoMaterialsManager> NewDefaultCmm(std::shared_ptr<Keyring> keyring) {
  Keyring& ref = *keyring;
  return std::make_unique<DefaultCmm>(ref, std::move(keyring));
}

}  // namespace coffer::envelope

// The table of KMS operations this server implements: the router joins it with
// the service model, so an operation is dispatched only through this table.
#include "kms/ops/ops.h"

namespace coffer::kms {

const std::vector<Operation>& Operations() {
  static const std::vector<Operation> kTable = {
      {"CancelKeyDeletion", &ops::CancelKeyDeletion},
      {"ConnectCustomKeyStore", &ops::ConnectCustomKeyStore},
      {"CreateAlias", &ops::CreateAlias},
      {"CreateCustomKeyStore", &ops::CreateCustomKeyStore},
      {"CreateGrant", &ops::CreateGrant},
      {"CreateKey", &ops::CreateKey},
      {"Decrypt", nullptr, &ops::Decrypt},
      {"DeleteAlias", &ops::DeleteAlias},
      {"DeleteCustomKeyStore", &ops::DeleteCustomKeyStore},
      {"DeleteImportedKeyMaterial", &ops::DeleteImportedKeyMaterial},
      {"DeriveSharedSecret", &ops::DeriveSharedSecret},
      {"DescribeCustomKeyStores", &ops::DescribeCustomKeyStores},
      {"DescribeKey", &ops::DescribeKey},
      {"DisableKey", &ops::DisableKey},
      {"DisableKeyRotation", &ops::DisableKeyRotation},
      {"DisconnectCustomKeyStore", &ops::DisconnectCustomKeyStore},
      {"EnableKey", &ops::EnableKey},
      {"EnableKeyRotation", &ops::EnableKeyRotation},
      {"Encrypt", nullptr, &ops::Encrypt},
      {"GenerateDataKey", nullptr, &ops::GenerateDataKey},
      {"GenerateDataKeyPair", &ops::GenerateDataKeyPair},
      {"GenerateDataKeyPairWithoutPlaintext", &ops::GenerateDataKeyPairWithoutPlaintext},
      {"GenerateDataKeyWithoutPlaintext", nullptr, &ops::GenerateDataKeyWithoutPlaintext},
      {"GenerateMac", &ops::GenerateMac},
      {"GenerateRandom", &ops::GenerateRandom},
      {"GetKeyLastUsage", &ops::GetKeyLastUsage},
      {"GetKeyPolicy", &ops::GetKeyPolicy},
      {"GetKeyRotationStatus", &ops::GetKeyRotationStatus},
      {"GetParametersForImport", &ops::GetParametersForImport},
      {"GetPublicKey", &ops::GetPublicKey},
      {"ImportKeyMaterial", &ops::ImportKeyMaterial},
      {"ListAliases", &ops::ListAliases},
      {"ListGrants", &ops::ListGrants},
      {"ListKeyPolicies", &ops::ListKeyPolicies},
      {"ListKeyRotations", &ops::ListKeyRotations},
      {"ListKeys", &ops::ListKeys},
      {"ListResourceTags", &ops::ListResourceTags},
      {"ListRetirableGrants", &ops::ListRetirableGrants},
      {"PutKeyPolicy", &ops::PutKeyPolicy},
      {"ReEncrypt", &ops::ReEncrypt},
      {"RetireGrant", &ops::RetireGrant},
      {"RevokeGrant", &ops::RevokeGrant},
      {"RotateKeyOnDemand", &ops::RotateKeyOnDemand},
      {"ScheduleKeyDeletion", &ops::ScheduleKeyDeletion},
      {"Sign", nullptr, &ops::Sign},
      {"TagResource", &ops::TagResource},
      {"UntagResource", &ops::UntagResource},
      {"UpdateAlias", &ops::UpdateAlias},
      {"UpdateCustomKeyStore", &ops::UpdateCustomKeyStore},
      {"UpdateKeyDescription", &ops::UpdateKeyDescription},
      {"Verify", nullptr, &ops::Verify},
      {"VerifyMac", &ops::VerifyMac},
  };
  return kTable;
}

}  // namespace coffer::kms

// One function per KMS operation: decode the validated request, check what
// the model cannot express, execute, encode the response.
#pragma once

#include "kms/custom_key_store.h"
#include "kms/service.h"

namespace coffer::kms::ops {

#define COFFER_KMS_OP(name) StatusOr<Json> name(KmsService& kms, const RequestContext& ctx, const Json& req)
// The hot-path operations read the request where the server parsed it.
#define COFFER_KMS_VIEW_OP(name) \
  StatusOr<std::string> name(KmsService& kms, const RequestContext& ctx, JsonView req)

// keys.cc
COFFER_KMS_OP(CreateKey);
COFFER_KMS_OP(DescribeKey);
COFFER_KMS_OP(ListKeys);
COFFER_KMS_OP(EnableKey);
COFFER_KMS_OP(DisableKey);
COFFER_KMS_OP(UpdateKeyDescription);
COFFER_KMS_OP(ScheduleKeyDeletion);
COFFER_KMS_OP(CancelKeyDeletion);
// crypto.cc
COFFER_KMS_VIEW_OP(Encrypt);
COFFER_KMS_VIEW_OP(Decrypt);
COFFER_KMS_OP(ReEncrypt);
COFFER_KMS_VIEW_OP(GenerateDataKey);
COFFER_KMS_VIEW_OP(GenerateDataKeyWithoutPlaintext);
COFFER_KMS_OP(GenerateRandom);
// aliases.cc
COFFER_KMS_OP(CreateAlias);
COFFER_KMS_OP(UpdateAlias);
COFFER_KMS_OP(DeleteAlias);
COFFER_KMS_OP(ListAliases);
// tags.cc
COFFER_KMS_OP(TagResource);
COFFER_KMS_OP(UntagResource);
COFFER_KMS_OP(ListResourceTags);
// rotation.cc
COFFER_KMS_OP(EnableKeyRotation);
COFFER_KMS_OP(DisableKeyRotation);
COFFER_KMS_OP(GetKeyRotationStatus);
COFFER_KMS_OP(RotateKeyOnDemand);
// key_usage.cc
COFFER_KMS_OP(GetKeyLastUsage);
COFFER_KMS_OP(ListKeyRotations);
// policy.cc
COFFER_KMS_OP(GetKeyPolicy);
COFFER_KMS_OP(PutKeyPolicy);
COFFER_KMS_OP(ListKeyPolicies);
// grants.cc
COFFER_KMS_OP(CreateGrant);
COFFER_KMS_OP(ListGrants);
COFFER_KMS_OP(ListRetirableGrants);
COFFER_KMS_OP(RetireGrant);
COFFER_KMS_OP(RevokeGrant);

// signing.cc
COFFER_KMS_VIEW_OP(Sign);
COFFER_KMS_VIEW_OP(Verify);
COFFER_KMS_OP(GetPublicKey);
// mac.cc
COFFER_KMS_OP(GenerateMac);
COFFER_KMS_OP(VerifyMac);
// key_pairs.cc
COFFER_KMS_OP(GenerateDataKeyPair);
COFFER_KMS_OP(GenerateDataKeyPairWithoutPlaintext);
COFFER_KMS_OP(DeriveSharedSecret);
// import.cc
COFFER_KMS_OP(GetParametersForImport);
COFFER_KMS_OP(ImportKeyMaterial);
COFFER_KMS_OP(DeleteImportedKeyMaterial);

// custom_key_stores.cc
COFFER_KMS_OP(CreateCustomKeyStore);
COFFER_KMS_OP(DescribeCustomKeyStores);
COFFER_KMS_OP(UpdateCustomKeyStore);
COFFER_KMS_OP(DeleteCustomKeyStore);
COFFER_KMS_OP(ConnectCustomKeyStore);
COFFER_KMS_OP(DisconnectCustomKeyStore);

#undef COFFER_KMS_OP

// Keys in custom key stores (custom_key_stores.cc).
// Whether a CreateKey request asks for a key in a custom key store.
bool WantsCustomKeyStore(const Json& req);
// CreateKey's custom key store path: checks and the backend's material.
StatusOr<KeyRecord> CreateKeyInCustomKeyStore(KmsService& kms, const RequestContext& ctx, const Json& req,
                                              KeyRecord draft);
// DescribeKey's CloudHsmClusterId for a key in an AWS_CLOUDHSM store.
void AddCustomKeyStoreMetadata(KmsService& kms, const KeyRecord& key, Json& metadata);
// GenerateRandom with a CustomKeyStoreId: random bytes from the store's token.
StatusOr<SecretBytes> GenerateRandomInCustomKeyStore(KmsService& kms, const RequestContext& ctx,
                                                     const std::string& store_id, std::size_t n);
// What a backend call is made for: caller, key, operation, request id.
KeyStoreCall CallFor(const RequestContext& ctx, const KeyRecord& key);

// Shared by CreateKey and PutKeyPolicy.
Status CheckPolicyDocument(const std::string& policy);
// AWS's policy lockout safety check: under `policy` the caller must still be
// allowed kms:PutKeyPolicy on `key`, unless BypassPolicyLockoutSafetyCheck.
Status CheckLockout(KmsService& kms, const RequestContext& ctx, const KeyRecord& key,
                    const std::string& policy, const Json& req);

}  // namespace coffer::kms::ops

// KmsService: the KMS operations over a KeyStore. It never sees HTTP; the
// server hands it the caller, the region and a request body that already
// passed model validation, and gets back a response body or an error.
#pragma once

#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.h"
#include "common/json_view.h"
#include "common/random.h"
#include "kms/arn.h"
#include "kms/ciphertext.h"
#include "kms/key_store.h"
#include "policy/identity_source.h"

namespace coffer::kms {

using Json = nlohmann::json;

struct RequestContext {
  std::string account;        // caller's account id
  std::string region;         // from the SigV4 scope
  std::string principal_arn;  // caller
  std::string action;         // "kms:<Operation>", for AWS-shaped denials
  policy::CallerInfo who{};   // the caller as authorization sees it (router)
  JsonView request{};         // the validated body, for condition keys (absent: none)
  // kms:ViaService ("secretsmanager.us-east-1.amazonaws.com") when another
  // service of this server calls KMS for the caller (kms/service_client.h).
  std::string via_service{};
  std::string request_id{};  // x-amzn-RequestId (custom key store backends pass it on)
};

class Authorizer;
class GrantStore;
class KeyUsageSource;
class CustomKeyStores;

class KmsService;
using OperationFn = StatusOr<Json> (*)(KmsService& kms, const RequestContext& ctx, const Json& request);
// Operations on the hot path read the request where it was parsed (the
// server's simdjson document) instead of an nlohmann copy, and write their
// response straight to compact JSON text.
using ViewOperationFn = StatusOr<std::string> (*)(KmsService& kms, const RequestContext& ctx,
                                                  JsonView request);

// Exactly one of fn and view_fn is set.
struct Operation {
  std::string_view name;  // e.g. "Encrypt"
  OperationFn fn = nullptr;
  ViewOperationFn view_fn = nullptr;
};

// Every KMS operation this server implements.
const std::vector<Operation>& Operations();

// Which key references an operation accepts (AWS differs per operation).
enum class KeyRefs { kIdOrArn, kAnyIncludingAlias };

class KmsService {
 public:
  KmsService(KeyStore& keys, RandomSource& random, const Clock& clock);

  KeyStore& keys() { return keys_; }
  RandomSource& random() { return random_; }
  const Clock& clock() const { return clock_; }
  std::int64_t NowMs() const { return ToEpochMillis(clock_.Now()); }

  // Finds the key a KeyId member names, in the caller's account and region.
  // AWS managed aliases (alias/aws/<service>) create their key on first use.
  StatusOr<std::shared_ptr<const LoadedKey>> Resolve(const RequestContext& ctx, std::string_view key_id,
                                                     KeyRefs accepted);
  // For writes: the key id a KeyId member names (key id or key ARN only).
  StatusOr<std::string> ResolveIdForWrite(const RequestContext& ctx, std::string_view key_id);
  // The same as a view into `key_id`.
  StatusOr<std::string_view> ResolveId(const RequestContext& ctx, std::string_view key_id);
  // ResolveIdForWrite, load, and authorize ctx.action on the key.
  StatusOr<std::shared_ptr<const LoadedKey>> LoadForCaller(const RequestContext& ctx,
                                                           std::string_view key_id);

  // Authorization (issue 4). Without an authorizer (unit tests of the key
  // operations) every principal of the key's account is allowed.
  void SetAuthorizer(Authorizer* authorizer) { authorizer_ = authorizer; }
  Authorizer* authorizer() { return authorizer_; }
  void SetGrants(GrantStore* grants) { grants_ = grants; }
  GrantStore* grants() { return grants_; }
  // GetKeyLastUsage's source (the audit trail); without one it is unsupported.
  void SetKeyUsage(KeyUsageSource* usage) { usage_ = usage; }
  KeyUsageSource* key_usage() { return usage_; }
  // Custom key stores (AWS_CLOUDHSM, EXTERNAL_KEY_STORE); without them the
  // operations and CustomKeyStoreId answer UnsupportedOperationException.
  void SetCustomKeyStores(CustomKeyStores* stores) { custom_key_stores_ = stores; }
  CustomKeyStores* custom_key_stores() { return custom_key_stores_; }
  Status AuthorizeKey(const RequestContext& ctx, const KeyRecord& key);
  Status AuthorizeAccount(const RequestContext& ctx);

  // Background work: deletes keys whose waiting period ended, deletes imported
  // material whose ValidTo passed and rotates keys whose rotation is due.
  // Returns how many keys it changed.
  StatusOr<int> RunSweeper();
  // Told about each background action once it is durable ("DeleteKey",
  // "RotateKey"), for the audit trail's AWS Service Events.
  using SweepListener = std::function<void(std::string_view event_name, const KeyRecord& record)>;
  void SetSweepListener(SweepListener listener) { sweep_listener_ = std::move(listener); }

  // Creates and stores a new key record of the draft's KeySpec, with its first
  // material unless its origin is EXTERNAL (then PendingImport, no material).
  // `prepare` (keys of a custom key store) runs once the draft has its id and
  // may add the first version itself.
  StatusOr<KeyRecord> CreateSymmetricKey(const RequestContext& ctx, KeyRecord draft,
                                         const std::function<Status(KeyRecord&)>& prepare = {});
  // CreateSymmetricKey without the write: the complete record (id, default
  // policy, first material), for callers storing many in one transaction.
  StatusOr<KeyRecord> DraftSymmetricKey(const RequestContext& ctx, KeyRecord draft,
                                        const std::function<Status(KeyRecord&)>& prepare = {});

 private:
  // A fresh key id, the caller's account and region, and the creation time.
  Status Identify(const RequestContext& ctx, KeyRecord& draft);
  Status AddFirstMaterial(KeyRecord& draft);
  StatusOr<std::string> CreateAwsManagedKey(const RequestContext& ctx, std::string_view alias_name);
  struct SweepBatch {
    int changed = 0;
    std::size_t visited = 0;
  };
  // One write transaction of RunSweeper: up to `limit` keys with work due.
  StatusOr<SweepBatch> SweepOnce(std::int64_t now, std::size_t limit);

  StatusOr<std::shared_ptr<const LoadedKey>> LoadOtherAccount(const RequestContext& ctx, const KeyRef& ref);

  KeyStore& keys_;
  RandomSource& random_;
  const Clock& clock_;
  Authorizer* authorizer_ = nullptr;
  GrantStore* grants_ = nullptr;
  KeyUsageSource* usage_ = nullptr;
  CustomKeyStores* custom_key_stores_ = nullptr;
  SweepListener sweep_listener_;
};

// ---- helpers shared by the operation files ----

// DescribeKey's KeyMetadata for a record.
Json KeyMetadata(const KeyRecord& record);
// AWS's default key policy giving the account root kms:*.
std::string DefaultKeyPolicy(std::string_view account);
// Gate for cryptographic operations: Enabled only, AWS's errors otherwise.
Status CheckUsableForCrypto(const KeyRecord& record);
// Gate for management operations that PendingDeletion keys refuse.
Status CheckNotPendingDeletion(const KeyRecord& record);
// AWS's AccessDeniedException for the caller, action and resource.
Status AccessDeniedFor(const RequestContext& ctx, std::string_view resource);
// Rejects changes to AWS managed keys, as their key policy does on AWS.
Status CheckCustomerManaged(const KeyRecord& record, const RequestContext& ctx);
// Reads an optional EncryptionContext member (already type-checked).
EncryptionContext ReadContext(JsonView request, std::string_view member);
// Decodes a blob member (already validated as base64).
StatusOr<Bytes> ReadBlob(JsonView request, std::string_view member);
// The EncryptionAlgorithm member must be SYMMETRIC_DEFAULT for symmetric keys.
Status CheckSymmetricAlgorithm(JsonView request, std::string_view member);
// Opaque pagination markers.
std::string EncodeMarker(std::string_view position);
StatusOr<std::string> DecodeMarker(JsonView request);
// Limit member with a default and AWS's range.
std::size_t ReadLimit(JsonView request, std::size_t default_limit);
// Read-modify-write of one key named by a KeyId member (key id or ARN), in one
// durable transaction. `fn` sees the current record and changes it.
StatusOr<KeyRecord> MutateKey(KmsService& kms, const RequestContext& ctx, std::string_view key_id,
                              const std::function<Status(KeyRecord&)>& fn);
// "1 validation error detected: Value 'v' at 'field' failed to satisfy constraint: <constraint>"
Status ValidationFailure(std::string_view field, std::string_view value, std::string_view constraint);
// Validates tags for TagResource/CreateKey: reserved prefix, duplicates.
StatusOr<std::map<std::string, std::string>> ReadTags(const Json& request);
// AWS's DryRun answer when DryRun is true.
Status CheckDryRun(JsonView request);
// A DOM answer as the compact text hot-path operations return.
StatusOr<std::string> AsText(const StatusOr<Json>& response);

}  // namespace coffer::kms

// Secrets Manager: the 23 operations of the 2017-10-17 API over the secret
// table, the value sealer (KMS envelope encryption) and the authorizer; the
// sweeper (scheduled deletions and rotations) and the rotation runner's
// entry points. One instance serves every account and region of the process.
#pragma once

#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "api/service_model.h"
#include "common/clock.h"
#include "common/random.h"
#include "kms/service_client.h"
#include "policy/identity_source.h"
#include "secrets/authorizer.h"
#include "secrets/record.h"
#include "secrets/sealer.h"
#include "server/request_hooks.h"
#include "store/store.h"

namespace coffer::secrets {

using Json = nlohmann::json;

// Who an operation runs for: an API caller, or the service itself (the
// rotation runner, acting as the secret's account root through Secrets
// Manager, as AWS's service principal does).
struct Caller {
  policy::CallerInfo who;
  std::string account;
  std::string region;
  bool service = false;  // skips authorization (rotation runner, sweeper)
};

// A background event for the trail (RotationStarted, RotationFailed, ...).
struct ServiceEvent {
  std::string event_name;
  std::string account;
  std::string region;
  std::string secret_arn;
};

// Asks for a rotation to run (asynchronously): the runner calls back into
// RotationStep*/FinishRotation. Set by the rotation module.
class RotationScheduler {
 public:
  virtual ~RotationScheduler() = default;
  // Whether `lambda_arn` names a rotator this server has.
  virtual bool Knows(std::string_view lambda_arn) const = 0;
  virtual void Schedule(std::string account, std::string region, std::string secret_arn,
                        std::string token) = 0;
};

class SecretsService {
 public:
  SecretsService(store::Store& store, kms::ServiceKms& kms, SecretsAuthorizer& authz, RandomSource& random,
                 const Clock& clock);

  // The router's front: operation name -> handler.
  StatusOr<Json> Call(const server::FrontCall& call);
  server::ServiceFront Front(const api::ServiceModel& model);
  // Runs an operation as `caller` (tests, rotators).
  StatusOr<Json> Run(const Caller& caller, std::string_view operation, const Json& body);

  // Removes secrets whose recovery window ended and starts due rotations.
  // Returns how many secrets changed.
  StatusOr<int> RunSweeper();

  void SetRotationScheduler(RotationScheduler* scheduler) { rotation_ = scheduler; }
  void SetEventSink(std::function<void(const ServiceEvent&)> sink) { events_ = std::move(sink); }
  // Records the outcome of a rotation attempt (the runner calls this).
  Status RecordRotationResult(std::string_view account, std::string_view region, std::string_view arn,
                              std::string_view token, const Status& outcome);

  // The service's own caller for `account` in `region`.
  static Caller ServiceCaller(std::string_view account, std::string_view region);

 private:
  struct Found;
  // Operations (ops_*.cc).
  StatusOr<Json> CreateSecret(const Caller& c, const Json& req);
  StatusOr<Json> DescribeSecret(const Caller& c, const Json& req);
  StatusOr<Json> UpdateSecret(const Caller& c, const Json& req);
  StatusOr<Json> DeleteSecret(const Caller& c, const Json& req);
  StatusOr<Json> RestoreSecret(const Caller& c, const Json& req);
  StatusOr<Json> ListSecrets(const Caller& c, const Json& req);
  StatusOr<Json> GetSecretValue(const Caller& c, const Json& req);
  StatusOr<Json> BatchGetSecretValue(const Caller& c, const Json& req);
  StatusOr<Json> PutSecretValue(const Caller& c, const Json& req);
  StatusOr<Json> ListSecretVersionIds(const Caller& c, const Json& req);
  StatusOr<Json> UpdateSecretVersionStage(const Caller& c, const Json& req);
  StatusOr<Json> TagResource(const Caller& c, const Json& req);
  StatusOr<Json> UntagResource(const Caller& c, const Json& req);
  StatusOr<Json> GetResourcePolicy(const Caller& c, const Json& req);
  StatusOr<Json> PutResourcePolicy(const Caller& c, const Json& req);
  StatusOr<Json> DeleteResourcePolicy(const Caller& c, const Json& req);
  StatusOr<Json> ValidateResourcePolicy(const Caller& c, const Json& req);
  StatusOr<Json> GetRandomPassword(const Caller& c, const Json& req);
  StatusOr<Json> RotateSecret(const Caller& c, const Json& req);
  StatusOr<Json> CancelRotateSecret(const Caller& c, const Json& req);
  StatusOr<Json> ReplicateSecretToRegions(const Caller& c, const Json& req);
  StatusOr<Json> RemoveRegionsFromReplication(const Caller& c, const Json& req);
  StatusOr<Json> StopReplicationToReplica(const Caller& c, const Json& req);

  // Shared steps (service.cc).
  // The secret `secret_id` names for `c`, or nullopt.
  StatusOr<std::optional<SecretRecord>> Find(store::Txn& txn, const Caller& c, std::string_view secret_id);
  // Find + authorize: AccessDenied before ResourceNotFound, as AWS.
  StatusOr<SecretRecord> Resolve(store::Txn& txn, const Caller& c, std::string_view secret_id,
                                 std::string_view action, policy::ContextKeys extra = {});
  Status Authorize(const Caller& c, std::string_view action, std::string_view secret_id,
                   const SecretRecord* secret, policy::ContextKeys extra = {});
  kms::ViaService Via(const Caller& c, std::string_view region) const;
  StatusOr<std::string> NewVersionId();
  std::int64_t NowMs() const;
  // The value in a request (SecretString / SecretBinary), or nullopt.
  StatusOr<std::optional<PlainValue>> ValueOf(const Json& req) const;
  // Writes a new version (PutSecretValue, UpdateSecret, CreateSecret's first
  // version through it too): seals, then in one transaction re-reads the
  // secret, applies idempotency and the stage moves, prunes, commits.
  StatusOr<Json> WriteVersion(const Caller& c, const SecretRecord& seen, std::string token,
                              const PlainValue& value, std::vector<std::string> stages);
  // Moves `stages` onto `version_id` as AWS does (AWSCURRENT's old version
  // becomes AWSPREVIOUS).
  static void MoveStages(SecretRecord& r, const std::string& version_id,
                         const std::vector<std::string>& stages);
  // Removes unlabelled versions beyond 100 that are older than a day.
  Status PruneVersions(store::Txn& txn, SecretRecord& r);
  Status CheckWritable(const SecretRecord& r) const;  // not deleted, not a replica
  Status SyncReplicas(const Caller& c, const std::string& primary_arn_name, std::string_view region);
  void Emit(std::string event_name, const SecretRecord& r);
  Json Describe(const SecretRecord& r, bool list_entry) const;
  std::int64_t NextRotation(const SecretRecord& r, std::int64_t from_ms) const;
  StatusOr<Json> StartRotation(const Caller& c, SecretRecord r, std::string token);

  store::Store& store_;
  kms::ServiceKms& kms_;
  SecretsAuthorizer& authz_;
  RandomSource& random_;
  const Clock& clock_;
  ValueSealer sealer_;
  RotationScheduler* rotation_ = nullptr;
  std::function<void(const ServiceEvent&)> events_;
};

}  // namespace coffer::secrets
